import pg from 'pg';

/**
 * Counts the statements this process sends to the database, by their first words (e.g.
 * `insert into "webhook_deliveries"`, `with due as`, `begin`). webhooks.bench.ts imports it in
 * the driver and loads it in the server (`node --import ./bench/webhooks-statements.ts`); the
 * server prints its counts on stderr (`STATEMENTS {…}`) when sent SIGUSR2.
 */
const counts = new Map<string, number>();
/** Each distinct text's kind, worked out once: the counting must not cost the server more per statement than a map lookup (it would tax the side with more statements). */
const kinds = new Map<string, string>();
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  const first = args[0] as string | { text?: string } | undefined;
  const raw = typeof first === 'string' ? first : (first?.text ?? '');
  let kind = kinds.get(raw);
  if (kind === undefined) {
    kind = kindOf(raw);
    if (kinds.size < 10_000) kinds.set(raw, kind);
  }
  counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return query.apply(this, args);
} as typeof pg.Client.prototype.query;

function kindOf(raw: string): string {
  // A prepared statement's text starts with a marker comment (src/db/prepared.ts): count what follows.
  let text = raw.trim().replace(/\s+/g, ' ').toLowerCase().replace(/^\/\* prepared \*\/ /, '');
  // Queue bookkeeping starts with the lazy-commit CTE (jobs.repo.ts LAZY_COMMIT): name what follows.
  const lazy = /^with "?_lazy_commit"? as materialized \(select set_config\([^)]*\)(?: as "on")?\),? ?/.exec(text);
  if (lazy) text = text.slice(lazy[0].length).replace(/^(?=[a-z_]+ as \()/, 'with ');
  return (lazy ? 'lazy ' : '') + (/^(?:with \w+ as|select pg_notify|select|insert into \S+|update \S+|delete from \S+|\w+)/.exec(text)?.[0] ?? '?');
}

export const statementCounts = () => Object.fromEntries(counts) as Record<string, number>;

/** What was counted since `before` (a snapshot of `statementCounts()`), without the zeros. */
export const countsSince = (before: Record<string, number>, after: Record<string, number> = statementCounts()) =>
  Object.fromEntries(Object.entries(after).map(([k, n]) => [k, n - (before[k] ?? 0)]).filter(([, n]) => (n as number) > 0)) as Record<string, number>;

process.on('SIGUSR2', () => process.stderr.write(`STATEMENTS ${JSON.stringify(statementCounts())}\n`));
