import { sql, type Kysely } from 'kysely';

/**
 * Conversations and their timelines (features/conversations/README.md has the reasons):
 * - `conversations`: one per (channel, contact) while open (a unique partial index, so concurrent
 *   creates meet one row); the `last_event_*` columns, counts and `is_lost` are written with each
 *   event, in its transaction, so a list reads one row per conversation and filters by index.
 * - `conversation_events`: the timeline, one row per event of any kind (call, WhatsApp message,
 *   assignation, note, status change, AI summary); a thread's state is kept on its event.
 * - `conversation_tags`: the tag set; a tag in use cannot be deleted (409).
 * - `conversation_thread_messages`, `conversation_mentions`: internal threads and who they name.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE conversations (
      id uuid PRIMARY KEY,
      workspace_id uuid NOT NULL REFERENCES workspaces (id),
      channel_id uuid NOT NULL REFERENCES channels (id),
      contact_id uuid NOT NULL REFERENCES contacts (id),
      status smallint NOT NULL,
      sentiment smallint,
      assignee_id uuid REFERENCES workspace_users (id),
      ai_agent_id uuid REFERENCES workspace_users (id),
      -- Whoever it is assigned to, person or AI agent: AssigneeUserIds and GetUnAssigned read one index.
      assignee_key uuid GENERATED ALWAYS AS (coalesce(assignee_id, ai_agent_id)) STORED,
      last_activity_at timestamptz(3) NOT NULL,
      last_event_id uuid,
      last_event_source_type smallint,
      last_event_direction smallint,
      last_event_status text,
      last_event_preview text,
      last_event_at timestamptz(3),
      last_events_count integer NOT NULL DEFAULT 0,
      events_count integer NOT NULL DEFAULT 0,
      unread_count integer NOT NULL DEFAULT 0,
      is_lost boolean NOT NULL DEFAULT false,
      last_inbound_at timestamptz(3),
      creation_time timestamptz(3) NOT NULL,
      creator_id uuid,
      closed_at timestamptz(3),
      CHECK (assignee_id IS NULL OR ai_agent_id IS NULL)
    );
    CREATE UNIQUE INDEX conversations_open ON conversations (channel_id, contact_id) WHERE status = 1;
    CREATE INDEX conversations_contact ON conversations (contact_id, channel_id, creation_time DESC);
    CREATE INDEX conversations_activity ON conversations (channel_id, last_activity_at, id);
    CREATE INDEX conversations_status_activity ON conversations (channel_id, status, last_activity_at, id) INCLUDE (is_lost);
    CREATE INDEX conversations_assignee ON conversations (channel_id, assignee_key, status, last_activity_at, id);
    CREATE INDEX conversations_lost ON conversations (channel_id, status, last_activity_at, id) WHERE is_lost;
    CREATE INDEX conversations_created ON conversations (channel_id, creation_time, id);
    -- A channel's ids in order, with their contacts: a tag's conversations on the channel by a merge
    -- join of two indexes, a name's or a phone's by a hash join, neither reading the table.
    CREATE INDEX conversations_channel ON conversations (channel_id, id) INCLUDE (contact_id);

    CREATE TABLE conversation_tags (
      conversation_id uuid NOT NULL REFERENCES conversations (id),
      tag_id uuid NOT NULL REFERENCES tags (id),
      creation_time timestamptz(3) NOT NULL,
      PRIMARY KEY (conversation_id, tag_id)
    );
    CREATE INDEX conversation_tags_tag ON conversation_tags (tag_id, conversation_id);

    CREATE TABLE conversation_events (
      id uuid PRIMARY KEY,
      workspace_id uuid NOT NULL,
      conversation_id uuid NOT NULL REFERENCES conversations (id),
      contact_id uuid NOT NULL,
      channel_id uuid NOT NULL,
      source_type smallint NOT NULL,
      source_id uuid,
      direction smallint NOT NULL,
      creation_time timestamptz(3) NOT NULL,
      status text,
      error_code integer,
      failure_reason text,
      is_ai boolean NOT NULL DEFAULT false,
      attachment text,
      owner_user_id uuid,
      ai_agent_id uuid,
      duration_seconds integer,
      size_bytes integer,
      ringing_seconds integer,
      body text,
      handler_name text,
      message_type text,
      mime_type text,
      external_id text,
      ai_summary jsonb,
      reply_to_event_id uuid,
      location jsonb,
      assignation jsonb,
      data jsonb,
      thread_id uuid,
      thread_resolved boolean NOT NULL DEFAULT false,
      thread_message_count integer NOT NULL DEFAULT 0,
      last_modification_time timestamptz(3)
    );
    CREATE INDEX conversation_events_timeline ON conversation_events (conversation_id, creation_time, id);
    CREATE UNIQUE INDEX conversation_events_external ON conversation_events (channel_id, external_id) WHERE external_id IS NOT NULL;
    CREATE INDEX conversation_events_source ON conversation_events (source_id) WHERE source_id IS NOT NULL;

    CREATE TABLE conversation_thread_messages (
      id uuid PRIMARY KEY,
      workspace_id uuid NOT NULL,
      event_id uuid NOT NULL REFERENCES conversation_events (id),
      author_user_id uuid,
      author_name text,
      body text NOT NULL,
      mentions uuid[] NOT NULL,
      creation_time timestamptz(3) NOT NULL
    );
    CREATE INDEX conversation_thread_messages_event ON conversation_thread_messages (event_id, creation_time, id);

    CREATE TABLE conversation_mentions (
      id uuid PRIMARY KEY,
      workspace_id uuid NOT NULL,
      user_id uuid NOT NULL REFERENCES workspace_users (id),
      conversation_id uuid NOT NULL REFERENCES conversations (id),
      event_id uuid NOT NULL,
      thread_message_id uuid,
      creation_time timestamptz(3) NOT NULL,
      read_at timestamptz(3)
    );
    CREATE INDEX conversation_mentions_user ON conversation_mentions (user_id, creation_time, id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE conversation_mentions, conversation_thread_messages, conversation_events, conversation_tags, conversations`.execute(db);
}
