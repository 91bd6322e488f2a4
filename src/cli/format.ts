/** How results reach stdout: pretty JSON by default, a plain aligned table with --table. */
export const formatJson = (value: unknown): string => `${JSON.stringify(value ?? null, null, 2)}\n`;

type Row = string[];

/** Scalars as text, null as "-", "" as "", nested objects as one-line JSON so each row stays one line. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (value === '') return '""';
  if (typeof value === 'string') return value.replace(/\s*\n\s*/g, ' ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function at(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function align(rows: Row[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  // The last column is not padded, so lines carry no trailing spaces.
  return rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')).join('\n') + '\n';
}

/**
 * A list (an array, or a page `{totalCount, items}`) becomes one row per item under a header;
 * `columns` (dotted paths) picks them, else every top-level key seen. Anything else becomes
 * key/value rows.
 */
export function formatTable(value: unknown, columns?: readonly string[]): string {
  const items = Array.isArray(value) ? value : isPage(value) ? value.items : undefined;
  if (items) {
    if (!items.length) return '(no items)\n';
    const keys = columns ? [...columns] : [...new Set(items.flatMap((item) => (item && typeof item === 'object' ? Object.keys(item) : [])))];
    return align([keys, ...items.map((item) => keys.map((k) => cell(at(item, k))))]);
  }
  if (value !== null && typeof value === 'object') {
    return align(Object.entries(value).map(([k, v]) => [k, cell(v)]));
  }
  return `${cell(value)}\n`;
}

/**
 * A record with one sub-list (a delivery and its attempts): the record's key/value rows, then
 * `heading` and the sub-list as a table.
 */
export function formatWithList(value: unknown, key: string, heading: string, columns?: readonly string[]): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return formatTable(value);
  const { [key]: list, ...rest } = value as Record<string, unknown>;
  return `${formatTable(rest)}\n${heading}\n${formatTable(Array.isArray(list) ? list : [], columns)}`;
}

const isPage = (value: unknown): value is { items: unknown[] } =>
  typeof value === 'object' && value !== null && Array.isArray((value as { items?: unknown }).items);
