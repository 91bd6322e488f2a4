import type { Static } from 'typebox';
import type { Db } from '../../db/store.js';
import type { Transaction } from '../../db/transaction.js';
import type { Clock } from '../../lib/clock.js';
import { resealRows, type SecretBox } from '../../lib/secret-box.js';
import { openWebhookSecrets, secretChange } from '../../lib/webhook-secret.js';
import { newId } from '../../lib/ids.js';
import { isSupportedCountry } from '../../lib/phone.js';
import { errors } from '../../lib/errors.js';
import type { PageRequest } from '../../lib/paging.js';
import type { WorkspaceRow } from '../../db/types.js';
import type { UrlGuard } from '../../providers/http/url-guard.js';
import { SEALED_COLUMNS, type WorkspacesRepo } from './workspaces.repo.js';
import type { UpdateWorkspaceBody } from './workspaces.schemas.js';

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
  transaction: Transaction;
  secrets: SecretBox;
  assertUrl: UrlGuard;
  /** Told (after the commit) when a workspace's webhook settings change: emitting caches them for a second. */
  webhookSettingsChanged?: (id: string) => void;
  /** Reads a hot lookup at most once a second per key (lib/ttl-cache.ts), forgotten when `webhookSettingsChanged(id)` is told. */
  cached?: <T>(key: string, load: () => Promise<T>) => Promise<T>;
}) {
  const { repo, clock, secrets: box } = deps;
  const cached = deps.cached ?? (<T>(_key: string, load: () => Promise<T>) => load());
  return {
    async create(input: { name: string; defaultRegion?: string }) {
      const region = (input.defaultRegion ?? 'SA').toUpperCase();
      if (!isSupportedCountry(region)) throw errors.invalidField('defaultRegion', `defaultRegion ${region} is not a known region.`);
      const row = await repo.insert({ id: newId(), name: input.name.trim(), default_region: region, creation_time: clock.now() });
      return toWorkspace(row);
    },

    async list(page: PageRequest) {
      const found = await repo.list(page);
      return { totalCount: found.totalCount, items: found.items.map(toWorkspace) };
    },

    exists: (id: string, trx?: Db) => repo.exists(id, trx),

    /** The workspace's default region for national phone numbers; undefined when there is no such workspace. */
    // A miss reads in the caller's transaction (the embedded store has one connection: a read beside it would wait for it).
    region: (id: string, trx?: Db) => cached(`${id}:region`, async () => (await repo.findById(id, trx))?.default_region),

    async update(id: string, input: Static<typeof UpdateWorkspaceBody>) {
      await deps.assertUrl('eventsWebhookUrl', input.eventsWebhookUrl); // before the transaction: DNS must not hold the row lock
      return deps.transaction(async (trx) => {
        const current = await repo.findForUpdate(id, trx);
        if (!current) throw errors.notFound('Workspace', id);
        deps.transaction.afterCommit(trx, () => deps.webhookSettingsChanged?.(id));
        const row = await repo.update(
          id,
          {
            ...(input.name !== undefined && { name: input.name.trim() }),
            ...(input.eventsWebhookUrl !== undefined && { events_webhook_url: input.eventsWebhookUrl }),
            ...(input.webhookSecret !== undefined && secretChange(current.webhook_secret, input.webhookSecret, clock.now(), box)),
          },
          trx,
        );
        return toWorkspace(row ?? current);
      });
    },

    /** Where workspace events go and what signs them (opened); `trx` when called while emitting. */
    async webhookHooks(id: string, trx?: Db) {
      const row = await repo.findById(id, trx);
      return row && { eventsWebhookUrl: row.events_webhook_url, secrets: openWebhookSecrets(row, box) };
    },

    /** At start: seals every secret not under the current key, each row in its own transaction; returns how many rows changed. */
    async resealSecrets() {
      const ids = await repo.unsealed(box.currentPrefix());
      return resealRows(box, ids, SEALED_COLUMNS, deps.transaction, { lock: repo.findForUpdate, update: repo.update });
    },
  };
}
export type WorkspacesService = ReturnType<typeof createWorkspacesService>;
