import { sql, type Kysely } from 'kysely';

// The durable job queue (src/jobs/README.md explains the SQL that uses these).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE jobs (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      name text NOT NULL,
      payload jsonb NOT NULL,
      status text NOT NULL,
      run_at timestamptz(3) NOT NULL,
      attempts integer NOT NULL DEFAULT 0,
      max_attempts integer NOT NULL,
      key text,
      idempotency_key text,
      rate_key text,
      rate_interval_ms integer,
      rate_slot timestamptz(3),
      locked_by text,
      locked_until timestamptz(3),
      last_error text,
      created_at timestamptz(3) NOT NULL,
      finished_at timestamptz(3),
      CONSTRAINT jobs_status CHECK (status IN ('pending', 'running', 'done', 'dead'))
    );
    CREATE INDEX jobs_due ON jobs (run_at, id) WHERE status = 'pending';
    CREATE INDEX jobs_leases ON jobs (locked_until) WHERE status = 'running';
    CREATE INDEX jobs_open_keys ON jobs (key, id) WHERE key IS NOT NULL AND status IN ('pending', 'running');
    CREATE UNIQUE INDEX jobs_idempotency ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;
    CREATE INDEX jobs_finished ON jobs (finished_at) WHERE status = 'done';

    CREATE TABLE job_rate_slots (
      key text PRIMARY KEY,
      next_at timestamptz(3) NOT NULL
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE job_rate_slots, jobs`.execute(db);
}
