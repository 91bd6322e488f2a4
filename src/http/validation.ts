import { Ajv, type ErrorObject, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { ValidationIssue } from './errors.js';

// ajv-formats is CommonJS; its default export arrives one level down under NodeNext.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

function makeAjv(options: Options): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, useDefaults: true, removeAdditional: true, verbose: true, ...options });
  addFormats(ajv);
  ajv.addKeyword({ keyword: 'x-enumNames' });
  return ajv;
}

// Bodies are typed JSON: a string is not a number. Query strings and paths are text, so they coerce.
const bodyAjv = makeAjv({ coerceTypes: false });
const textAjv = makeAjv({ coerceTypes: 'array' });

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;

function memberOf(error: ErrorObject): string {
  const parts = error.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const extra = (error.params as { missingProperty?: string; additionalProperty?: string });
  const last = extra.missingProperty ?? extra.additionalProperty;
  if (last) parts.push(last);
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
    case 'additionalProperties':
      return `${field} is not a known field.`;
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
