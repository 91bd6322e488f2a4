import { PREPARED } from './prepared.js';
import type { Statement } from './transaction.js';

/**
 * An INSERT that reads no table (its rows from VALUES or from unnest of its parameters): it may
 * ride as a data-modifying CTE, where it sees the snapshot the statement started with.
 */
const INSERT = /^insert\s+into\s+([\w.]+)\s*\([^)]*\)\s*(values\s*\(|select\s+\*\s+from\s+unnest\s*\()/i;
const DOLLAR_IN_LITERAL = /'[^']*\$[^']*'|\$\$/;

/** The combined text of each combination of fixed texts, made once. */
const made = new Map<string, string>();

/**
 * The writes a transaction sends with its COMMIT (`transaction.beforeCommit`), joined into fewer
 * statements: each prepared INSERT that follows a prepared statement becomes a data-modifying CTE
 * of it (`WITH …, _w1 AS (INSERT …) <its statement>`), its `$n` numbered on. A send's event append,
 * its job and its stream row are then one statement — one parse-free execution and one answer
 * instead of three (each costs ~30–50 µs of the server's and the database's CPU, BENCHMARKS.md
 * "WhatsApp").
 *
 * Safe because only INSERTs that read no table are folded in: the parts of one statement run on one
 * snapshot and see none of each other's rows, so an UPDATE, a DELETE or an INSERT … SELECT FROM a
 * table (any of which might read or touch a row another part writes) is never folded. The parts run
 * in an order PostgreSQL does not promise, so two INSERTs into one table are never joined (the
 * queue's per-key order follows its ids). A failure of any part fails the statement, as it failed
 * the COMMIT before. Texts not
 * marked `prepared` (built per call) are sent as they are: a combination of fixed texts is itself
 * fixed and runs prepared.
 */
export function combine(statements: Statement[]): Statement[] {
  const out: Statement[] = [];
  let head: { texts: string[]; values: unknown[]; tables: Set<string> } | null = null;
  const flush = () => {
    if (!head) return;
    out.push(head.texts.length === 1 ? { text: head.texts[0]!, values: head.values } : { text: combinedText(head.texts), values: head.values });
    head = null;
  };
  for (const s of statements) {
    const fixed = s.text.startsWith(PREPARED) && !DOLLAR_IN_LITERAL.test(s.text);
    const table = fixed ? INSERT.exec(s.text.slice(PREPARED.length))?.[1]?.toLowerCase() : undefined;
    if (head && table && !head.tables.has(table)) {
      head.texts.push(s.text);
      head.values.push(...s.values);
      head.tables.add(table);
      continue;
    }
    flush();
    if (fixed) head = { texts: [s.text], values: [...s.values], tables: insertedInto(s.text) };
    else out.push(s);
  }
  flush();
  return out;
}

function combinedText(texts: string[]): string {
  const key = texts.join('\u0000');
  let text = made.get(key);
  if (text) return text;
  const [first, ...rest] = texts.map((t) => t.slice(PREPARED.length));
  const { ctes, body } = splitWith(first!);
  let offset = parameters(first!);
  const folded = rest.map((t, i) => {
    const renumbered = t.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
    offset += parameters(t);
    return `_w${i + 1} AS (${renumbered})`;
  });
  text = `${PREPARED}WITH ${[...ctes, ...folded].join(', ')} ${body}`;
  made.set(key, text);
  return text;
}

/** The tables a text inserts into. */
const insertedInto = (text: string) => new Set([...text.matchAll(/insert\s+into\s+([\w.]+)/gi)].map((m) => m[1]!.toLowerCase()));

/** The highest `$n` of a text (its parameter count). */
const parameters = (text: string) => Math.max(0, ...[...text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));

/**
 * A statement's CTEs (each `name AS (…)`, as written) and the statement after them; none for a
 * statement without WITH. Parentheses are counted outside quoted text.
 */
export function splitWith(text: string): { ctes: string[]; body: string } {
  const trimmed = text.trim();
  if (!/^with\s/i.test(trimmed)) return { ctes: [], body: trimmed };
  const ctes: string[] = [];
  let i = 4;
  let start = i;
  let depth = 0;
  let quote: string | null = null;
  for (; i < trimmed.length; i++) {
    const c = trimmed[i]!;
    if (quote) {
      if (c === quote) quote = null;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) {
      ctes.push(trimmed.slice(start, i + 1).trim());
      const next = /^\s*,/.exec(trimmed.slice(i + 1));
      if (!next) return { ctes, body: trimmed.slice(i + 1).trim() };
      i += next[0].length;
      start = i + 1;
    }
  }
  throw new Error(`combine: cannot read the WITH list of: ${trimmed.slice(0, 80)}`);
}
