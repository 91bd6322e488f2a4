import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { childEnv, cleanup, freePort, freshStore, load, log, routes, start, startTarget, stop, TAGS, token, type Load, type StoreName } from './lib.js';

/**
 * HTTP benchmark: for each store (embedded PGlite in a fresh temp dir, PostgreSQL in a fresh
 * database) it starts bench/target.ts in a child process and drives it with autocannon from this
 * process: bare Fastify hello, the tags SQL on a bare route (baseline), the real authenticated
 * routes; then the cold start of src/server.ts. Prints a markdown table on stdout.
 */
const usage = `npm run bench -- [--duration=8] [--warmup=2] [--connections=10] [--rounds=4]
  [--stores=pglite,postgres] [--cold-runs=5] [--pg=postgres://postgres@127.0.0.1:5432]
  (or env BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_ROUNDS, BENCH_STORES, BENCH_COLD_RUNS, BENCH_PG)
  --duration is per route, split into --rounds that alternate baseline and real route.`;

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string' }, warmup: { type: 'string' }, connections: { type: 'string' },
    rounds: { type: 'string' }, stores: { type: 'string' }, 'cold-runs': { type: 'string' }, pg: { type: 'string' }, help: { type: 'boolean' },
  },
});
if (flags.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
const opt = (name: keyof typeof flags, env: string, fallback: string) => String(flags[name] ?? process.env[env] ?? fallback);
const o = {
  duration: Number(opt('duration', 'BENCH_DURATION', '8')),
  warmup: Number(opt('warmup', 'BENCH_WARMUP', '2')),
  connections: Number(opt('connections', 'BENCH_CONNECTIONS', '10')),
  rounds: Number(opt('rounds', 'BENCH_ROUNDS', '4')),
};
const STORES = opt('stores', 'BENCH_STORES', 'pglite,postgres').split(',') as StoreName[];
const COLD_RUNS = Number(opt('cold-runs', 'BENCH_COLD_RUNS', '5'));
const PG = opt('pg', 'BENCH_PG', 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, '');

interface Row extends Load { store: string; route: string; ratio?: number; cpuUs?: number }

/**
 * Spawn of `node --import tsx src/server.ts` → first 200 from /health/live, in ms; plus the
 * server's own `startupMs` (logged once listening: store open, migrations, app build, listen).
 */
async function coldStart(store: Record<string, string>): Promise<{ total: number; startup: number }> {
  const port = await freePort();
  const began = performance.now();
  const env = childEnv({ ...store, PORT: String(port), HOST: '127.0.0.1', WASL_ADMIN_TOKEN: 'bench-admin-token-0123456789abcdef' });
  const child = start(['src/server.ts'], env, 'pipe');
  let startup = NaN;
  const output: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const m = /"startupMs":(\d+)/.exec(line);
    if (m) startup = Number(m[1]);
    output.push(line);
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`src/server.ts exited with ${child.exitCode}:\n${output.slice(-5).join('\n')}`);
      if (performance.now() - began > 60_000) throw new Error('src/server.ts did not answer within 60 s');
      if (await fetch(`http://127.0.0.1:${port}/health/live`).then((r) => r.ok, () => false)) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const total = performance.now() - began;
    while (Number.isNaN(startup) && performance.now() - began < total + 2000) await new Promise((resolve) => setTimeout(resolve, 5));
    return { total, startup };
  } finally {
    await stop(child);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const LABELS = {
  hello: 'hello (bare Fastify)',
  'base-get': 'GET baseline: same SQL on the pool, bare route',
  'repo-get': '(diagnostic) GET via tags repo (Kysely), bare route',
  get: `GET ${TAGS}`,
  'base-post': 'POST baseline: same SQL on the pool, bare route',
  'repo-post': '(diagnostic) POST via tags repo (Kysely), bare route',
  post: `POST ${TAGS}`,
} as const;
type Key = keyof typeof LABELS;

async function benchStore(store: StoreName, rows: Row[], cold: Record<string, { total: number; startup: number }[]>) {
  const where = await freshStore(store, PG);
  log(`\n${store}: starting bench/target.ts (new store, migrations, 50 seeded tags) …`);
  const { child, info, ask } = await startTarget(where);
  try {
    const r = routes(info, await token(info));
    const cpu = async () => ((await ask('cpu')) as { cpuUs: number }).cpuUs;
    const runs: Record<string, (Load & { cpuUs: number })[]> = {};
    const once = async (key: Key, duration: number) => {
      const before = await cpu();
      const l = await load(r[key]!, { connections: o.connections, duration, warmup: 0 });
      (runs[key] ??= []).push({ ...l, cpuUs: (await cpu()) - before });
    };
    // Baseline and real route alternate in short rounds, so a neighbour's load on the shared
    // machine hits both alike; each gets its warm-up first.
    for (const group of [['hello'], ['base-get', 'repo-get', 'get'], ['base-post', 'repo-post', 'post']] as Key[][]) {
      for (const key of group) if (o.warmup > 0) await load(r[key]!, { connections: o.connections, duration: o.warmup, warmup: 0 });
      const rounds = group.length > 1 ? o.rounds : 1;
      for (let i = 0; i < rounds; i++) for (const key of group) await once(key, Math.max(1, Math.round(o.duration / rounds)));
      for (const key of group) {
        const rs = runs[key]!;
        const count = rs.reduce((n, x) => n + x.count, 0);
        const seconds = rs.reduce((n, x) => n + x.seconds, 0);
        const row: Row = {
          store,
          route: LABELS[key],
          rps: count / seconds,
          p50: median(rs.map((x) => x.p50)),
          p99: Math.max(...rs.map((x) => x.p99)),
          bad: rs.reduce((n, x) => n + x.bad, 0),
          count,
          seconds,
          cpuUs: rs.reduce((n, x) => n + x.cpuUs, 0) / count,
        };
        const baseKey = key === 'hello' || key.startsWith('base-') ? undefined : key.endsWith('get') ? 'base-get' : 'base-post';
        const base = baseKey && rows.find((x) => x.store === store && x.route === LABELS[baseKey]);
        if (base) row.ratio = row.rps / base.rps;
        rows.push(row);
        log(`  ${row.route.padEnd(52)} ${Math.round(row.rps).toString().padStart(6)} req/s  p99 ${row.p99} ms  ${Math.round(row.cpuUs ?? 0)} µs CPU/req${row.bad ? `  (${row.bad} errors/non-2xx!)` : ''}`);
      }
    }
  } finally {
    await stop(child);
  }
  log(`${store}: cold start × ${COLD_RUNS} …`);
  cold[store] = [];
  for (let i = 0; i < COLD_RUNS; i++) cold[store].push(await coldStart(where));
}

function report(rows: Row[], cold: Record<string, { total: number; startup: number }[]>) {
  const cpu = cpus();
  const out = [
    `Wasl HTTP benchmark — ${new Date().toISOString()}, node ${process.version}, ${cpu.length} cores (${cpu[0]?.model.trim()})`,
    `autocannon ${o.connections} connections, ${o.duration} s per route (${o.rounds} alternating rounds) after a ${o.warmup} s warm-up; server in a child process, sharing the cores`,
    `load average at the end (1/5/15 min): ${loadavg().map((x) => x.toFixed(2)).join(' / ')}`,
    '',
    '| store | route | req/s | p50 ms | p99 ms | errors | server CPU µs/req | vs baseline (req/s) |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) =>
      `| ${r.store} | ${r.route} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.bad} | ${Math.round(r.cpuUs ?? 0)} | ${r.ratio === undefined ? '' : `${Math.round(r.ratio * 100)} %${r.route.startsWith('(') ? '' : r.ratio < 0.8 ? ' ✗' : ' ✓'}`} |`),
    '',
    '| store | spawn → first 200 on /health/live, median ms | of which after imports (server startupMs), median | runs (ms) |',
    '|---|---:|---:|---|',
    ...Object.entries(cold).map(([s, xs]) =>
      `| ${s} | ${Math.round(median(xs.map((x) => x.total)))} | ${Math.round(median(xs.map((x) => x.startup)))} | ${xs.map((x) => Math.round(x.total)).join(', ')} |`),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

const rows: Row[] = [];
const cold: Record<string, { total: number; startup: number }[]> = {};
try {
  for (const store of STORES) await benchStore(store, rows, cold);
  report(rows, cold);
} catch (err) {
  if (rows.length) report(rows, cold);
  throw err;
} finally {
  await cleanup();
}
