/**
 * Text folded for search, the same in every store: compatibility-decomposed (Arabic presentation
 * forms → letters), marks removed (Latin accents, Arabic tashkeel, the hamza of أ إ آ ؤ ئ),
 * tatweel removed, ى → ي and ة → ه (the spellings people interchange), lower case, single
 * spaces. PostgreSQL's `lower()` depends on the store's locale (PGlite's differs from the
 * server's), so folded text is computed here and stored beside the original.
 */
export function fold(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\p{Mn}\u0640]/gu, '')
    .replace(/\u0649/g, '\u064A')
    .replace(/\u0629/g, '\u0647')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** `value` with LIKE's wildcards escaped (the default escape character is `\`). */
export const escapeLike = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);
