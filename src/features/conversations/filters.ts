import { errors } from '../../lib/errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Hatif reads FromDate/ToDate without an offset as Saudi time (spec §3.26). */
const HATIF_OFFSET = '+03:00';
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const LOCAL = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$/;
const ZONED = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** A comma-separated list of ids ("a,b, c"; empty parts ignored), lowercased; a bad one → 400 naming the parameter. */
export function parseIdList(text: string, member: string): string[] {
  const ids = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = ids.find((id) => !UUID.test(id));
  if (bad !== undefined) throw errors.invalidField(member, `${member}: "${bad}" is not an id (comma-separated UUIDs).`);
  return [...new Set(ids.map((id) => id.toLowerCase()))];
}

/**
 * FromDate / ToDate of List Conversations: ISO-8601 with an offset is taken as given; without one
 * it is UTC+3 (Hatif's documented rule); a date alone is the start (from) or the end (to) of that
 * day in UTC+3.
 */
export function parseListDate(text: string, member: string, edge: 'from' | 'to'): Date {
  // An offset's `+` sent without URL-encoding arrives as a space: "…T12:00:00 03:00" is "+03:00".
  const value = text.trim().replace(/^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?) (\d{2}:?\d{2})$/, '$1+$2');
  let ms = NaN;
  if (DATE_ONLY.test(value)) {
    ms = Date.parse(`${value}T00:00:00${HATIF_OFFSET}`);
    if (edge === 'to') ms += 86_400_000 - 1;
  } else if (LOCAL.test(value)) ms = Date.parse(`${value.replace(' ', 'T')}${HATIF_OFFSET}`);
  else if (ZONED.test(value)) ms = Date.parse(value.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  // Date.parse rolls 2026-02-30 over to March; a date that does not exist is refused instead.
  const day = value.slice(0, 10);
  if (Number.isNaN(ms) || new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day) {
    throw errors.invalidField(member, `${member} "${text}" is not a date: use ISO-8601, e.g. 2026-03-17T12:00:00 (read as UTC+3) or 2026-03-17T09:00:00Z.`);
  }
  return new Date(ms);
}
