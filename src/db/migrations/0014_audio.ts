import { sql, type Kysely } from 'kysely';

/**
 * Uploaded audio (issue 10 "Audio"): one `audio_files` row per upload, naming the converted WAV's
 * `files` row and the public URL's token — kept as its SHA-256 only, so the URLs cannot be
 * rebuilt from a copy of the database. The WAV bytes are in the file storage like any file.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE audio_files (
      token_sha256 text PRIMARY KEY,
      file_id uuid NOT NULL REFERENCES files (id),
      workspace_id uuid NOT NULL REFERENCES workspaces (id),
      duration_ms integer NOT NULL,
      input_format text NOT NULL,
      created_at timestamptz(3) NOT NULL
    );
    CREATE INDEX audio_files_workspace ON audio_files (workspace_id, created_at);
    CREATE INDEX audio_files_file ON audio_files (file_id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE audio_files`.execute(db);
}
