import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { orderBy } from '../src/db/paging.js';
import { CONTACT_SORT_FIELDS } from '../src/features/contacts/contacts.schemas.js';
import { createContactsRepo, PROBE_WALK } from '../src/features/contacts/contacts.repo.js';
import { COUNT_COST_LIMIT } from '../src/db/estimate.js';
import { createPropertiesRepo } from '../src/features/contacts/properties.repo.js';
import { freeText, leaf, predicate, valueSet, type Node, type Target } from '../src/features/contacts/search.js';
import { parseSorting } from '../src/http/paging.js';
import { FilterOperator } from '../src/lib/enums.js';
import { alternate, bareServer, cpuMeter, cpuRow, cpuTable, explainAnalyze, httpLatencies, loop, machineLine, ms as f, oneLine, openBenchApp, runOn, serveCommands, startServer, storeEnv, type Loop, type Statement } from './compare-lib.js';
import { DEFAULT_DATA_DIR, DEFAULT_PG, searches, WORKSPACE_NAME } from './contacts-lib.js';
import { log, storeFlags, storeOptions } from './lib.js';

/**
 * Contact search at scale (issue 7, "Scale") on a store made by contacts-generate.ts. The real
 * server runs in a child process (this file with --serve); for each search the driver posts it to
 * /v1/contacts/search with autocannon, alternating with bare Fastify in the child sending the
 * app's answer after the same statements (the HTTP floor, compare-lib `bareServer`) and with the
 * same statements sent straight to the server's pool by the child (as repo.search and the views
 * do), at the same concurrency; then the page alone and the count alone; then EXPLAIN (ANALYZE,
 * BUFFERS) of both. Markdown on stdout.
 */
const { values: flags } = parseArgs({
  options: {
    serve: { type: 'boolean' },
    ...storeFlags(DEFAULT_PG, DEFAULT_DATA_DIR),
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '2' },
    'count-duration': { type: 'string', default: '5' },
    connections: { type: 'string', default: '8' },
    'count-cap': { type: 'string', default: '10000' },
    export: { type: 'boolean', default: false },
    'sql-count': { type: 'string', default: 'app' },
    queries: { type: 'string', default: 'a,b,c,d,e' },
    help: { type: 'boolean' },
  },
});
if (flags.help) {
  process.stdout.write(`npm run bench:contacts -- [--store=postgres|pglite] [--pg=${DEFAULT_PG}] [--data-dir=${DEFAULT_DATA_DIR}]
  [--duration=10] [--rounds=2] [--warmup=2] [--count-duration=5] [--connections=8] [--count-cap=1000] [--sql-count=exact|bounded|estimate] [--queries=a,b,c,d,e ('' for none: --export alone)]
  --sql-count=app (default): every statement the app sends for a search (estimate; page, probing when ≥ --count-cap; exact count below it; the page's values and notes);
  --sql-count=exact: page + exact count; bounded: the SQL baseline counts as the bounded alternative does (for a server patched to count so);
  estimate: the planner's estimate of the count when it is ≥ --count-cap, else the exact count.
  First: node --import tsx bench/contacts-generate.ts --store=… (see its header).\n`);
  process.exit(0);
}

const PAGE = { skip: 0, take: 10, sort: parseSorting(undefined, CONTACT_SORT_FIELDS, 'CreationTime DESC') };
type Mode = 'both' | 'page' | 'count' | 'bounded' | 'estimate';

// --- the server side (child process) ---------------------------------------------------------

interface SearchBody {
  query?: string;
  customPropertyFilters?: { propertyDefinitionId: string; operator: number | string; value?: unknown }[];
  filterGroups?: { filters: { field?: string; propertyDefinitionId?: string; propertyKey?: string; operator: number | string; value?: unknown }[] }[];
}
const opCode = (op: number | string) => (typeof op === 'number' ? op : Number(Object.entries(FilterOperator).find(([, name]) => name === op)![0]));

async function serve() {
  const bench = await openBenchApp(WORKSPACE_NAME, 'bench/contacts-generate.ts');
  const { store } = bench;
  const ws = { id: bench.workspaceId };

  // The tree as contacts.service.ts compile() builds it, then repo.search()'s two statements.
  const defs = await createPropertiesRepo(store.db).list(ws.id);
  const byRef = new Map(defs.flatMap((d) => [[d.id, d] as const, [d.key, d] as const]));
  const target = (f: { field?: string; propertyDefinitionId?: string; propertyKey?: string }): Target =>
    f.field ? ({ kind: 'field', field: f.field } as Target) : { kind: 'property', def: byRef.get((f.propertyDefinitionId ?? f.propertyKey)!)! };
  const treeOf = (body: SearchBody): Node => {
    const and: Node[] = (body.customPropertyFilters ?? []).map((f, i) => leaf(target(f), opCode(f.operator), f.value, `customPropertyFilters[${i}]`, 'SA'));
    const or: Node[] = (body.filterGroups ?? []).map((g, gi) => ({ and: g.filters.map((f, i) => leaf(target(f), opCode(f.operator), f.value, `filterGroups[${gi}].filters[${i}]`, 'SA')) }));
    if (or.length) and.push(or.length === 1 ? or[0]! : { or });
    if (body.query?.trim()) and.push(freeText(body.query));
    return and.length === 1 ? and[0]! : { and };
  };
  const live = sql`c.workspace_id = ${ws.id} AND c.deletion_time IS NULL`;
  const liveEstimate = await createContactsRepo(store.db).liveEstimate(ws.id);
  // A measured alternative (not what the app does): count at most CAP + 1 matches, stopping early.
  const cap = Number(process.env.BENCH_COUNT_CAP ?? 1000);
  const statements: Record<string, { page: Statement; probe: Statement; matching: Statement; count: Statement; bounded: Statement; countFrom: string }> = {};
  for (const [name, s] of Object.entries(searches(new Map(defs.map((d) => [d.key, d.id]))))) {
    const tree = treeOf(s.body as SearchBody);
    const where = predicate(tree);
    const set = valueSet(tree);
    const page = sql`
        SELECT c.* FROM contacts c WHERE ${live} AND ${where}
        ORDER BY ${orderBy(PAGE.sort, 'c')} OFFSET ${PAGE.skip} LIMIT ${PAGE.take}
      `.compile(store.db);
    const probe = sql`
        SELECT c.* FROM contacts c WHERE ${live} AND ${predicate(tree, true)}
        ORDER BY ${orderBy(PAGE.sort, 'c')} OFFSET ${PAGE.skip} LIMIT ${PAGE.take}
      `.compile(store.db);
    const matchingSql = set ?? sql`SELECT c.id FROM contacts c WHERE ${live} AND ${where}`;
    const matching = sql`EXPLAIN (FORMAT JSON) ${matchingSql}`.compile(store.db);
    const count = sql`SELECT count(*)::int AS n FROM (${matchingSql}) s`.compile(store.db);
    const bounded = sql`SELECT count(*)::int AS n FROM (SELECT 1 FROM contacts c WHERE ${live} AND ${where} LIMIT ${cap + 1}) s`.compile(store.db);
    statements[name] = { page, probe, matching, count, bounded, countFrom: set ? 'contact_values (valueSet)' : 'contacts (predicate)' };
  }

  const run = (s: Statement) => runOn(store.pool, s);
  /** What repo.search() sends: the page, then the count unless the page is short. */
  async function once(name: string, mode: Mode) {
    const st = statements[name]!;
    if (mode === 'both' && process.env.BENCH_SQL_COUNT === 'bounded') mode = 'bounded';
    if (mode === 'both' && process.env.BENCH_SQL_COUNT === 'estimate') mode = 'estimate';
    if (mode === 'both' && process.env.BENCH_SQL_COUNT === 'app') {
      // Exactly repo.search(): the estimate, the page (probing per row when dense), the count only when not dense.
      const plan = (await run(st.matching)).rows[0]['QUERY PLAN'][0].Plan;
      const estimate = Math.round(plan['Plan Rows']);
      const probing = ((PAGE.skip + PAGE.take) * liveEstimate) / Math.max(estimate, 1) <= PROBE_WALK;
      const dense = estimate >= cap || plan['Total Cost'] >= COUNT_COST_LIMIT;
      const { rows } = await run(probing ? st.probe : st.page);
      // Then, as search.service.ts does, the page's values and notes (two statements at once).
      const ids = rows.map((r: { id: string }) => r.id);
      const details = Promise.all([
        store.pool.query({ text: 'SELECT * FROM contact_values WHERE contact_id = ANY($1::uuid[])', values: [ids] }),
        store.pool.query({ text: 'SELECT * FROM contact_notes WHERE contact_id = ANY($1::uuid[]) ORDER BY creation_time, id', values: [ids] }),
      ]);
      const total = rows.length < PAGE.take || dense ? (dense ? Math.max(estimate, rows.length) : rows.length) : Number((await run(st.count)).rows[0].n);
      await details;
      return total;
    }
    if (mode === 'count') return Number((await run(st.count)).rows[0].n);
    const { rows } = await run(st.page);
    if (mode === 'page') return rows.length;
    const short = rows.length < PAGE.take && (rows.length > 0 || PAGE.skip === 0);
    if (short) return rows.length;
    if (mode === 'estimate') {
      // The planner's estimate of the count's input when it is at least the cap; else the exact count.
      const plan = await store.pool.query({ text: `EXPLAIN (FORMAT JSON) ${st.count.sql}`, values: st.count.parameters as unknown[] });
      const estimate = Math.round(plan.rows[0]['QUERY PLAN'][0].Plan.Plans?.[0]?.['Plan Rows'] ?? 0);
      if (estimate >= cap) return estimate;
    }
    return Number((await run(mode === 'bounded' ? st.bounded : st.count)).rows[0].n);
  }
  const [{ n: contacts }] = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM contacts WHERE workspace_id = ${ws.id} AND deletion_time IS NULL`.execute(store.db)).rows as [{ n: number }];
  const bare = bareServer();
  await serveCommands(bench, { contacts, statements }, async (c) => {
    const query = c.query as string;
    if (c.op === 'bare') return bare.answer(query, c.answer as string, () => once(query, 'both'));
    if (c.op === 'loop') return loop(() => once(query, c.mode as Mode), c.seconds as number, c.concurrency as number);
    if (c.op === 'check') {
      const { rows } = await run(statements[query]!.page);
      return { ids: rows.map((r: { id: string }) => r.id), totalCount: await once(query, 'both') };
    }
    if (c.op === 'explain') {
      const st = statements[query]!;
      const explain = (s: Statement) => explainAnalyze(store.pool, s);
      return { page: await explain(st.page), probe: await explain(st.probe), estimate: (await run(st.matching)).rows[0]['QUERY PLAN'][0].Plan['Plan Rows'], count: await explain(st.count), bounded: await explain(st.bounded) };
    }
    throw new Error(`unknown op ${c.op}`);
  });
}

// --- the driver -----------------------------------------------------------------------------

async function drive() {
  const options = storeOptions(flags.store!, flags.pg!, flags['data-dir']!);
  const env: Record<string, string> = { BENCH_COUNT_CAP: flags['count-cap']!, BENCH_SQL_COUNT: flags['sql-count']!, ...storeEnv(options) };
  const connections = Number(flags.connections);
  const duration = Number(flags.duration);
  const rounds = Number(flags.rounds);
  const warmup = Number(flags.warmup);
  const countDuration = Number(flags['count-duration']);
  const began = loadavg();
  log(`${flags.store}: starting the server (--serve) …`);
  const { child, info, ask, url, bearer, close } = await startServer<{ engine: string; appPort: number; contacts: number; clientId: string; clientSecret: string; statements: Record<string, { page: Statement; count: Statement; bounded: Statement; countFrom: string }> }>('bench/contacts.bench.ts', env);
  try {
    const headers = { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' };
    const defsRes = await fetch(`${url}/v1/contact-property-definitions`, { headers });
    const defs = (await defsRes.json()) as { id: string; key: string }[];
    const bodies = searches(new Map(defs.map((d) => [d.key, d.id])));

    const http = (body: object, seconds: number) => httpLatencies(url, connections, seconds, { method: 'POST', path: '/v1/contacts/search', headers, body: JSON.stringify(body) });

    const rows: string[] = [];
    const cpuRows: string[] = [];
    const explains: string[] = [];
    const meter = cpuMeter(child.pid!);
    for (const name of flags.queries!.split(',').filter(Boolean)) {
      const s = bodies[name];
      if (!s) throw new Error(`no query ${name}`);
      const load0 = loadavg()[0]!;
      // The app's answer must be the SQL's: same total, same first page.
      const appText = await (await fetch(`${url}/v1/contacts/search`, { method: 'POST', headers, body: JSON.stringify(s.body) })).text();
      const appAnswer = JSON.parse(appText) as { totalCount: number; items: { id: string }[] };
      const bare = await ask<{ port: number; path: string }>({ op: 'bare', query: name, answer: appText });
      const sqlAnswer = await ask<{ ids: string[]; totalCount: number }>({ op: 'check', query: name });
      const same = appAnswer.totalCount === sqlAnswer.totalCount && appAnswer.items.map((i) => i.id).join() === sqlAnswer.ids.join();
      if (!same) log(`  ${name}: app and SQL differ! app ${appAnswer.totalCount} / SQL ${sqlAnswer.totalCount}`);
      const { app, bare: floor, sql: both, cpu } = await alternate(
        { rounds, duration, warmup },
        (seconds) => http(s.body, seconds),
        (seconds) => ask<Loop>({ op: 'loop', query: name, mode: 'both', seconds, concurrency: connections }),
        (seconds) => httpLatencies(`http://127.0.0.1:${bare.port}`, connections, seconds, { method: 'POST', path: bare.path, headers, body: JSON.stringify(s.body) }),
        meter,
      );
      cpuRows.push(cpuRow(s.label, cpu));
      const page = await ask<Loop>({ op: 'loop', query: name, mode: 'page', seconds: countDuration, concurrency: connections });
      const count = await ask<Loop>({ op: 'loop', query: name, mode: 'count', seconds: countDuration, concurrency: connections });
      const bounded = await ask<Loop>({ op: 'loop', query: name, mode: 'bounded', seconds: countDuration, concurrency: connections });
      const plan = await ask<{ page: string; probe: string; estimate: number; count: string; bounded: string }>({ op: 'explain', query: name });
      const load1 = loadavg()[0]!;
      const ratio = app.p95 / both.p95;
      rows.push(
        `| ${s.label} | ${appAnswer.totalCount}${same ? '' : ' ✗ differs'} | ${Math.round(app.rps)} | ${f(app.p50)} | **${f(app.p95)}**${app.p95 <= 50 ? ' ✓' : ' ✗'} | ${f(app.p99)} | ${Math.round(both.rps)} | ${f(both.p50)} | **${f(both.p95)}** | ${ratio.toFixed(2)}×${ratio <= 1.5 ? ' ✓' : ' ✗'} | ${f(floor!.p95)} | ${(floor!.p95 / both.p95).toFixed(2)}× | ${(app.p95 / floor!.p95).toFixed(2)}× | ${f(page.p95)} | ${f(count.p50)} / ${f(count.p95)} | ${f(both.p95 - page.p95)} | ${f(bounded.p95)} | ${load0.toFixed(1)}→${load1.toFixed(1)} |${app.bad ? ` ${app.bad} errors` : ''}`,
      );
      log(rows.at(-1)!);
      const st = info.statements[name]!;
      explains.push(
        `### ${s.label}\nbody: \`${JSON.stringify(s.body)}\`\n\nPage (parameters \`${JSON.stringify(st.page.parameters)}\`):\n\`\`\`sql\n${oneLine(st.page)}\n\`\`\`\n\`\`\`\n${plan.page}\n\`\`\`\nThe planner's estimate of the matches: ${Math.round(plan.estimate)}. At or above ${flags['count-cap']} the app sends the probing page instead:\n\`\`\`\n${plan.probe}\n\`\`\`\nCount (from ${st.countFrom}; parameters \`${JSON.stringify(st.count.parameters)}\`):\n\`\`\`sql\n${oneLine(st.count)}\n\`\`\`\n\`\`\`\n${plan.count}\n\`\`\`\n<details><summary>Measured alternative, not the app's: count bounded at ${flags['count-cap']}</summary>\n\n\`\`\`sql\n${oneLine(st.bounded)}\n\`\`\`\n\`\`\`\n${plan.bounded}\n\`\`\`\n</details>\n`,
      );
    }
    // Export: every contact of the workspace as CSV, read as a stream; the server's RSS sampled.
    const exportRows: string[] = [];
    if (flags.export) {
      const pid = child.pid!;
      const rss = async () => Number(/VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
      for (const format of ['csv', 'vcf']) {
        const before = await rss();
        let peak = before;
        const timer = setInterval(() => void rss().then((m) => (peak = Math.max(peak, m)), () => {}), 100);
        const started = performance.now();
        const res = await fetch(`${url}/v1/contacts/export?format=${format}`, { headers });
        let bytes = 0;
        let lines = 0;
        for await (const chunk of res.body!) {
          bytes += (chunk as Uint8Array).length;
          for (const b of chunk as Uint8Array) if (b === 10) lines++;
        }
        clearInterval(timer);
        const seconds = (performance.now() - started) / 1000;
        exportRows.push(`| export ${format} | ${res.status} | ${(bytes / 1e6).toFixed(0)} MB, ${lines.toLocaleString('en')} lines | ${seconds.toFixed(1)} s (${Math.round(info.contacts / seconds).toLocaleString('en')} contacts/s) | ${before.toFixed(0)} → at most ${Math.max(peak, await rss()).toFixed(0)} MB |`);
        log(exportRows.at(-1)!);
      }
    }
    process.stdout.write(
      [
        `## ${info.engine}, ${info.contacts.toLocaleString('en')} contacts — ${new Date().toISOString()}`,
        machineLine(began, `autocannon ${connections} connections (app, then bare: bare Fastify sending the app's answer after the same statements) and SQL loops of ${connections} on the server's pool, ${duration} s each in ${rounds} alternating rounds after ${warmup} s warm-up; page alone and count alone ${countDuration} s each; SQL baseline counts ${flags['sql-count']}`),
        '',
        `| query | totalCount | app req/s | app p50 ms | app p95 ms | app p99 ms | SQL req/s | SQL p50 | SQL p95 (page + count) | app/SQL p95 | bare p95 | bare/SQL | app/bare | SQL page alone p95 | count alone p50 / p95 | count cost (p95 page+count − page) | SQL p95 page + count bounded at ${flags['count-cap']} | load 1 min |`,
        '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
        ...rows,
        '',
        ...cpuTable('query', cpuRows),
        ...(exportRows.length ? ['| export | status | size | time | server RSS |', '|---|---|---|---|---|', ...exportRows, ''] : []),
        ...explains,
      ].join('\n') + '\n',
    );
  } finally {
    await close();
  }
}

if (flags.serve) await serve();
else await drive();
