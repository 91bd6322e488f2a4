import { sql, type Kysely } from 'kysely';

/**
 * Calls on a callback provider (TwiML, issue 10): the IVR engine's state between the provider's
 * callbacks, so any API node can answer any callback. `seq` counts the engine's steps; each TwiML
 * answer names the step it leads to, so a callback the provider retries (or a stale one) gets the
 * stored answer again instead of moving the engine twice.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE twiml_calls (
      call_id uuid PRIMARY KEY REFERENCES calls (id),
      ivr_id uuid NOT NULL REFERENCES outbound_ivr (id),
      channel_id uuid NOT NULL REFERENCES channels (id),
      provider_call_id text,
      script jsonb NOT NULL,
      prompts jsonb NOT NULL,
      state jsonb NOT NULL,
      seq integer NOT NULL,
      last_answer text,
      finished boolean NOT NULL,
      created_at timestamptz(3) NOT NULL
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE twiml_calls`.execute(db);
}
