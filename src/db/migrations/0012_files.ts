import { sql, type Kysely } from 'kysely';

/**
 * Files (issue 9 "Media"): `files`, one row per file a workspace sent or received (its type, size,
 * hash and display name; the bytes under `storage_key` in the file storage), and the database
 * storage adapter's own tables: `storage_objects` (one per key, a SHA-256 of the bytes) and
 * `storage_parts` (the bytes in 512 KiB rows). The two storage tables stay empty with
 * FILE_STORAGE=local.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE files (
      id uuid PRIMARY KEY,
      workspace_id uuid NOT NULL REFERENCES workspaces (id),
      storage_key text NOT NULL,
      mime_type text NOT NULL,
      size_bytes integer NOT NULL,
      sha256 text NOT NULL,
      file_name text,
      source text NOT NULL,
      created_at timestamptz(3) NOT NULL
    );
    CREATE INDEX files_workspace ON files (workspace_id, created_at);
    CREATE INDEX files_storage_key ON files (storage_key);

    CREATE TABLE storage_objects (
      key text PRIMARY KEY,
      mime_type text NOT NULL,
      size_bytes integer NOT NULL,
      parts integer NOT NULL,
      created_at timestamptz(3) NOT NULL DEFAULT now()
    );
    CREATE TABLE storage_parts (
      key text NOT NULL REFERENCES storage_objects (key),
      part integer NOT NULL,
      bytes bytea NOT NULL,
      PRIMARY KEY (key, part)
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE storage_parts; DROP TABLE storage_objects; DROP TABLE files`.execute(db);
}
