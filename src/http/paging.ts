import { sql, type RawBuilder } from 'kysely';
import { errors } from './errors.js';

export interface SortField {
  field: string;
  column: string;
  desc: boolean;
}

/**
 * Parses ABP `Sorting` ("Name ASC, CreationTime DESC"): field names are case-insensitive and
 * limited to `allowed` (API name → column); anything else is a 400 naming `Sorting`.
 */
export function parseSorting(input: string | undefined, allowed: Record<string, string>, fallback: string): SortField[] {
  const text = input?.trim() ? input : fallback;
  const byLower = new Map(Object.entries(allowed).map(([name, column]) => [name.toLowerCase(), { name, column }]));
  return text.split(',').map((part) => {
    const [name = '', dir = 'asc', ...rest] = part.trim().split(/\s+/);
    const known = byLower.get(name.toLowerCase());
    const direction = dir.toLowerCase();
    if (!known || rest.length || (direction !== 'asc' && direction !== 'desc')) {
      throw errors.invalidField(
        'Sorting',
        `Sorting "${part.trim()}" is not valid: use "<Field> ASC|DESC" with a field among ${Object.keys(allowed).join(', ')}.`,
      );
    }
    return { field: known.name, column: known.column, desc: direction === 'desc' };
  });
}

/** ORDER BY for parsed fields, with `id` last so every list has a stable order. */
export function orderBy(fields: SortField[], table: string): RawBuilder<unknown> {
  const parts = fields.map((f) => sql`${sql.ref(`${table}.${f.column}`)} ${sql.raw(f.desc ? 'desc' : 'asc')}`);
  const idDesc = fields[0]?.desc ?? false;
  parts.push(sql`${sql.ref(`${table}.id`)} ${sql.raw(idDesc ? 'desc' : 'asc')}`);
  return sql.join(parts, sql`, `);
}
