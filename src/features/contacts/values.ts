import { codes, PropertyType } from '../../lib/enums.js';
import { errors } from '../../lib/errors.js';
import { fold } from '../../lib/fold.js';
import { toE164 } from '../../lib/phone.js';
import type { ContactValuesTable, PropertyDefinitionRow } from '../../db/types.js';

/**
 * Typed property values: what each type accepts, how it is stored (one column of
 * `contact_values`) and how it reads back (spec §5.A `customProperties[]`).
 */
export const T = codes(PropertyType);

export type Stored = Pick<ContactValuesTable, 'text_value' | 'text_key' | 'number_value' | 'date_value' | 'bool_value' | 'list_value'>;
const EMPTY: Stored = { text_value: null, text_key: null, number_value: null, date_value: null, bool_value: null, list_value: null };
/** A text value and the folded key filters compare. */
const textual = (text: string): Stored => ({ ...EMPTY, text_value: text, text_key: fold(text) });

export type Definition = Pick<PropertyDefinitionRow, 'id' | 'name' | 'key' | 'type' | 'select_options'>;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** An email address, as far as a contact book checks one (something@domain.tld). */
export const isEmail = (text: string) => EMAIL.test(text);
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** A date: `YYYY-MM-DD` (midnight UTC) or ISO-8601 date-time (no offset = UTC); null if not one. */
export function parseDate(input: unknown): Date | null {
  if (typeof input !== 'string') return null;
  const text = input.trim();
  if (!DATE_ONLY.test(text) && !DATE_TIME.test(text)) return null;
  const iso = DATE_ONLY.test(text) ? `${text}T00:00:00Z` : /(Z|[+-]\d{2}:?\d{2})$/i.test(text) ? text : `${text}Z`;
  const date = new Date(iso.replace(' ', 'T'));
  return Number.isNaN(date.getTime()) ? null : date;
}

/** The option as the definition spells it, matched case-insensitively; undefined if none. */
export function optionOf(def: Definition, value: string): string | undefined {
  const lower = value.trim().toLowerCase();
  return def.select_options.find((o) => o.value.toLowerCase() === lower)?.value;
}

/**
 * `input` checked against `def`'s type and turned into its column; a value that does not fit is a
 * 400 naming `member`. Strings are accepted for every type (CSV and vCard imports, Hatif's
 * `{"value": "12"}`), so "12" is a Number and "true" a Boolean.
 */
export function toStored(def: Definition, input: unknown, member: string, region: string): Stored {
  const bad = (why: string) => errors.invalidField(member, `${member}: ${why} (property "${def.name}" is ${PropertyType[def.type as keyof typeof PropertyType]}).`);
  const asText = () => {
    if (typeof input === 'string') return input.trim();
    if (typeof input === 'number' || typeof input === 'boolean') return String(input);
    throw bad('expected a text value');
  };
  switch (def.type) {
    case T.Text: {
      const text = asText();
      if (!text) throw bad('the value is empty; send null to remove it');
      return textual(text);
    }
    case T.Number: {
      const n = typeof input === 'number' ? input : typeof input === 'string' && input.trim() !== '' ? Number(input.trim()) : NaN;
      if (!Number.isFinite(n)) throw bad(`${JSON.stringify(input)} is not a number`);
      return { ...EMPTY, number_value: n };
    }
    case T.Date: {
      const date = parseDate(input);
      if (!date) throw bad(`${JSON.stringify(input)} is not a date (YYYY-MM-DD or ISO-8601)`);
      return { ...EMPTY, date_value: date };
    }
    case T.Boolean: {
      const text = typeof input === 'string' ? input.trim().toLowerCase() : input;
      if (text === true || text === 'true' || text === '1' || text === 'yes') return { ...EMPTY, bool_value: true };
      if (text === false || text === 'false' || text === '0' || text === 'no') return { ...EMPTY, bool_value: false };
      throw bad(`${JSON.stringify(input)} is not a boolean`);
    }
    case T.Select: {
      const option = optionOf(def, asText());
      if (!option) throw bad(`${JSON.stringify(input)} is not one of the options ${def.select_options.map((o) => JSON.stringify(o.value)).join(', ')}`);
      return textual(option);
    }
    case T.MultiSelect: {
      const items = Array.isArray(input) ? input : typeof input === 'string' ? input.split(/[,;|]/) : [input];
      const chosen: string[] = [];
      for (const item of items) {
        if (typeof item !== 'string' || !item.trim()) continue;
        const option = optionOf(def, item);
        if (!option) throw bad(`${JSON.stringify(item)} is not one of the options ${def.select_options.map((o) => JSON.stringify(o.value)).join(', ')}`);
        if (!chosen.includes(option)) chosen.push(option);
      }
      if (!chosen.length) throw bad('no option given; send null to remove the value');
      return { ...EMPTY, list_value: chosen };
    }
    case T.Url: {
      const text = asText();
      if (!URL.canParse(text) || !['http:', 'https:'].includes(new URL(text).protocol)) throw bad(`${JSON.stringify(text)} is not an http(s) URL`);
      return textual(text);
    }
    case T.Email: {
      const text = asText().toLowerCase();
      if (!EMAIL.test(text)) throw bad(`${JSON.stringify(text)} is not an email address`);
      return textual(text);
    }
    case T.Phone: {
      const e164 = toE164(asText(), region);
      if (!e164) throw bad(`${JSON.stringify(input)} is not a phone number`);
      return textual(e164);
    }
    default:
      throw bad('this property type is not known');
  }
}

/** The stored value as one JSON value: string, number, boolean, ISO date or list. */
export function typedValue(row: Stored): unknown {
  if (row.list_value) return row.list_value;
  if (row.number_value !== null) return row.number_value;
  if (row.date_value) return row.date_value.toISOString();
  if (row.bool_value !== null) return row.bool_value;
  return row.text_value;
}

/** The value as history records it (text). */
export function historyText(row: Stored | undefined): string | null {
  if (!row) return null;
  const v = typedValue(row);
  return Array.isArray(v) ? v.join(', ') : v === null ? null : String(v);
}

/** Spec §5.A `customProperties[]` item. */
export function valueView(def: Definition, row: Stored) {
  return {
    propertyDefinitionId: def.id,
    propertyName: def.name,
    propertyKey: def.key,
    propertyType: def.type,
    textValue: def.type === T.Select ? null : row.text_value,
    numberValue: row.number_value,
    dateValue: row.date_value,
    selectValue: def.type === T.Select ? row.text_value : row.list_value ? row.list_value.join(', ') : null,
    booleanValue: row.bool_value,
    selectValues: row.list_value,
    value: typedValue(row),
  };
}

/**
 * Why a stored value cannot become a value of `to` (a type change or options removed), or null if
 * it can; `converted` is what it becomes.
 */
export function convert(to: Definition, row: Stored, region: string): { converted: Stored } | { reason: string } {
  const v = typedValue(row);
  try {
    return { converted: toStored(to, v, 'value', region) };
  } catch {
    return { reason: `${JSON.stringify(v)} does not fit` };
  }
}

/** `key` from a name: lower case, letters and digits (any script) joined by `_`. */
export function keyOf(name: string): string {
  return (
    name
      .normalize('NFKC')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, '_')
      .replace(/^_+|_+$/g, '') || 'property'
  );
}
