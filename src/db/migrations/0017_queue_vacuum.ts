import { sql, type Kysely } from 'kysely';

/**
 * The queue's tables churn: every job is an insert, two or three updates and a delete a day later;
 * every webhook delivery the same; a rate key's row is updated at each paced start. PostgreSQL's
 * default autovacuum waits until 20 % of a table's rows are dead — for a `jobs` table holding a
 * day of finished jobs, hundreds of thousands of dead rows under the claim's index scans (a server
 * with autovacuum off showed claims slowing from ~1 to ~30 ms through one long drain,
 * BENCHMARKS.md "WhatsApp (issue 9)"). Vacuum these at 1 % (at least 1,000 dead rows), analyze at
 * 2 %. Only settings: an operator's server-wide autovacuum must be on; PGlite stores them and has
 * no autovacuum.
 */
const CHURNING = ['jobs', 'webhook_deliveries', 'webhook_attempts', 'job_rate_slots'];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of CHURNING) {
    await sql`ALTER TABLE ${sql.table(table)} SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000, autovacuum_analyze_scale_factor = 0.02)`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of CHURNING) {
    await sql`ALTER TABLE ${sql.table(table)} RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold, autovacuum_analyze_scale_factor)`.execute(db);
  }
}
