import { sql, type Kysely } from 'kysely';

/**
 * Sign-in for people (issue 11). A person is a workspace user who can sign in: credentials hang
 * on the workspace user (one row in `people` per user, made when a first link is issued), so a
 * sign-in lands in that user's workspace. The sign-in email is unique across the installation
 * among people who have a password (an email signs in to one workspace; global people with
 * several memberships can come later without changing sessions or links).
 * - `people`: sign-in email (lower-cased), password as an argon2id PHC string, disabled flag,
 *   language and digit preferences.
 * - `person_sessions`: one row a sign-in; only the SHA-256 of the cookie's value is stored.
 * - `person_links`: one-time invitation and password-reset links; only the SHA-256 of the token.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE people (
      user_id uuid PRIMARY KEY REFERENCES workspace_users (id),
      workspace_id uuid NOT NULL REFERENCES workspaces (id),
      email text,
      password_hash text,
      password_changed_at timestamptz(3),
      disabled_at timestamptz(3),
      language text,
      digits text,
      creation_time timestamptz(3) NOT NULL,
      last_modification_time timestamptz(3) NOT NULL
    );
    CREATE UNIQUE INDEX people_email ON people (email) WHERE password_hash IS NOT NULL;
    CREATE INDEX people_workspace ON people (workspace_id);

    CREATE TABLE person_sessions (
      id uuid PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES people (user_id),
      workspace_id uuid NOT NULL,
      token_sha256 text NOT NULL,
      creation_time timestamptz(3) NOT NULL,
      last_seen_at timestamptz(3) NOT NULL,
      idle_expires_at timestamptz(3) NOT NULL,
      expires_at timestamptz(3) NOT NULL,
      user_agent text,
      ip text,
      revoked_at timestamptz(3)
    );
    CREATE UNIQUE INDEX person_sessions_token ON person_sessions (token_sha256);
    CREATE INDEX person_sessions_user ON person_sessions (user_id, creation_time);

    CREATE TABLE person_links (
      id uuid PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES people (user_id),
      workspace_id uuid NOT NULL,
      purpose text NOT NULL CHECK (purpose IN ('invitation', 'password-reset')),
      token_sha256 text NOT NULL,
      creation_time timestamptz(3) NOT NULL,
      expires_at timestamptz(3) NOT NULL,
      used_at timestamptz(3)
    );
    CREATE UNIQUE INDEX person_links_token ON person_links (token_sha256);
    CREATE INDEX person_links_user ON person_links (user_id, creation_time);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE person_links, person_sessions, people`.execute(db);
}
