import { sql, type Insertable } from 'kysely';
import { pageOf, withTotal } from '../../db/paging.js';
import type { Db } from '../../db/store.js';
import type { DeliveryStatus, WebhookDeliveriesTable } from '../../db/types.js';

export interface DeliveryFilter {
  workspaceId?: string;
  channelId?: string;
  status?: DeliveryStatus;
  eventType?: string;
  from?: Date;
  to?: Date;
}

export function createWebhooksRepo(db: Db) {
  return {
    /** The target of (workspace, url), made on first use; inside the emitting transaction. */
    async target(trx: Db, workspaceId: string, url: string, id: string, now: Date) {
      // Read first: writing an existing target would lock its row until the emitter commits,
      // making concurrent emitters to one URL wait for each other.
      const found = await trx.selectFrom('webhook_targets').selectAll().where('workspace_id', '=', workspaceId).where('url', '=', url).executeTakeFirst();
      if (found) return found;
      return trx
        .insertInto('webhook_targets')
        .values({ id, workspace_id: workspaceId, url, creation_time: now, failing_since: null, last_success_at: null, last_failure_at: null, disabled_at: null, disabled_reason: null })
        .onConflict((oc) => oc.columns(['workspace_id', 'url']).doUpdateSet({ url }))
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    insertDelivery: (trx: Db, row: Insertable<WebhookDeliveriesTable>) => trx.insertInto('webhook_deliveries').values(row).execute(),

    /** Deliveries with what sending them needs (their target's state), many in one statement. */
    findForSending: (ids: string[]) =>
      db
        .selectFrom('webhook_deliveries as d')
        .innerJoin('webhook_targets as t', 't.id', 'd.target_id')
        .selectAll('d')
        .select(['t.disabled_at as target_disabled_at', 't.failing_since as target_failing_since'])
        .where('d.id', 'in', ids)
        .execute(),

    /**
     * Successful attempts, many in one statement: their records, their deliveries delivered, and
     * their targets healthy (a healthy target's row is written at most once a second).
     */
    async recordSuccesses(items: { id: string; targetId: string; at: Date; code: number; latencyMs: number; excerpt: string }[], now: Date) {
      const input = sql`unnest(${items.map((i) => i.id)}::uuid[], ${items.map((i) => i.at)}::timestamptz[], ${items.map((i) => i.code)}::int[],
        ${items.map((i) => i.latencyMs)}::int[], ${items.map((i) => i.excerpt)}::text[]) AS x(id, at, code, latency, excerpt)`;
      const targets = [...new Set(items.map((i) => i.targetId))];
      await sql`
        WITH input AS (SELECT * FROM ${input}),
        a AS (INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, latency_ms, error, response_excerpt)
              SELECT id, at, code, latency, NULL, excerpt FROM input),
        t AS (UPDATE webhook_targets SET last_success_at = ${now}, failing_since = NULL
              WHERE id = ANY(${targets}::uuid[])
                AND (failing_since IS NOT NULL OR last_success_at IS NULL OR last_success_at < ${new Date(now.getTime() - 1000)}))
        UPDATE webhook_deliveries d SET status = 'delivered', next_attempt_at = NULL, delivered_at = input.at,
          attempts = d.attempts + 1, last_status_code = input.code, last_error = NULL
        FROM input WHERE d.id = input.id`.execute(db);
      return items.map(() => undefined);
    },

    /** One attempt's record and the delivery's new state, together. */
    async recordAttempt(
      id: string,
      attempt: { attempted_at: Date; status_code: number | null; latency_ms: number; error: string | null; response_excerpt: string | null },
      state: { status: DeliveryStatus; next_attempt_at: Date | null; delivered_at: Date | null },
    ) {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('webhook_attempts').values({ delivery_id: id, ...attempt }).execute();
        await trx
          .updateTable('webhook_deliveries')
          .set({ ...state, attempts: sql`attempts + 1`, last_status_code: attempt.status_code, last_error: attempt.error })
          .where('id', '=', id)
          .execute();
      });
    },

    setStatus: (id: string, status: DeliveryStatus, error: string | null) =>
      db.updateTable('webhook_deliveries').set({ status, last_error: error, next_attempt_at: null }).where('id', '=', id).execute(),

    /** Marks a target failing since its first failure in a row. */
    targetFailed: (targetId: string, now: Date) =>
      db
        .updateTable('webhook_targets')
        .set({ last_failure_at: now, failing_since: sql<Date>`coalesce(failing_since, ${now})` })
        .where('id', '=', targetId)
        .returningAll()
        .executeTakeFirstOrThrow(),

    disableTarget: (targetId: string, reason: string, now: Date) =>
      db.updateTable('webhook_targets').set({ disabled_at: now, disabled_reason: reason }).where('id', '=', targetId).execute(),

    enableTarget: (targetId: string) =>
      db
        .updateTable('webhook_targets')
        .set({ disabled_at: null, disabled_reason: null, failing_since: null })
        .where('id', '=', targetId)
        .returningAll()
        .executeTakeFirst(),

    async listTargets(workspaceId: string) {
      return db.selectFrom('webhook_targets').selectAll().where('workspace_id', '=', workspaceId).orderBy('creation_time').orderBy('id').execute();
    },

    async list(filter: DeliveryFilter, skip: number, take: number) {
      let q = db.selectFrom('webhook_deliveries');
      if (filter.workspaceId) q = q.where('workspace_id', '=', filter.workspaceId);
      if (filter.channelId) q = q.where('channel_id', '=', filter.channelId);
      if (filter.status) q = q.where('status', '=', filter.status);
      if (filter.eventType) q = q.where('event_type', '=', filter.eventType);
      if (filter.from) q = q.where('creation_time', '>=', filter.from);
      if (filter.to) q = q.where('creation_time', '<', filter.to);
      const rows = await q.selectAll().select(withTotal()).orderBy('creation_time', 'desc').orderBy('id', 'desc').offset(skip).limit(take).execute();
      return pageOf(rows, skip, async () => (await q.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n);
    },

    find: (id: string) => db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst(),

    attempts: (deliveryId: string) =>
      db.selectFrom('webhook_attempts').selectAll().where('delivery_id', '=', deliveryId).orderBy('id').execute(),

    /** Failed or skipped deliveries created since `since`, to send again. */
    unsent: (since: Date, workspaceId?: string) => {
      let q = db
        .selectFrom('webhook_deliveries')
        .select(['id', 'target_id'])
        .where('status', 'in', ['failed', 'skipped'])
        .where('creation_time', '>=', since);
      if (workspaceId) q = q.where('workspace_id', '=', workspaceId);
      return q.orderBy('creation_time').execute();
    },

    /** Back to pending for a replay; the caller enqueues its job in the same transaction. */
    reopen: (trx: Db, ids: string[], now: Date) =>
      trx.updateTable('webhook_deliveries').set({ status: 'pending', next_attempt_at: now, last_error: null }).where('id', 'in', ids).execute(),
  };
}
export type WebhooksRepo = ReturnType<typeof createWebhooksRepo>;
