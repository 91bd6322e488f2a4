import { sql, type Insertable } from 'kysely';
import { orderBy, pageOf, withTotal } from '../../db/paging.js';
import type { Db } from '../../db/store.js';
import type { Statement } from '../../db/transaction.js';
import type { DeliveryStatus, WebhookDeliveriesTable, WebhookDeliveryRow, WebhookTargetRow } from '../../db/types.js';
import { lazyCommit, type JobStats } from '../../jobs/jobs.repo.js';
import { newId } from '../../lib/ids.js';
import type { PageRequest } from '../../lib/paging.js';

export interface DeliveryFilter {
  workspaceId?: string;
  channelId?: string;
  status?: DeliveryStatus;
  eventType?: string;
  from?: Date;
  to?: Date;
}

/** A delivery as a worker claims it: what sending needs, and its attempt number (this one). */
export type ClaimedDelivery = Pick<WebhookDeliveryRow, 'id' | 'workspace_id' | 'channel_id' | 'target_id' | 'url' | 'body' | 'signer' | 'attempts'> & {
  target_disabled_at: Date | null;
};

/** What emitting needs to know of a target: its id, and whether it is disabled (and why). */
export type TargetState = Pick<WebhookTargetRow, 'id' | 'url' | 'disabled_at' | 'disabled_reason'>;

export interface AttemptRecord {
  id: string;
  at: Date;
  code: number | null;
  latencyMs: number;
  error: string | null;
  excerpt: string | null;
}

/**
 * The deliveries table is the queue of the `webhook.deliver` job kind (src/jobs/README.md): a
 * pending delivery is due at `next_attempt_at`; claiming it moves that to the end of a lease
 * (`locked_by` = the worker), so a delivery whose worker died is due again when the lease ends.
 */
export function createWebhooksRepo(db: Db, options: { lazyCommit?: boolean } = {}) {
  // The queue's bookkeeping may commit lazily, as the jobs table's (jobs.repo.ts `lazyCommit`):
  // losing its last fraction of a second to a crash means sending again, never losing.
  const lazyEnabled = options.lazyCommit ?? false;
  const { cte: LAZY_COMMIT, applied: lazyCommitted, builder } = lazyCommit(lazyEnabled);
  const lazy = () => builder(db);
  return {
    /**
     * The targets of (workspace, URL) for these URLs, each made on first use. An existing target
     * is only read: writing it would lock its row until the emitter commits, making concurrent
     * emitters to one URL wait for each other.
     */
    async targets(workspaceId: string, urls: string[], now: Date, trx: Db = db): Promise<TargetState[]> {
      const read = (list: string[]) =>
        trx.selectFrom('webhook_targets').select(['id', 'url', 'disabled_at', 'disabled_reason']).where('workspace_id', '=', workspaceId).where('url', 'in', list).execute();
      const found = await read(urls);
      const missing = urls.filter((url) => !found.some((t) => t.url === url));
      if (missing.length) {
        await trx
          .insertInto('webhook_targets')
          .values(missing.map((url) => ({ id: newId(), workspace_id: workspaceId, url, creation_time: now })))
          .onConflict((oc) => oc.columns(['workspace_id', 'url']).doNothing())
          .execute();
        found.push(...(await read(missing)));
      }
      return found;
    },

    /** One event's deliveries, in one plain statement (the caller has its targets). */
    /** New deliveries, as a statement to send with a COMMIT (`transaction.beforeCommit`). */
    insertDeliveriesStatement(rows: Insertable<WebhookDeliveriesTable>[]): Statement {
      const { sql: text, parameters } = db.insertInto('webhook_deliveries').values(rows).compile();
      return { text, values: parameters };
    },

    /** Up to `limit` due deliveries for this worker, leased until `leaseUntil`; each claim is an attempt. */
    async claim(workerId: string, now: Date, leaseUntil: Date, limit: number): Promise<ClaimedDelivery[]> {
      // The statement is in 0020_jobs_claim.ts: a function, so that its plan stops at the limit whatever the statistics say.
      const { rows } = await sql<ClaimedDelivery>`SELECT * FROM webhook_deliveries_claim(${workerId}, ${now}, ${leaseUntil}, ${limit}::int, ${lazyEnabled})`.execute(db);
      return rows;
    },

    /** Moves the lease of deliveries this worker still holds. */
    async renew(workerId: string, ids: string[], leaseUntil: Date) {
      await lazy()
        .updateTable('webhook_deliveries')
        .set({ next_attempt_at: leaseUntil })
        .where('id', 'in', ids)
        .where('locked_by', '=', workerId)
        .where('status', '=', 'pending')
        .where(lazyCommitted)
        .execute();
    },

    /** Gives back deliveries this worker holds and will not send (stopping): due now, not an attempt. */
    async release(workerId: string, ids: string[], now: Date) {
      await lazy()
        .updateTable('webhook_deliveries')
        .set({ next_attempt_at: now, locked_by: null, attempts: sql`attempts - 1` })
        .where('id', 'in', ids)
        .where('locked_by', '=', workerId)
        .where('status', '=', 'pending')
        .where(lazyCommitted)
        .execute();
    },

    /** A claimed delivery that will not be sent (its target was disabled meanwhile): not an attempt. */
    async skip(workerId: string, id: string, reason: string) {
      await lazy()
        .updateTable('webhook_deliveries')
        .set({ status: 'skipped', next_attempt_at: null, locked_by: null, attempts: sql`attempts - 1`, last_error: reason })
        .where('id', '=', id)
        .where('locked_by', '=', workerId)
        .where(lazyCommitted)
        .execute();
    },

    /**
     * Successful attempts, many in one statement: their records, their deliveries delivered, and
     * their targets healthy (a healthy target's row is written at most once a second). A worker
     * that lost a lease records its attempt but leaves the delivery to the worker that holds it.
     */
    async recordSuccesses(workerId: string, items: (AttemptRecord & { targetId: string })[], now: Date) {
      const input = sql`unnest(${items.map((i) => i.id)}::uuid[], ${items.map((i) => i.at)}::timestamptz[], ${items.map((i) => i.code)}::int[],
        ${items.map((i) => i.latencyMs)}::int[], ${items.map((i) => i.excerpt)}::text[]) AS x(id, at, code, latency, excerpt)`;
      const targets = [...new Set(items.map((i) => i.targetId))];
      await sql`
        WITH ${LAZY_COMMIT}, input AS (SELECT * FROM ${input}),
        a AS (INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, latency_ms, error, response_excerpt)
              SELECT id, at, code, latency, NULL, excerpt FROM input),
        t AS (UPDATE webhook_targets SET last_success_at = ${now}, failing_since = NULL
              WHERE id = ANY(${targets}::uuid[])
                AND (failing_since IS NOT NULL OR last_success_at IS NULL OR last_success_at < ${new Date(now.getTime() - 1000)}))
        UPDATE webhook_deliveries d SET status = 'delivered', next_attempt_at = NULL, locked_by = NULL, delivered_at = input.at,
          last_status_code = input.code, last_error = NULL
        FROM input WHERE d.id = input.id AND d.locked_by = ${workerId} AND ${lazyCommitted}`.execute(db);
      return items.map(() => undefined);
    },

    /** A failed attempt's record and the delivery's next state (retry at `next`, or failed), in one statement. */
    async recordFailure(workerId: string, attempt: AttemptRecord, next: Date | null) {
      await sql`
        WITH ${LAZY_COMMIT}, a AS (INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, latency_ms, error, response_excerpt)
                   VALUES (${attempt.id}, ${attempt.at}, ${attempt.code}, ${attempt.latencyMs}, ${attempt.error}, ${attempt.excerpt}))
        UPDATE webhook_deliveries SET status = ${next ? 'pending' : 'failed'}, next_attempt_at = ${next}, locked_by = NULL,
          last_status_code = ${attempt.code}, last_error = ${attempt.error}
        WHERE id = ${attempt.id} AND locked_by = ${workerId} AND ${lazyCommitted}`.execute(db);
    },

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

    enableTarget: (targetId: string, trx: Db = db) =>
      trx
        .updateTable('webhook_targets')
        .set({ disabled_at: null, disabled_reason: null, failing_since: null })
        .where('id', '=', targetId)
        .returningAll()
        .executeTakeFirst(),

    listTargets: (workspaceId: string) =>
      db.selectFrom('webhook_targets').selectAll().where('workspace_id', '=', workspaceId).orderBy('creation_time').orderBy('id').execute(),

    async list(filter: DeliveryFilter, page: PageRequest) {
      let q = db.selectFrom('webhook_deliveries');
      if (filter.workspaceId) q = q.where('workspace_id', '=', filter.workspaceId);
      if (filter.channelId) q = q.where('channel_id', '=', filter.channelId);
      if (filter.status) q = q.where('status', '=', filter.status);
      if (filter.eventType) q = q.where('event_type', '=', filter.eventType);
      if (filter.from) q = q.where('creation_time', '>=', filter.from);
      if (filter.to) q = q.where('creation_time', '<', filter.to);
      const rows = await q.selectAll().select(withTotal()).orderBy(orderBy(page.sort, 'webhook_deliveries')).offset(page.skip).limit(page.take).execute();
      return pageOf(rows, page.skip, async () => (await q.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n);
    },

    find: (id: string, trx: Db = db) => trx.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst(),

    async recordedAttempts(deliveryId: string) {
      const row = await db.selectFrom('webhook_attempts').select(sql<number>`count(*)::int`.as('n')).where('delivery_id', '=', deliveryId).executeTakeFirstOrThrow();
      return row.n;
    },

    attempts: (deliveryId: string) =>
      db.selectFrom('webhook_attempts').selectAll().where('delivery_id', '=', deliveryId).orderBy('id').execute(),

    /** Failed or skipped deliveries created since `since`, to send again. */
    unsent: (since: Date, workspaceId: string | undefined, trx: Db = db) => {
      let q = trx
        .selectFrom('webhook_deliveries')
        .select(['id', 'target_id'])
        .where('status', 'in', ['failed', 'skipped'])
        .where('creation_time', '>=', since);
      if (workspaceId) q = q.where('workspace_id', '=', workspaceId);
      return q.orderBy('creation_time').execute();
    },

    /** Due again now, attempts continuing from where they were (a replay or a recovery). */
    reopen: (ids: string[], now: Date, trx: Db = db) =>
      trx
        .updateTable('webhook_deliveries')
        .set({ status: 'pending', next_attempt_at: now, locked_by: null, last_error: null })
        .where('id', 'in', ids)
        .where('status', '<>', 'pending')
        .execute(),

    /** The queue's view of deliveries: waiting, being sent, failed for good, and the oldest due. */
    async stats(now: Date): Promise<JobStats> {
      const { rows } = await sql<JobStats>`
        SELECT
          count(*) FILTER (WHERE locked_by IS NULL OR next_attempt_at <= ${now})::int AS pending,
          count(*) FILTER (WHERE locked_by IS NOT NULL AND next_attempt_at > ${now})::int AS running,
          (SELECT count(*) FROM webhook_deliveries WHERE status = 'failed')::int AS dead,
          min(next_attempt_at) FILTER (WHERE next_attempt_at <= ${now}) AS oldest
        FROM webhook_deliveries WHERE status = 'pending'`.execute(db);
      return rows[0]!;
    },
  };
}
export type WebhooksRepo = ReturnType<typeof createWebhooksRepo>;
