import { STALE_RECIPIENT } from './migrations/0023_known_recipient.js';

/** Driver errors that repos turn into API error codes. */
interface PgError {
  code?: string;
  constraint?: string;
}

export const isUniqueViolation = (err: unknown, constraint?: string): boolean =>
  (err as PgError)?.code === '23505' && (constraint === undefined || (err as PgError).constraint === constraint);

export const isForeignKeyViolation = (err: unknown): boolean => (err as PgError)?.code === '23503';

/** A known recipient's send found its recipient changed (migration 0023, `whatsapp_known_recipient`). */
export const isStaleRecipient = (err: unknown): boolean => (err as PgError)?.code === STALE_RECIPIENT;
