import { sql, type RawBuilder } from 'kysely';

import type { SortField } from '../lib/paging.js';

/** ORDER BY for parsed fields, with `id` last so every list has a stable order. */
export function orderBy(fields: SortField[], table: string): RawBuilder<unknown> {
  const parts = fields.map((f) => sql`${sql.ref(`${table}.${f.column}`)} ${sql.raw(f.desc ? 'desc' : 'asc')}`);
  const idDesc = fields[0]?.desc ?? false;
  parts.push(sql`${sql.ref(`${table}.id`)} ${sql.raw(idDesc ? 'desc' : 'asc')}`);
  return sql.join(parts, sql`, `);
}

/** Selected beside a page's rows: the whole list's size, so one statement answers both. */
export const withTotal = () => sql<number>`count(*) over ()::int`.as('total_count');

/**
 * `{ totalCount, items }` from rows selected `withTotal()`. A page past the end has no row to
 * carry the total; only then is the separate `count` asked.
 */
export async function pageOf<R extends { total_count: number }>(rows: R[], skip: number, count: () => Promise<number>) {
  const totalCount = rows[0]?.total_count ?? (skip > 0 ? await count() : 0);
  return { totalCount, items: rows.map(({ total_count: _, ...row }) => row) };
}
