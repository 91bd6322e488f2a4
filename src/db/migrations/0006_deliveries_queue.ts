import { sql, type Kysely } from 'kysely';

/**
 * Webhook deliveries are their own queue (the `webhook.deliver` job kind claims them directly,
 * src/jobs/README.md): a pending delivery is due at next_attempt_at; a claim leases it to a worker
 * (locked_by) by moving next_attempt_at to the lease's end. Their jobs rows are no longer needed.
 *
 * Less to write per event (BENCHMARKS.md, "Webhooks"): the creation-time index goes (a list
 * counts every row it filters anyway; by workspace it has its own index), and so do the foreign
 * keys of deliveries and attempts. Each check took a shared lock on one hot row per insert — the
 * workspace's and the URL's target, a MultiXact once emitters run concurrently — and only
 * webhooks.repo.ts writes these rows, with ids it has just read (targets are never deleted).
 * Attempts are keyed by their delivery: one index instead of two.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE webhook_deliveries ADD COLUMN locked_by text;
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
    DROP INDEX webhook_deliveries_time;
    ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_workspace_id_fkey, DROP CONSTRAINT webhook_deliveries_target_id_fkey;
    ALTER TABLE webhook_attempts DROP CONSTRAINT webhook_attempts_delivery_id_fkey, DROP CONSTRAINT webhook_attempts_pkey;
    DROP INDEX webhook_attempts_delivery;
    ALTER TABLE webhook_attempts ADD PRIMARY KEY (delivery_id, id);
    DELETE FROM jobs WHERE name = 'webhook.deliver';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    INSERT INTO jobs (name, payload, status, run_at, max_attempts, created_at)
      SELECT 'webhook.deliver', jsonb_build_object('deliveryId', id), 'pending', coalesce(next_attempt_at, now()), 11, now()
      FROM webhook_deliveries WHERE status = 'pending';
    ALTER TABLE webhook_attempts DROP CONSTRAINT webhook_attempts_pkey;
    ALTER TABLE webhook_attempts ADD PRIMARY KEY (id);
    CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
    ALTER TABLE webhook_attempts ADD CONSTRAINT webhook_attempts_delivery_id_fkey FOREIGN KEY (delivery_id) REFERENCES webhook_deliveries (id);
    ALTER TABLE webhook_deliveries
      ADD CONSTRAINT webhook_deliveries_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES workspaces (id),
      ADD CONSTRAINT webhook_deliveries_target_id_fkey FOREIGN KEY (target_id) REFERENCES webhook_targets (id);
    CREATE INDEX webhook_deliveries_time ON webhook_deliveries (creation_time DESC, id DESC);
    DROP INDEX webhook_deliveries_due;
    ALTER TABLE webhook_deliveries DROP COLUMN locked_by;
  `.execute(db);
}
