import { sql, type Kysely } from 'kysely';

// Times are timestamptz(3): the API speaks milliseconds, so the store keeps exactly that.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE EXTENSION IF NOT EXISTS citext;

    CREATE TABLE settings (
      key text PRIMARY KEY,
      value jsonb NOT NULL,
      updated_at timestamptz(3) NOT NULL
    );

    CREATE TABLE signing_keys (
      kid text PRIMARY KEY,
      alg text NOT NULL,
      private_jwk jsonb NOT NULL,
      public_jwk jsonb NOT NULL,
      creation_time timestamptz(3) NOT NULL,
      retired_at timestamptz(3)
    );

    CREATE TABLE workspaces (
      id uuid PRIMARY KEY,
      name text NOT NULL,
      default_region text NOT NULL,
      creation_time timestamptz(3) NOT NULL
    );

    CREATE TABLE workspace_users (
      id uuid PRIMARY KEY,
      workspace_id uuid NOT NULL REFERENCES workspaces (id),
      user_id uuid NOT NULL,
      email text,
      name text,
      logo_url text,
      role smallint NOT NULL,
      is_ai_agent boolean NOT NULL,
      phone_number text,
      creation_time timestamptz(3) NOT NULL
    );
    CREATE INDEX workspace_users_workspace ON workspace_users (workspace_id, creation_time, id);
    CREATE UNIQUE INDEX workspace_users_email ON workspace_users (workspace_id, lower(email)) WHERE email IS NOT NULL;
    CREATE UNIQUE INDEX workspace_users_user ON workspace_users (workspace_id, user_id);

    CREATE TABLE service_accounts (
      id uuid PRIMARY KEY,
      workspace_id uuid NOT NULL REFERENCES workspaces (id),
      name text NOT NULL,
      client_id text NOT NULL UNIQUE,
      secret_hash text NOT NULL,
      scopes text[] NOT NULL,
      credential_version integer NOT NULL DEFAULT 1,
      disabled_at timestamptz(3),
      creation_time timestamptz(3) NOT NULL,
      last_modification_time timestamptz(3) NOT NULL
    );
    CREATE INDEX service_accounts_workspace ON service_accounts (workspace_id);

    CREATE TABLE channels (
      id uuid PRIMARY KEY,
      workspace_id uuid NOT NULL REFERENCES workspaces (id),
      name text NOT NULL,
      type smallint NOT NULL,
      icon text NOT NULL,
      phone_number text,
      phone_number_id uuid,
      phone_number_status smallint NOT NULL,
      region text,
      whatsapp jsonb,
      voice jsonb,
      whatsapp_webhook_url text,
      post_call_webhook_url text,
      webhook_secret text,
      smart_reconnect jsonb NOT NULL,
      inbound_agent jsonb,
      evaluation_template_id text,
      creator_id uuid NOT NULL,
      creation_time timestamptz(3) NOT NULL,
      last_modification_time timestamptz(3) NOT NULL,
      last_modifier_id uuid
    );
    CREATE INDEX channels_workspace ON channels (workspace_id, creation_time, id);

    CREATE TABLE tags (
      id uuid PRIMARY KEY,
      workspace_id uuid NOT NULL REFERENCES workspaces (id),
      name text NOT NULL,
      icon text,
      description text,
      is_pinned boolean NOT NULL,
      creation_time timestamptz(3) NOT NULL,
      last_modification_time timestamptz(3) NOT NULL
    );
    CREATE UNIQUE INDEX tags_name ON tags (workspace_id, lower(name));
    CREATE INDEX tags_workspace_time ON tags (workspace_id, creation_time, id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE tags, channels, service_accounts, workspace_users, workspaces, signing_keys, settings`.execute(db);
}
