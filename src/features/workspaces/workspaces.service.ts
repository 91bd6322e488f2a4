import type { Static } from 'typebox';
import type { Db } from '../../db/store.js';
import type { Clock } from '../../lib/clock.js';
import { secretChange } from '../../lib/webhook-secret.js';
import { newId } from '../../lib/ids.js';
import { isSupportedCountry } from '../../lib/phone.js';
import { errors } from '../../http/errors.js';
import { parseSorting } from '../../http/paging.js';
import type { WorkspaceRow } from '../../db/types.js';
import type { WorkspacesRepo } from './workspaces.repo.js';
import { WORKSPACE_SORT_FIELDS, type UpdateWorkspaceBody } from './workspaces.schemas.js';

const toWorkspace = (row: WorkspaceRow) => ({
  id: row.id,
  name: row.name,
  defaultRegion: row.default_region,
  creationTime: row.creation_time,
  eventsWebhookUrl: row.events_webhook_url,
  hasWebhookSecret: row.webhook_secret !== null,
});

export function createWorkspacesService(deps: {
  repo: WorkspacesRepo;
  clock: Clock;
  assertWebhookUrl: (field: string, url: string | null | undefined) => Promise<void>;
}) {
  const { repo, clock } = deps;
  return {
    async create(input: { name: string; defaultRegion?: string }) {
      const region = (input.defaultRegion ?? 'SA').toUpperCase();
      if (!isSupportedCountry(region)) throw errors.invalidField('defaultRegion', `defaultRegion ${region} is not a known region.`);
      const row = await repo.insert({ id: newId(), name: input.name.trim(), default_region: region, creation_time: clock.now() });
      return toWorkspace(row);
    },

    async list(query: { SkipCount: number; MaxResultCount: number; Sorting?: string }) {
      const sort = parseSorting(query.Sorting, WORKSPACE_SORT_FIELDS, 'CreationTime ASC');
      const page = await repo.list({ skip: query.SkipCount, take: query.MaxResultCount, sort });
      return { totalCount: page.totalCount, items: page.items.map(toWorkspace) };
    },

    exists: (id: string) => repo.exists(id),

    async update(id: string, input: Static<typeof UpdateWorkspaceBody>) {
      const current = await repo.findById(id);
      if (!current) throw errors.notFound('Workspace', id);
      await deps.assertWebhookUrl('eventsWebhookUrl', input.eventsWebhookUrl);
      const row = await repo.update(id, {
        ...(input.name !== undefined && { name: input.name.trim() }),
        ...(input.eventsWebhookUrl !== undefined && { events_webhook_url: input.eventsWebhookUrl }),
        ...(input.webhookSecret !== undefined && secretChange(current.webhook_secret, input.webhookSecret, clock.now())),
      });
      return toWorkspace(row ?? current);
    },

    /** Where workspace events go and what signs them; `trx` when called while emitting. */
    async webhookHooks(id: string, trx?: Db) {
      const row = await repo.findById(id, trx);
      return row && { eventsWebhookUrl: row.events_webhook_url, secrets: row };
    },
  };
}
export type WorkspacesService = ReturnType<typeof createWorkspacesService>;
