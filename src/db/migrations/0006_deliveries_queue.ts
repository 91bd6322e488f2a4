import { sql, type Kysely } from 'kysely';

// Webhook deliveries are their own queue (the `webhook.deliver` job kind claims them directly,
// src/jobs/README.md): a pending delivery is due at next_attempt_at; a claim leases it to a worker
// (locked_by) by moving next_attempt_at to the lease's end. Their jobs rows are no longer needed.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE webhook_deliveries ADD COLUMN locked_by text;
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
    DELETE FROM jobs WHERE name = 'webhook.deliver';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    INSERT INTO jobs (name, payload, status, run_at, max_attempts, created_at)
      SELECT 'webhook.deliver', jsonb_build_object('deliveryId', id), 'pending', coalesce(next_attempt_at, now()), 11, now()
      FROM webhook_deliveries WHERE status = 'pending';
    DROP INDEX webhook_deliveries_due;
    ALTER TABLE webhook_deliveries DROP COLUMN locked_by;
  `.execute(db);
}
