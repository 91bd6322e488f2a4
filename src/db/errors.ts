/** Driver errors that repos turn into API error codes. */
interface PgError {
  code?: string;
  constraint?: string;
}

export const isUniqueViolation = (err: unknown, constraint?: string): boolean =>
  (err as PgError)?.code === '23505' && (constraint === undefined || (err as PgError).constraint === constraint);

export const isForeignKeyViolation = (err: unknown): boolean => (err as PgError)?.code === '23503';
