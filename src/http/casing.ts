import { enumValue, type EnumTable } from '../lib/enums.js';
import type { ValidationIssue } from '../lib/errors.js';

/**
 * Hatif binds request names case-insensitively (ChannelId = channelId = channelid), at every
 * depth and for query names, and accepts enum names for integer enums. A Shape, compiled once
 * per route from its schema, lets one pass rename keys to the schema's spelling and turn enum
 * names into integers before validation, so handlers see one spelling.
 */
export interface Shape {
  props?: Map<string, { key: string; shape?: Shape }>;
  items?: Shape;
  enumTable?: EnumTable;
}

type JsonSchema = {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  'x-enumNames'?: string[];
  content?: Record<string, { schema?: unknown }>;
};

function merge(into: Shape, from: Shape | undefined): Shape {
  if (!from) return into;
  if (from.props) {
    into.props ??= new Map();
    for (const [k, v] of from.props) if (!into.props.has(k)) into.props.set(k, v);
  }
  into.items ??= from.items;
  into.enumTable ??= from.enumTable;
  return into;
}

export function compileShape(schema: unknown): Shape | undefined {
  if (!schema || typeof schema !== 'object') return undefined;
  const s = schema as JsonSchema;
  const shape: Shape = {};
  if (s.properties) {
    shape.props = new Map();
    for (const [key, child] of Object.entries(s.properties)) {
      shape.props.set(key.toLowerCase(), { key, shape: compileShape(child) });
    }
  }
  if (s.items) shape.items = compileShape(s.items);
  const names = s['x-enumNames'];
  if (names && Array.isArray(s.enum)) {
    shape.enumTable = Object.fromEntries(s.enum.map((v, i) => [v, names[i]]));
  }
  for (const variant of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])]) {
    merge(shape, compileShape(variant));
  }
  // A body with a schema per content type (`body: { content: { 'application/json': { schema } } }`).
  for (const media of Object.values(s.content ?? {})) merge(shape, compileShape(media.schema));
  return shape.props || shape.items || shape.enumTable ? shape : undefined;
}

const member = (path: string, key: string) => (path ? `${path}.${key}` : key);

export function normalise(value: unknown, shape: Shape | undefined, path: string, issues: ValidationIssue[]): unknown {
  if (!shape) return value;
  if (shape.enumTable && (typeof value === 'string' || typeof value === 'number')) {
    return enumValue(shape.enumTable, value) ?? value; // unknown names are left for the validator to report
  }
  if (Array.isArray(value)) {
    return shape.items ? value.map((v, i) => normalise(v, shape.items, `${path}[${i}]`, issues)) : value;
  }
  if (value === null || typeof value !== 'object' || !shape.props) return value;
  const out: Record<string, unknown> = {};
  const seen = new Map<string, string>();
  for (const [given, v] of Object.entries(value)) {
    const known: { key: string; shape?: Shape } | undefined = shape.props.get(given.toLowerCase());
    const key = known ? known.key : given;
    const first = seen.get(key);
    if (first !== undefined) {
      issues.push({ message: `The field ${member(path, key)} was given twice, as "${first}" and "${given}".`, members: [member(path, key)] });
      continue;
    }
    seen.set(key, given);
    out[key] = known ? normalise(v, known.shape, member(path, key), issues) : v;
  }
  return out;
}
