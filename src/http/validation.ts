import { Ajv, type ErrorObject, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { Static, TSchema } from 'typebox';
import { errors, type ValidationIssue } from '../lib/errors.js';
import { compileShape, normalise } from './casing.js';

// ajv-formats is CommonJS; its default export arrives one level down under NodeNext.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

/** What PostgreSQL's `uuid` accepts and Wasl hands out: 8-4-4-4-12 hex, nothing around it (no `urn:uuid:`, no braces). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// timestamptz and JavaScript share this range once year 0 (which PostgreSQL lacks) is left out.
const EARLIEST = Date.parse('0001-01-01T00:00:00Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

function makeAjv(options: Options): Ajv {
  // Unknown fields are dropped, not refused (decisions.md), so no additionalProperties error is ever raised.
  const ajv = new Ajv({ strict: false, allErrors: true, useDefaults: true, removeAdditional: true, verbose: true, ...options });
  addFormats(ajv);
  ajv.addFormat('uuid', UUID);
  // RFC 3339 allows a leap second (23:59:60) that a JavaScript Date cannot hold: a date-time must be both.
  const rfc3339 = ajv.formats['date-time'] as { validate: (s: string) => boolean; compare: (a: string, b: string) => number | undefined };
  ajv.addFormat('date-time', {
    type: 'string',
    validate: (s: string) => {
      if (!rfc3339.validate(s)) return false;
      const t = Date.parse(s);
      return t >= EARLIEST && t <= LATEST;
    },
    compare: rfc3339.compare,
  });
  ajv.addKeyword({ keyword: 'x-enumNames' });
  return ajv;
}

// Bodies are typed JSON: a string is not a number. Query strings and paths are text, so they coerce.
const bodyAjv = makeAjv({ coerceTypes: false });
const textAjv = makeAjv({ coerceTypes: 'array' });

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;

/**
 * A query parameter that carries JSON (the export's `?filter=`, the search body): parsed, its
 * names matched case-insensitively and validated as a body would be, every problem naming
 * `<member>.<field>`. Absent → undefined.
 */
export function jsonParameter<T extends TSchema>(schema: T, member: string) {
  const shape = compileShape(schema);
  const check = bodyAjv.compile(schema);
  return (text: string | undefined): Static<T> | undefined => {
    if (!text) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw errors.invalidField(member, `${member} must be JSON.`);
    }
    const issues: ValidationIssue[] = [];
    value = normalise(value, shape, '', issues);
    if (!issues.length && !check(value)) issues.push(...toIssues(check.errors ?? []));
    if (issues.length) throw errors.invalid(issues.map((i) => ({ ...i, members: i.members.map((m) => `${member}.${m}`) })));
    return value as Static<T>;
  };
}

function memberOf(error: ErrorObject): string {
  const parts = error.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const missing = (error.params as { missingProperty?: string }).missingProperty;
  if (missing) parts.push(missing);
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

function describe(error: ErrorObject, member: string): string {
  const field = member || 'The request body';
  const p = error.params as Record<string, unknown>;
  const schema = error.parentSchema as { 'x-enumNames'?: string[]; enum?: unknown[] } | undefined;
  switch (error.keyword) {
    case 'required':
      return `The ${field} field is required.`;
    case 'type':
      return `${field} must be ${[p.type].flat().join(' or ')}.`;
    case 'enum': {
      const names = schema?.['x-enumNames'];
      const allowed = (p.allowedValues as unknown[]).map((v, i) => (names ? `${v} (${names[i]})` : JSON.stringify(v)));
      return `${field} must be one of ${allowed.join(', ')}.`;
    }
    case 'format':
      return `${field} must be a valid ${p.format}.`;
    case 'minLength':
      return p.limit === 1 ? `${field} must not be empty.` : `${field} must be at least ${p.limit} characters long.`;
    case 'maxLength':
      return `${field} must be at most ${p.limit} characters long.`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${field} must be ${p.comparison} ${p.limit}.`;
    case 'minItems':
      return `${field} must have at least ${p.limit} items.`;
    case 'maxItems':
      return `${field} must have at most ${p.limit} items.`;
    case 'pattern':
      return `${field} has an invalid format.`;
    default:
      return `${field} ${error.message ?? 'is invalid'}.`;
  }
}

/** ajv errors → one issue per field and message, naming the field as the client spells it canonically. */
export function toIssues(errors: ErrorObject[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  // An enum's "must be one of …" says all there is; its "must be integer" beside it is noise.
  const enumMembers = new Set(errors.filter((e) => e.keyword === 'enum').map(memberOf));
  for (const error of errors) {
    if (error.keyword === 'anyOf' || error.keyword === 'oneOf' || error.keyword === 'if') continue;
    const member = memberOf(error);
    if (error.keyword === 'type' && enumMembers.has(member)) continue;
    const message = describe(error, member);
    if (seen.has(message)) continue;
    seen.add(message);
    issues.push({ message, members: member ? [member] : [] });
  }
  return issues;
}
