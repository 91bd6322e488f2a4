import { sql, type Kysely } from 'kysely';

/**
 * Rate slots to the microsecond and intervals in fractions of a millisecond: a pace of 1,000 a
 * second with room for a job starting a little after its slot needs an interval of ~1.05 ms
 * (jobs/README.md "Rate per key").
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE jobs ALTER COLUMN rate_interval_ms TYPE double precision;
    ALTER TABLE jobs ALTER COLUMN rate_slot TYPE timestamptz(6);
    ALTER TABLE job_rate_slots ALTER COLUMN next_at TYPE timestamptz(6);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE jobs ALTER COLUMN rate_interval_ms TYPE integer USING ceil(rate_interval_ms);
    ALTER TABLE jobs ALTER COLUMN rate_slot TYPE timestamptz(3);
    ALTER TABLE job_rate_slots ALTER COLUMN next_at TYPE timestamptz(3);
  `.execute(db);
}
