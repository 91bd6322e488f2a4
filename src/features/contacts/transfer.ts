import type { PropertyDefinitionRow } from '../../db/types.js';
import { errors } from '../../lib/errors.js';
import { CsvStream, detectDelimiter, mapHeader } from './csv.js';
import type { ImportItem, ImportRecord } from './import.service.js';
import { keyOf, typedValue, type Stored } from './values.js';
import { VCardStream, type CardResult } from './vcard.js';

/**
 * Files in and out of the contact book: request bodies (streams of bytes) → import items, and
 * contacts → CSV or vCard text. Decoding is strict UTF-8 (a byte that is not → 400), in a
 * streaming decoder, so a body of any size is read in flat memory.
 */
async function* text(body: AsyncIterable<Buffer | string>, limit: number): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let bytes = 0;
  try {
    for await (const chunk of body) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      bytes += buffer.length;
      if (bytes > limit) throw errors.tooLarge(limit);
      yield decoder.decode(buffer, { stream: true });
    }
    yield decoder.decode();
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_ENCODING_INVALID_ENCODED_DATA') throw errors.malformedBody('it is not valid UTF-8.');
    throw err;
  }
}

const cardItem = (r: CardResult): ImportItem =>
  r.card
    ? { index: r.index, record: { ...r.card, customFields: {}, properties: [] } }
    : { index: r.index, error: { name: r.error?.name ?? null, reason: r.error?.reason ?? 'not a vCard' } };

/** vCards from a raw `text/vcard` body, as they complete. */
export async function* vcardItems(body: AsyncIterable<Buffer | string>, limit: number): AsyncGenerator<ImportItem> {
  const stream = new VCardStream();
  for await (const chunk of text(body, limit)) for (const r of stream.push(chunk)) yield cardItem(r);
  for (const r of stream.end()) yield cardItem(r);
}

/** vCards from the JSON variants: an array of card texts, or one string of many cards. */
export function* vcardTexts(cards: string[] | string): Generator<ImportItem> {
  const stream = new VCardStream();
  for (const card of Array.isArray(cards) ? cards : [cards]) for (const r of stream.push(`${card}\n`)) yield cardItem(r);
  for (const r of stream.end()) yield cardItem(r);
}

/**
 * CSV rows → import items. The header row names standard fields (English or Arabic aliases,
 * see csv.ts), property keys or names; any other column becomes a custom field.
 */
export async function* csvItems(body: AsyncIterable<Buffer | string>, limit: number, definitions: PropertyDefinitionRow[]): AsyncGenerator<ImportItem> {
  let csv: CsvStream | null = null;
  let columns: ((record: ImportRecord, value: string) => void)[] | null = null;
  let index = 0;
  const byRef = new Map<string, PropertyDefinitionRow>();
  for (const d of definitions) for (const ref of [d.id, d.key, d.name.toLowerCase(), keyOf(d.name)]) byRef.set(ref, d);

  function* rows(batch: string[][]): Generator<ImportItem> {
    for (const row of batch) {
      if (!columns) {
        const mapped = mapHeader(row);
        if (mapped.errors.length) throw errors.invalidField('header', `The CSV header is not valid: ${mapped.errors.join('; ')}`);
        if (!mapped.columns.some((c) => c && 'field' in c && c.field === 'phoneNumber')) {
          throw errors.invalidField('header', 'The CSV header has no phone column (phone, phoneNumber, mobile, whatsapp, رقم الجوال …).');
        }
        columns = mapped.columns.map((c, i) => {
          if (!c) return () => {};
          if ('field' in c) {
            const field = c.field;
            if (field === 'phoneNumber') return (r, v) => void r.phones.push(v);
            return (r, v) => void (r[field] = v);
          }
          const header = row[i]!.trim();
          const def = byRef.get(header) ?? byRef.get(header.toLowerCase()) ?? byRef.get(keyOf(header));
          if (def) return (r, v) => void r.properties!.push([def, v]);
          return (r, v) => void (r.customFields![header] = v);
        });
        continue;
      }
      if (row.every((cell) => !cell.trim())) continue;
      const record: ImportRecord = { name: null, phones: [], email: null, company: null, position: null, note: null, customFields: {}, properties: [] };
      row.forEach((value, i) => {
        if (value.trim()) columns![i]?.(record, value);
      });
      yield { index: index++, record };
    }
  }

  try {
    for await (const chunk of text(body, limit)) {
      csv ??= new CsvStream({ delimiter: detectDelimiter(chunk.split(/\r?\n/, 1)[0] ?? '') });
      yield* rows(csv.push(chunk));
    }
    if (csv) yield* rows(csv.end());
  } catch (err) {
    if (err instanceof Error && err.name === 'CsvError') throw errors.invalidField('body', `The CSV is not valid: ${err.message}`);
    throw err;
  }
  if (!columns) throw errors.invalidField('header', 'The CSV is empty: the first row must name the columns.');
}

// Export.

export interface ExportContact {
  id: string;
  name: string;
  phone_number: string;
  email: string | null;
  company: string | null;
  position: string | null;
  creation_time: Date;
  values: Map<string, Stored>;
}

const csvCell = (value: unknown) => {
  const s = value === null || value === undefined ? '' : Array.isArray(value) ? value.join(', ') : value instanceof Date ? value.toISOString() : String(value);
  // A leading = + - @ would run as a formula in a spreadsheet (CSV injection): quoted with a '.
  const safe = /^[=+\-@\t\r]/.test(s) && !/^[+-]?\d/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

export function csvHeader(definitions: PropertyDefinitionRow[]) {
  return `${['id', 'name', 'phoneNumber', 'email', 'company', 'position', 'creationTime', ...definitions.map((d) => d.key)].map(csvCell).join(',')}\r\n`;
}

export function csvRow(c: ExportContact, definitions: PropertyDefinitionRow[]) {
  const props = definitions.map((d) => {
    const v = c.values.get(d.id);
    return v ? typedValue(v) : null;
  });
  return `${[c.id, c.name, c.phone_number, c.email, c.company, c.position, c.creation_time, ...props].map(csvCell).join(',')}\r\n`;
}

/** vCard 3.0 text: escaped, lines folded at 75 octets (RFC 2426 / 6350). */
export function vcard(c: ExportContact): string {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/,/g, '\\,').replace(/;/g, '\\;');
  const lines = ['BEGIN:VCARD', 'VERSION:3.0', `FN:${esc(c.name)}`, `N:;${esc(c.name)};;;`, `TEL;type=CELL;type=VOICE;waid=${c.phone_number.slice(1)}:${c.phone_number}`];
  if (c.email) lines.push(`EMAIL;type=INTERNET:${esc(c.email)}`);
  if (c.company) lines.push(`ORG:${esc(c.company)}`);
  if (c.position) lines.push(`TITLE:${esc(c.position)}`);
  lines.push('END:VCARD');
  return `${lines.map(foldLine).join('\r\n')}\r\n`;
}

function foldLine(line: string): string {
  if (Buffer.byteLength(line) <= 75) return line;
  const parts: string[] = [];
  let current = '';
  let size = 0;
  for (const ch of line) {
    const n = Buffer.byteLength(ch);
    if (size + n > (parts.length ? 74 : 75)) {
      parts.push(current);
      current = '';
      size = 0;
    }
    current += ch;
    size += n;
  }
  parts.push(current);
  return parts.join('\r\n ');
}
