import { sql, type Kysely } from 'kysely';

// Outgoing webhooks: one target per (workspace, URL) with its health, one delivery per event and
// target (its body is stored as sent, so retries are byte-identical), one row per attempt.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE workspaces
      ADD COLUMN events_webhook_url text,
      ADD COLUMN webhook_secret text,
      ADD COLUMN previous_webhook_secret text,
      ADD COLUMN webhook_secret_rotated_at timestamptz(3);
    ALTER TABLE channels
      ADD COLUMN previous_webhook_secret text,
      ADD COLUMN webhook_secret_rotated_at timestamptz(3);

    CREATE TABLE webhook_targets (
      id uuid PRIMARY KEY,
      workspace_id uuid NOT NULL REFERENCES workspaces (id),
      url text NOT NULL,
      failing_since timestamptz(3),
      last_success_at timestamptz(3),
      last_failure_at timestamptz(3),
      disabled_at timestamptz(3),
      disabled_reason text,
      creation_time timestamptz(3) NOT NULL,
      UNIQUE (workspace_id, url)
    );

    CREATE TABLE webhook_deliveries (
      id uuid PRIMARY KEY,
      workspace_id uuid NOT NULL REFERENCES workspaces (id),
      channel_id uuid,
      target_id uuid NOT NULL REFERENCES webhook_targets (id),
      url text NOT NULL,
      event_type text NOT NULL,
      body text NOT NULL,
      signer text NOT NULL,
      status text NOT NULL,
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz(3),
      last_status_code integer,
      last_error text,
      creation_time timestamptz(3) NOT NULL,
      delivered_at timestamptz(3),
      CONSTRAINT webhook_deliveries_status CHECK (status IN ('pending', 'delivered', 'failed', 'skipped')),
      CONSTRAINT webhook_deliveries_signer CHECK (signer IN ('channel', 'workspace'))
    );
    CREATE INDEX webhook_deliveries_time ON webhook_deliveries (creation_time DESC, id DESC);
    CREATE INDEX webhook_deliveries_workspace ON webhook_deliveries (workspace_id, creation_time DESC);
    CREATE INDEX webhook_deliveries_status ON webhook_deliveries (status, creation_time) WHERE status IN ('failed', 'skipped');

    CREATE TABLE webhook_attempts (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id),
      attempted_at timestamptz(3) NOT NULL,
      status_code integer,
      latency_ms integer NOT NULL,
      error text,
      response_excerpt text
    );
    CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE webhook_attempts, webhook_deliveries, webhook_targets;
    ALTER TABLE channels DROP COLUMN previous_webhook_secret, DROP COLUMN webhook_secret_rotated_at;
    ALTER TABLE workspaces DROP COLUMN events_webhook_url, DROP COLUMN webhook_secret,
      DROP COLUMN previous_webhook_secret, DROP COLUMN webhook_secret_rotated_at;
  `.execute(db);
}
