import type { Static } from 'typebox';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { toE164 } from '../../lib/phone.js';
import { errors } from '../../http/errors.js';
import type { WorkspaceUserRow } from '../../db/types.js';
import type { WorkspaceUsersRepo } from './workspace-users.repo.js';
import type { AddUserBody } from './workspace-users.schemas.js';

export const toWorkspaceUser = (row: WorkspaceUserRow) => ({
  id: row.id,
  workspaceId: row.workspace_id,
  userId: row.user_id,
  email: row.email,
  name: row.name,
  logoUrl: row.logo_url,
  role: row.role,
  creationTime: row.creation_time,
  isAiAgent: row.is_ai_agent,
  phoneNumber: row.phone_number,
});

export function createWorkspaceUsersService(deps: {
  repo: WorkspaceUsersRepo;
  clock: Clock;
  workspaceRegion: (workspaceId: string) => Promise<string | undefined>;
}) {
  const { repo, clock } = deps;
  return {
    /** People have an identity user id of their own; an AI agent's userId is its own id (Hatif does this). */
    async add(workspaceId: string, input: Static<typeof AddUserBody>) {
      const region = await deps.workspaceRegion(workspaceId);
      if (!region) throw errors.notFound('Workspace', workspaceId);
      const isAiAgent = input.isAiAgent ?? false;
      if (isAiAgent && (input.email || input.phoneNumber)) {
        throw errors.invalidField(input.email ? 'email' : 'phoneNumber', 'An AI agent has no email or phone number.');
      }
      let phone: string | null = null;
      if (input.phoneNumber) {
        phone = toE164(input.phoneNumber, region);
        if (!phone) throw errors.invalidField('phoneNumber', `phoneNumber "${input.phoneNumber}" is not a valid phone number.`);
      }
      const id = newId();
      const row = await repo.insert({
        id,
        workspace_id: workspaceId,
        user_id: isAiAgent ? id : newId(),
        email: input.email?.trim().toLowerCase() ?? null,
        name: input.name.trim(),
        logo_url: input.logoUrl ?? null,
        role: input.role ?? 2,
        is_ai_agent: isAiAgent,
        phone_number: phone,
        creation_time: clock.now(),
      });
      return toWorkspaceUser(row);
    },

    list: async (workspaceId: string) => (await repo.listByWorkspace(workspaceId)).map(toWorkspaceUser),
  };
}
export type WorkspaceUsersService = ReturnType<typeof createWorkspaceUsersService>;
