import { sql } from 'kysely';
import type { Db } from '../db/store.js';
import { prepared, run } from '../db/prepared.js';
import type { Statement } from '../db/transaction.js';
import type { JobRow } from '../db/types.js';

export const JOBS_CHANNEL = 'wasl_jobs';

/**
 * Queue bookkeeping (claims, leases, outcomes) may commit without waiting for the WAL flush: the
 * `cte` sets `synchronous_commit = off` for that one statement's transaction (`WITH ${cte}, …`),
 * and `applied` in its WHERE makes it run. A crash of Wasl's process then loses none of it on
 * PostgreSQL, whose server still writes the WAL; a crash of the database server or the machine
 * can lose its last fraction of a second, and that work is then done again — at least once, as
 * every handler must allow. Disabled, the same SQL keeps the session's setting (PGlite, where
 * the database lives and dies with the process and has no WAL writer). Never inside a caller's
 * transaction: enqueueing and emitting stay as durable as the change that caused them.
 */
export function lazyCommit(enabled: boolean) {
  const value = enabled ? sql`'off'` : sql`current_setting('synchronous_commit')`;
  return {
    cte: sql`_lazy_commit AS MATERIALIZED (SELECT set_config('synchronous_commit', ${value}, true))`,
    applied: sql<boolean>`EXISTS (SELECT FROM _lazy_commit)`,
    /** The same for the query builder: `builder(db).updateTable(…)….where(applied)`. */
    builder: (db: Db) => db.with((cte) => cte('_lazy_commit').materialized(), (qb) => qb.selectNoFrom(sql`set_config('synchronous_commit', ${value}, true)`.as('on'))),
  };
}

/** Open work of one job name: waiting, running, failed for good, and when the oldest due one became due. */
export interface JobStats {
  pending: number;
  running: number;
  dead: number;
  oldest: Date | null;
}

export interface NewJob {
  name: string;
  payload: unknown;
  runAt: Date;
  maxAttempts: number;
  key: string | null;
  idempotencyKey: string | null;
  rate: { key: string; intervalMs: number } | null;
  now: Date;
}

/** A new job (every send, delivery and call enqueues one): a fixed text, prepared (db/prepared.ts); a used idempotency key inserts nothing. */
const INSERT = prepared(`
  INSERT INTO jobs (name, payload, status, run_at, max_attempts, key, idempotency_key, rate_key, rate_interval_ms, created_at)
  VALUES ($1::text, $2::jsonb, 'pending', $3::timestamptz, $4::integer, $5::text, $6::text, $7::text, $8::double precision, $9::timestamptz)
  ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING id`);

const insertStatement = (job: NewJob): Statement => ({
  text: INSERT,
  values: [job.name, JSON.stringify(job.payload), job.runAt, job.maxAttempts, job.key, job.idempotencyKey, job.rate?.key ?? null, job.rate?.intervalMs ?? null, job.now],
});

/** Every statement of the queue; src/jobs/README.md explains why each is shaped so. */
/** `lazyCommit`: let claims, leases and outcomes commit lazily (PostgreSQL; see `lazyCommit`). */
export function createJobsRepo(db: Db, options: { lazyCommit?: boolean } = {}) {
  const lazyEnabled = options.lazyCommit ?? false;
  const { applied: lazyCommitted, builder } = lazyCommit(lazyEnabled);
  const lazy = () => builder(db);
  return {
    /** Inside the caller's transaction (the queue wakes the workers once it commits). */
    async insert(trx: Db, job: NewJob): Promise<string | null> {
      const { text, values } = insertStatement(job);
      const [row] = await run<{ id: string }>(trx, text, values);
      return row?.id ?? null;
    },

    /** The same insert as a statement to send with a COMMIT (`transaction.beforeCommit`). */
    insertStatement,

    /** Wakes the workers of every node: at once outside a transaction, at its commit inside one. */
    async notify(trx: Db = db) {
      await sql`SELECT pg_notify(${JOBS_CHANNEL}, '')`.execute(trx);
    },

    /**
     * Claims up to `limit` due jobs for this worker. SKIP LOCKED lets many workers claim at once
     * without waiting on each other; a keyed job is due only when no earlier job of its key is open.
     */
    async claim(workerId: string, names: string[], now: Date, leaseUntil: Date, limit: number): Promise<JobRow[]> {
      // The statement is in 0020_jobs_claim.ts: a function, so that its plan stops at the limit whatever the statistics say.
      const { rows } = await sql<JobRow>`SELECT * FROM jobs_claim(${workerId}, ${leaseUntil}, ${now}, ${names}::text[], ${limit}::int, ${lazyEnabled})`.execute(db);
      return rows;
    },

    /** Jobs whose worker stopped renewing its lease go back to the queue. */
    async releaseExpired(now: Date): Promise<number> {
      const result = await lazy()
        .updateTable('jobs')
        .set({ status: 'pending', locked_by: null, locked_until: null, run_at: now, last_error: 'lease expired: its worker stopped' })
        .where('status', '=', 'running')
        .where('locked_until', '<', now)
        .where(lazyCommitted)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async extendLeases(workerId: string, ids: string[], until: Date) {
      if (!ids.length) return;
      await lazy().updateTable('jobs').set({ locked_until: until }).where('id', 'in', ids).where('locked_by', '=', workerId).where(lazyCommitted).execute();
    },

    /** Finished jobs of one worker, many in one statement when the worker is busy. */
    async complete(ids: string[], workerId: string, now: Date) {
      await lazy()
        .updateTable('jobs')
        .set({ status: 'done', finished_at: now, locked_by: null, locked_until: null, last_error: null })
        .where('id', 'in', ids)
        .where('locked_by', '=', workerId)
        .where(lazyCommitted)
        .execute();
    },

    async retry(id: string, workerId: string, runAt: Date, error: string) {
      await lazy()
        .updateTable('jobs')
        .set({ status: 'pending', run_at: runAt, locked_by: null, locked_until: null, last_error: error, rate_slot: null })
        .where('id', '=', id)
        .where('locked_by', '=', workerId)
        .where(lazyCommitted)
        .execute();
    },

    async bury(id: string, workerId: string, now: Date, error: string) {
      await lazy()
        .updateTable('jobs')
        .set({ status: 'dead', finished_at: now, locked_by: null, locked_until: null, last_error: error })
        .where('id', '=', id)
        .where('locked_by', '=', workerId)
        .where(lazyCommitted)
        .execute();
    },

    /** Gives back a job this worker took but did not run (shutdown, rate slot): not an attempt. */
    async release(id: string, workerId: string, runAt: Date, rateSlot: Date | null = null) {
      await lazy()
        .updateTable('jobs')
        .set({ status: 'pending', run_at: runAt, locked_by: null, locked_until: null, attempts: sql`attempts - 1`, rate_slot: rateSlot })
        .where('id', '=', id)
        .where('locked_by', '=', workerId)
        .where(lazyCommitted)
        .execute();
    },

    /** Reserves the next free slot of a rate key (one job per interval), atomically across workers, however far ahead. */
    async reserveRateSlot(key: string, intervalMs: number, now: Date): Promise<Date> {
      const step = sql`make_interval(secs => ${intervalMs / 1000})`;
      const { rows } = await sql<{ slot: Date }>`
        INSERT INTO job_rate_slots AS r (key, next_at) VALUES (${key}, ${now}::timestamptz + ${step})
        ON CONFLICT (key) DO UPDATE SET next_at = greatest(r.next_at, ${now}::timestamptz) + ${step}
        RETURNING r.next_at - ${step} AS slot`.execute(db);
      return rows[0]!.slot;
    },

    /** Per job name: open jobs by status, the oldest due job's age, and dead letters. */
    async stats(now: Date) {
      const { rows } = await sql<JobStats & { name: string }>`
        SELECT name,
          count(*) FILTER (WHERE status = 'pending')::int AS pending,
          count(*) FILTER (WHERE status = 'running')::int AS running,
          count(*) FILTER (WHERE status = 'dead')::int AS dead,
          min(run_at) FILTER (WHERE status = 'pending' AND run_at <= ${now}) AS oldest
        FROM jobs WHERE status <> 'done' GROUP BY name`.execute(db);
      return rows;
    },

    async purgeDone(before: Date) {
      await db.deleteFrom('jobs').where('status', '=', 'done').where('finished_at', '<', before).execute();
    },

    find: (id: string) => db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst(),
  };
}
export type JobsRepo = ReturnType<typeof createJobsRepo>;
