import { sql, type RawBuilder } from 'kysely';
import { codes, FilterOperator } from '../../lib/enums.js';
import { errors } from '../../lib/errors.js';
import { escapeLike, fold } from '../../lib/fold.js';
import { toE164 } from '../../lib/phone.js';
import type { StandardField } from './contacts.schemas.js';
import { optionOf, parseDate, T, type Definition } from './values.js';

/**
 * Contact search: a filter tree (OR of AND-groups, ANDed with Hatif's `customPropertyFilters` and
 * the free-text query) checked against the property types, then compiled to SQL twice — as a
 * predicate on `contacts c` (the page: the planner may walk the sort index and probe each filter)
 * and, when every filter is a positive test of a custom property, as set algebra over
 * `contact_values` alone (the count, from index-only scans, never reading `contacts`). The
 * operator table and its semantics are in README.md; `matches()` in the tests mirrors them.
 */
export const Op = codes(FilterOperator);
type OpCode = (typeof Op)[keyof typeof Op];

export type Target = { kind: 'field'; field: StandardField } | { kind: 'property'; def: Definition };
export interface Leaf {
  target: Target;
  op: OpCode;
  /** Checked and converted: strings (folded/lowered as the target compares), numbers, Dates, booleans. */
  values: (string | number | Date | boolean)[];
}
export type Node = { and: Node[] } | { or: Node[] } | Leaf;

const TEXT_OPS: OpCode[] = [Op.Equals, Op.NotEquals, Op.Contains, Op.NotContains, Op.StartsWith, Op.In, Op.NotIn, Op.IsSet, Op.IsNotSet];
const ORDERED_OPS: OpCode[] = [Op.Equals, Op.NotEquals, Op.GreaterThan, Op.GreaterThanOrEqual, Op.LessThan, Op.LessThanOrEqual, Op.Between, Op.IsSet, Op.IsNotSet];

/** Which operators each property type (and standard field) allows. */
export const OPERATORS: Record<number, OpCode[]> = {
  [T.Text]: TEXT_OPS,
  [T.Url]: TEXT_OPS,
  [T.Email]: TEXT_OPS,
  [T.Phone]: TEXT_OPS,
  [T.Number]: [...ORDERED_OPS, Op.In, Op.NotIn],
  [T.Date]: ORDERED_OPS,
  [T.Select]: [Op.Equals, Op.NotEquals, Op.In, Op.NotIn, Op.IsSet, Op.IsNotSet],
  [T.MultiSelect]: [Op.Equals, Op.Contains, Op.NotContains, Op.In, Op.NotIn, Op.IsSet, Op.IsNotSet],
  [T.Boolean]: [Op.Equals, Op.NotEquals, Op.IsSet, Op.IsNotSet],
};
const FIELD_TYPE: Record<StandardField, number> = {
  name: T.Text,
  phoneNumber: T.Phone,
  email: T.Text,
  company: T.Text,
  position: T.Text,
  creationTime: T.Date,
  lastModificationTime: T.Date,
};
export const typeOf = (target: Target) => (target.kind === 'field' ? FIELD_TYPE[target.field] : target.def.type);

const NEGATIVE: Partial<Record<OpCode, OpCode>> = {
  [Op.NotEquals]: Op.Equals,
  [Op.NotContains]: Op.Contains,
  [Op.NotIn]: Op.In,
  [Op.IsNotSet]: Op.IsSet,
};
/** NotEquals, NotContains, NotIn and IsNotSet are exactly NOT of their positive: an unset value matches them. */
export const positiveOf = (op: OpCode): OpCode | undefined => NEGATIVE[op];

const opName = (op: number) => FilterOperator[op as keyof typeof FilterOperator] ?? String(op);
const phoneDigits = (text: string) => text.replace(/[^\d]/g, '');

/**
 * One filter as the client sent it → a checked Leaf; a wrong pairing or value is a 400 naming
 * `member` (e.g. `filterGroups[0].filters[1]`).
 */
export function leaf(target: Target, op: number, raw: unknown, member: string, region: string): Leaf {
  const type = typeOf(target);
  const label = target.kind === 'field' ? target.field : `property "${target.def.name}"`;
  const fail = (why: string) => errors.invalidField(member, `${member}: ${why}`);
  if (!OPERATORS[type]!.includes(op as OpCode)) {
    throw fail(`operator ${opName(op)} does not apply to ${label}; use one of ${OPERATORS[type]!.map(opName).join(', ')}.`);
  }
  const operator = op as OpCode;
  const list = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
  const wanted = operator === Op.IsSet || operator === Op.IsNotSet ? 0 : operator === Op.Between ? 2 : operator === Op.In || operator === Op.NotIn || type === T.MultiSelect ? -1 : 1;
  if (wanted === 0) return { target, op: operator, values: [] };
  if (wanted === 2 && list.length !== 2) throw fail(`Between takes [from, to].`);
  if (wanted === 1 && list.length !== 1) throw fail(`${opName(op)} takes one value.`);
  if (wanted === -1 && (list.length < 1 || list.length > 1000)) throw fail(`${opName(op)} takes 1 to 1000 values.`);

  const values = list.map((v) => {
    const text = typeof v === 'string' ? v.trim() : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null;
    if (text === null) throw fail(`${JSON.stringify(v)} is not a value.`);
    switch (type) {
      case T.Number: {
        const n = typeof v === 'number' ? v : text === '' ? NaN : Number(text);
        if (!Number.isFinite(n)) throw fail(`${JSON.stringify(v)} is not a number.`);
        return n;
      }
      case T.Date: {
        const date = parseDate(text);
        if (!date) throw fail(`${JSON.stringify(v)} is not a date (YYYY-MM-DD or ISO-8601).`);
        return date;
      }
      case T.Boolean: {
        const lower = text.toLowerCase();
        if (lower !== 'true' && lower !== 'false') throw fail(`${JSON.stringify(v)} is not true or false.`);
        return lower === 'true';
      }
      case T.Select:
      case T.MultiSelect: {
        const option = target.kind === 'property' ? optionOf(target.def, text) : undefined;
        if (!option) throw fail(`${JSON.stringify(v)} is not an option of ${label}.`);
        return type === T.Select ? fold(option) : option;
      }
      case T.Phone: {
        if (operator === Op.Equals || operator === Op.NotEquals || operator === Op.In || operator === Op.NotIn) {
          const e164 = toE164(text, region);
          if (!e164) throw fail(`${JSON.stringify(v)} is not a phone number.`);
          return e164;
        }
        const digits = phoneDigits(text);
        if (!digits) throw fail(`${JSON.stringify(v)} has no digits.`);
        return digits;
      }
      default: {
        const folded = fold(text);
        if (!folded) throw fail('the value is empty.');
        return folded;
      }
    }
  });
  return { target, op: operator, values };
}

// SQL.

const FIELD_SQL: Record<StandardField, RawBuilder<unknown>> = {
  name: sql`c.search_name`,
  phoneNumber: sql`c.phone_number`,
  email: sql`c.search_email`,
  company: sql`c.search_company`,
  position: sql`c.search_position`,
  creationTime: sql`c.creation_time`,
  lastModificationTime: sql`c.last_modification_time`,
};

const list = (values: unknown[], type: number) =>
  type === T.Number ? sql`${values}::float8[]` : type === T.Date ? sql`${values.map((v) => (v as Date).toISOString())}::timestamptz[]` : sql`${values}::text[]`;

/** A positive operator on `column` (of a standard field or a value column). */
function compare(column: RawBuilder<unknown>, type: number, op: OpCode, values: Leaf['values']): RawBuilder<unknown> {
  const [a, b] = values;
  // Phones are stored as +digits; a prefix is given in digits.
  const phonePattern = type === T.Phone;
  switch (op) {
    case Op.Equals:
      if (type === T.MultiSelect) return sql`(${column} @> ${list(values, type)} AND ${column} <@ ${list(values, type)})`;
      return sql`${column} = ${a}`;
    case Op.Contains:
      if (type === T.MultiSelect) return sql`${column} @> ${list(values, type)}`;
      return sql`${column} LIKE ${`%${escapeLike(String(a))}%`}`;
    case Op.StartsWith:
      return sql`${column} LIKE ${`${phonePattern ? '+' : ''}${escapeLike(String(a))}%`}`;
    case Op.GreaterThan:
      return sql`${column} > ${a}`;
    case Op.GreaterThanOrEqual:
      return sql`${column} >= ${a}`;
    case Op.LessThan:
      return sql`${column} < ${a}`;
    case Op.LessThanOrEqual:
      return sql`${column} <= ${a}`;
    case Op.Between:
      return sql`${column} BETWEEN ${a} AND ${b}`;
    case Op.In:
      if (type === T.MultiSelect) return sql`${column} && ${list(values, type)}`;
      return sql`${column} = ANY(${list(values, type)})`;
    case Op.IsSet:
      return sql`${column} IS NOT NULL`;
    default:
      throw new Error(`not a positive operator: ${op}`);
  }
}

/** Text kinds compare `text_key` (folded in JS, as the filter values are), which contact_values_text indexes. */
const VALUE_COLUMN: Record<number, RawBuilder<unknown>> = {
  [T.Text]: sql`v.text_key`,
  [T.Url]: sql`v.text_key`,
  [T.Email]: sql`v.text_key`,
  [T.Phone]: sql`v.text_key`,
  [T.Select]: sql`v.text_key`,
  [T.Number]: sql`v.number_value`,
  [T.Date]: sql`v.date_value`,
  [T.Boolean]: sql`v.bool_value`,
  [T.MultiSelect]: sql`v.list_value`,
};

/** The positive test of a property leaf as a condition on `v` (a `contact_values` row of its definition). */
function valueCondition(def: Definition, op: OpCode, values: Leaf['values']) {
  if (op === Op.IsSet) return sql`TRUE`;
  return compare(VALUE_COLUMN[def.type]!, def.type, op, values);
}

/**
 * `probe`: the page walks the sort index and tests each contact (`OFFSET 0` keeps each property
 * test a per-row lookup by primary key instead of a set built first) — right when matches are
 * dense, very wrong for a rare value, so the caller chooses it from the planner's estimate.
 */
function positiveLeaf(l: Leaf, op: OpCode, probe: boolean): RawBuilder<unknown> {
  if (l.target.kind === 'property') {
    const fence = probe ? sql` OFFSET 0` : sql``;
    return sql`EXISTS (SELECT 1 FROM contact_values v WHERE v.definition_id = ${l.target.def.id} AND v.contact_id = c.id AND ${valueCondition(l.target.def, op, l.values)}${fence})`;
  }
  const field = l.target.field;
  if (field === 'name' && op === Op.IsSet) return sql`TRUE`;
  return compare(FIELD_SQL[field], FIELD_TYPE[field], op, l.values);
}

const isLeaf = (n: Node): n is Leaf => 'target' in n;

/** The tree as a predicate on `contacts c`. */
export function predicate(node: Node, probe = false): RawBuilder<unknown> {
  if (isLeaf(node)) {
    const positive = positiveOf(node.op);
    // NOT of a standard-field comparison must also take NULL columns (an unset email is "not equal").
    return positive ? sql`NOT coalesce(${positiveLeaf(node, positive, probe)}, FALSE)` : positiveLeaf(node, node.op, probe);
  }
  const parts = ('and' in node ? node.and : node.or).map((n) => predicate(n, probe));
  if (!parts.length) return sql`TRUE`;
  return sql`(${sql.join(parts, 'and' in node ? sql` AND ` : sql` OR `)})`;
}

/**
 * The set of matching contact ids from `contact_values` alone, when every leaf is a positive
 * property test (only live contacts have values); otherwise null.
 */
export function valueSet(node: Node): RawBuilder<unknown> | null {
  if (isLeaf(node)) {
    if (node.target.kind !== 'property' || positiveOf(node.op)) return null;
    return sql`SELECT v.contact_id FROM contact_values v WHERE v.definition_id = ${node.target.def.id} AND ${valueCondition(node.target.def, node.op, node.values)}`;
  }
  const children = ('and' in node ? node.and : node.or).map(valueSet);
  if (!children.length || children.some((c) => c === null)) return null;
  if (children.length === 1) return children[0]!;
  return sql`(${sql.join(
    children.map((c) => sql`(${c})`),
    'and' in node ? sql` INTERSECT ` : sql` UNION `,
  )})`;
}

/** Digits to look for in phone numbers: a whole number in any form (national too) as its E.164 digits, else the digits given. */
export function phoneFragment(text: string, region: string): string {
  const e164 = toE164(text, region);
  return e164 ? e164.slice(1) : phoneDigits(text);
}

/** Free text: the folded name, the phone's digits or the email contains it. */
export function freeText(query: string, region = 'SA'): Node {
  const parts: Node[] = [];
  const folded = fold(query);
  if (folded) parts.push({ target: { kind: 'field', field: 'name' }, op: Op.Contains, values: [folded] });
  const digits = phoneDigits(query);
  if (digits.length >= 3 && digits.length === query.replace(/[\s+\-().]/g, '').length) {
    parts.push({ target: { kind: 'field', field: 'phoneNumber' }, op: Op.Contains, values: [phoneFragment(query, region)] });
  }
  if (folded) parts.push({ target: { kind: 'field', field: 'email' }, op: Op.Contains, values: [folded] });
  return { or: parts };
}
