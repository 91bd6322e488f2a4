import { sql, type Kysely } from 'kysely';

/**
 * Voice (issue 10): `calls`, one row per call of a channel, inbound or outbound (what the Call
 * Webhook and `GET /v1/call/list` show; its timeline event is `event_id`); `outbound_ivr`, one row
 * per `POST /v1/outbound-ivr` request (the record of spec §3.23, its engine's progress, and the
 * call it made); `tts_prompts`, rendered TTS prompts by text and voice (their WAV in the file storage).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE calls (
      id uuid PRIMARY KEY,
      workspace_id uuid NOT NULL REFERENCES workspaces (id),
      channel_id uuid NOT NULL REFERENCES channels (id),
      contact_id uuid,
      conversation_id uuid,
      event_id uuid,
      direction smallint NOT NULL,
      status smallint NOT NULL,
      caller_number text,
      callee_number text,
      provider text NOT NULL,
      provider_call_id text,
      user_id uuid,
      ringing_at timestamptz(3),
      pickup_at timestamptz(3),
      hangup_at timestamptz(3),
      hangup_cause text,
      recording_url text,
      created_at timestamptz(3) NOT NULL
    );
    CREATE INDEX calls_list ON calls (workspace_id, created_at, id);

    CREATE TABLE outbound_ivr (
      id uuid PRIMARY KEY,
      workspace_id uuid NOT NULL REFERENCES workspaces (id),
      channel_id uuid NOT NULL REFERENCES channels (id),
      external_id text,
      destination_number text NOT NULL,
      audio_file_url text,
      tts_text text,
      tts_voice smallint NOT NULL,
      audio_type smallint NOT NULL,
      welcome_message_file_url text,
      success_message_file_url text,
      failed_message_file_url text,
      options jsonb NOT NULL,
      webhook_url text NOT NULL,
      max_audio_retries smallint NOT NULL,
      input_timeout_ms integer NOT NULL,
      digit_timeout_ms integer NOT NULL,
      status smallint NOT NULL,
      result smallint NOT NULL,
      pressed_digit text,
      initiated_at timestamptz(3),
      ringing_at timestamptz(3),
      answered_at timestamptz(3),
      completed_at timestamptz(3),
      call_id uuid REFERENCES calls (id),
      error_message text,
      hangup_cause text,
      created_at timestamptz(3) NOT NULL
    );
    CREATE UNIQUE INDEX outbound_ivr_external_id ON outbound_ivr (workspace_id, external_id) WHERE external_id IS NOT NULL;
    CREATE INDEX outbound_ivr_workspace ON outbound_ivr (workspace_id, created_at);

    CREATE TABLE tts_prompts (
      key text PRIMARY KEY,
      storage_key text NOT NULL,
      duration_ms integer NOT NULL,
      created_at timestamptz(3) NOT NULL
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE tts_prompts; DROP TABLE outbound_ivr; DROP TABLE calls`.execute(db);
}
