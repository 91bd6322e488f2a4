import { errors } from '../lib/errors.js';
import type { PageRequest, SortField } from '../lib/paging.js';

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

/** Hatif's paging query (`SkipCount`, `MaxResultCount`, `Sorting`) → the domain's `{ skip, take, sort }`. */
export function pageRequest(
  query: { SkipCount: number; MaxResultCount: number; Sorting?: string },
  allowed: Record<string, string>,
  fallback: string,
): PageRequest {
  return { skip: query.SkipCount, take: query.MaxResultCount, sort: parseSorting(query.Sorting, allowed, fallback) };
}
