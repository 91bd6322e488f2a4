import { sql, type Kysely } from 'kysely';

/**
 * The queue's claims (jobs, and webhook deliveries: a claimed kind with the same shape) as
 * functions whose plans cannot depend on stale statistics. As one plain
 * statement it was planned from the table's statistics, and those trail a burst by up to a minute
 * (autovacuum's analyze) or for ever (a server with autovacuum off): estimating ~100 due jobs
 * where 23,000 were, the planner took a bitmap scan of every due job and a sort — each claim
 * O(backlog), 15–50 ms a claim under a 7,000-message backlog, 103 s of a drain's 130 s of
 * statement time (BENCHMARKS.md "WhatsApp (issue 9)", 2026-12-02 evening). With bitmap scans and
 * sorts off for this function only, the one plan left walks `jobs_due` in (run_at, id) order and
 * stops at the limit: a claim costs what it claims, whatever the statistics say. The same for
 * `webhook_deliveries_due` (next_attempt_at) WHERE status = 'pending'.
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
  await sql`
    CREATE FUNCTION webhook_deliveries_claim(worker text, due timestamptz, lease_until timestamptz, batch integer, lazy boolean)
    RETURNS TABLE (id uuid, workspace_id uuid, channel_id uuid, target_id uuid, url text, body text, signer text, attempts integer, target_disabled_at timestamptz)
    LANGUAGE plpgsql
    SET enable_bitmapscan = off
    SET enable_sort = off
    AS $$
    #variable_conflict use_column
    BEGIN
      IF lazy THEN
        PERFORM set_config('synchronous_commit', 'off', true);
      END IF;
      RETURN QUERY
      WITH claimed AS (
        SELECT w.id FROM webhook_deliveries w
        WHERE w.status = 'pending' AND w.next_attempt_at <= due
        ORDER BY w.next_attempt_at
        LIMIT batch
        FOR UPDATE SKIP LOCKED)
      UPDATE webhook_deliveries d SET next_attempt_at = lease_until, locked_by = worker, attempts = d.attempts + 1
      FROM claimed, webhook_targets t
      WHERE d.id = claimed.id AND t.id = d.target_id
      RETURNING d.id, d.workspace_id, d.channel_id, d.target_id, d.url, d.body, d.signer, d.attempts, t.disabled_at;
    END
    $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP FUNCTION webhook_deliveries_claim(text, timestamptz, timestamptz, integer, boolean)`.execute(db);
  await sql`DROP FUNCTION jobs_claim(text, timestamptz, timestamptz, text[], integer, boolean)`.execute(db);
}
