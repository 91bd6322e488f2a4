/**
 * The least a client secret someone chose (rather than one Wasl generated) must be: long enough
 * and not one kind of character, so that guessing it online, even at the throttled rate of the
 * token endpoint, is hopeless. Returns what is wrong, or null.
 */
export const MIN_SECRET_LENGTH = 16;
export const MAX_SECRET_LENGTH = 256;

export function secretWeakness(secret: string): string | null {
  if (secret.length < MIN_SECRET_LENGTH) return `must be at least ${MIN_SECRET_LENGTH} characters long`;
  if (secret.length > MAX_SECRET_LENGTH) return `must be at most ${MAX_SECRET_LENGTH} characters long`;
  const kinds = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter((kind) => kind.test(secret)).length;
  if (kinds < 2) return 'must mix at least two kinds of characters (lower case, upper case, digits, symbols)';
  if (new Set(secret).size < 8) return 'must have at least 8 different characters';
  return null;
}
