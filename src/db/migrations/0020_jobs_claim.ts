import { sql, type Kysely } from 'kysely';

/**
 * The queue's claim as a function whose plan cannot depend on stale statistics. As one plain
 * statement it was planned from the table's statistics, and those trail a burst by up to a minute
 * (autovacuum's analyze) or for ever (a server with autovacuum off): estimating ~100 due jobs
 * where 23,000 were, the planner took a bitmap scan of every due job and a sort — each claim
 * O(backlog), 15–50 ms a claim under a 7,000-message backlog, 103 s of a drain's 130 s of
 * statement time (BENCHMARKS.md "WhatsApp (issue 9)", 2026-12-02 evening). With bitmap scans and
 * sorts off for this function only, the one plan left walks `jobs_due` in (run_at, id) order and
 * stops at the limit: a claim costs what it claims, whatever the statistics say.
 * `lazy`: the claim's transaction commits without waiting for the WAL flush (jobs.repo.ts `lazyCommit`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION jobs_claim(worker text, lease_until timestamptz, due timestamptz, names text[], batch integer, lazy boolean)
    RETURNS SETOF jobs
    LANGUAGE plpgsql
    SET enable_bitmapscan = off
    SET enable_sort = off
    AS $$
    BEGIN
      IF lazy THEN
        PERFORM set_config('synchronous_commit', 'off', true);
      END IF;
      RETURN QUERY
      UPDATE jobs SET status = 'running', locked_by = worker, locked_until = lease_until, attempts = jobs.attempts + 1
      WHERE jobs.id IN (
        SELECT j.id FROM jobs j
        WHERE j.status = 'pending' AND j.run_at <= due AND j.name = ANY(names)
          AND (j.key IS NULL OR NOT EXISTS (
            SELECT 1 FROM jobs k WHERE k.key = j.key AND k.id < j.id AND k.status IN ('pending', 'running')))
        ORDER BY j.run_at, j.id
        LIMIT batch
        FOR UPDATE SKIP LOCKED)
      RETURNING jobs.*;
    END
    $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP FUNCTION jobs_claim(text, timestamptz, timestamptz, text[], integer, boolean)`.execute(db);
}
