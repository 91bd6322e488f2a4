import { sql, type Kysely } from 'kysely';

/** What `whatsapp_known_recipient` raises when a send's recipient is not as the caller knew it. */
export const STALE_RECIPIENT = 'WASL1';

/**
 * A send to a recipient this node sent to before (features/whatsapp/README.md "A known
 * recipient") writes its event with no read first: the event's statement updates the
 * conversation only if it is still the open one of the live contact with that number on that
 * channel (and, for free text, inside the 24-hour window), and ends by passing the number of rows
 * it updated to this function, which raises STALE_RECIPIENT when that is none. The transaction
 * then rolls back and the caller sends again the long way, which decides afresh (a new
 * conversation, a new contact, or 422 for a closed window).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION whatsapp_known_recipient(updated bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
    BEGIN
      IF updated = 0 THEN
        RAISE EXCEPTION 'the recipient of this send is not as it was known' USING ERRCODE = ${sql.lit(STALE_RECIPIENT)};
      END IF;
    END
    $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP FUNCTION whatsapp_known_recipient(bigint)`.execute(db);
}
