import type { Static } from 'typebox';
import type { Clock } from '../../lib/clock.js';
import { codes, UserRole } from '../../lib/enums.js';
import { errors } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { toE164 } from '../../lib/phone.js';
import type { WorkspaceUserRow } from '../../db/types.js';
import type { WorkspaceUsersRepo } from './workspace-users.repo.js';
import type { AddUserBody } from './workspace-users.schemas.js';

const Role = codes(UserRole);

/** decisions.md: a workspace user's `userId` is its `id`, for people and AI agents alike. */
export const toWorkspaceUser = (row: WorkspaceUserRow) => ({
  id: row.id,
  workspaceId: row.workspace_id,
  userId: row.id,
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
      const row = await repo.insert({
        id: newId(),
        workspace_id: workspaceId,
        email: input.email?.trim().toLowerCase() ?? null,
        name: input.name.trim(),
        logo_url: input.logoUrl ?? null,
        role: input.role ?? Role.Member,
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
