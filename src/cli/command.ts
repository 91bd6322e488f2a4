import type { AdminClient } from './client.js';
import { usageError } from './errors.js';

/** What a command is, and the small helpers every group uses to turn options into an admin call. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  /** Placeholder shown in usage, e.g. "ID". */
  value?: string;
  required?: boolean;
  help: string;
}

export type Values = Record<string, string | boolean | undefined>;

export interface Command {
  group: string;
  verb: string;
  summary: string;
  /** The one positional argument's placeholder, when the command takes one. */
  positional?: string;
  options: Record<string, OptionSpec>;
  /** Columns (dotted paths) of the --table view of a list; all top-level keys when absent. */
  columns?: readonly string[];
  /** The --table view when the answer is not a plain list or object (a detail with a sub-list, say). */
  table?: (result: unknown) => string;
  run(api: AdminClient, input: { id: string; values: Values }): Promise<unknown>;
}

export const seg = encodeURIComponent;
export const str = (v: Values, key: string) => (typeof v[key] === 'string' ? (v[key] as string) : undefined);

/** Drops absent fields so the API sees only what the operator gave. */
export const compact = (body: Record<string, unknown>) => Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));

/** The API takes an enum as its integer or its name; digits go as a number so either form works. */
export const enumArg = (value: string | undefined) => (value !== undefined && /^\d+$/.test(value.trim()) ? Number(value) : value);

/** For nullable settings an empty argument means "clear it" (sent as null). */
export const nullable = (value: string | undefined) => (value === '' ? null : value);

/** An update with nothing to change is a usage error, not an empty PATCH. */
export function changes(body: Record<string, unknown>, key: string) {
  if (!Object.keys(body).length) throw usageError(`${key} needs at least one option to change.`, key);
  return body;
}

/** A CLI-side count such as --limit: a whole number of at least 1, else a usage error. */
export function positiveInt(v: Values, name: string, key: string): number | undefined {
  const raw = str(v, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1) throw usageError(`--${name} must be a whole number of at least 1, got "${raw}".`, key);
  return Number(raw);
}

const PAGE = 1000;

/**
 * Every list answers one page at a time; the CLI shows them all, or the first `limit`.
 * `totalCount` stays the API's count, so a capped list still says how many matched.
 */
export async function listAll(api: AdminClient, path: string, options: { query?: Record<string, string | undefined>; limit?: number } = {}) {
  const { limit = Infinity } = options;
  const filter = Object.entries(options.query ?? {}).filter((e): e is [string, string] => e[1] !== undefined);
  const items: unknown[] = [];
  for (;;) {
    const take = Math.min(PAGE, limit - items.length);
    const query = new URLSearchParams([...filter, ['SkipCount', String(items.length)], ['MaxResultCount', String(take)]]);
    const page = await api.request<{ totalCount: number; items: unknown[] }>('GET', `${path}?${query}`);
    items.push(...page.items);
    if (!page.items.length || items.length >= page.totalCount || items.length >= limit) return { totalCount: page.totalCount, items };
  }
}

export const workspaceOption: OptionSpec = { type: 'string', value: 'ID', required: true, help: 'the workspace id' };
