import type { EventEmitter } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import autocannon, { type Result } from 'autocannon';
import Fastify from 'fastify';
import { sql } from 'kysely';
import type pg from 'pg';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openStore, type StoreOptions } from '../src/db/store.js';
import { systemClock } from '../src/lib/clock.js';
import { ADMIN_TOKEN, appEnv, childEnv, cleanup, percentiles, start, stop, token } from './lib.js';

/**
 * The app beside its own SQL (contacts.bench.ts, conversations.bench.ts): the real server runs in
 * a child process (the bench file with --serve) on a generated store; the driver loads it over
 * HTTP with autocannon and, alternating, asks the child to send the same statements straight to
 * the server's pool at the same concurrency. One JSON command a line on the child's stdin, one
 * JSON line back, in order; its first line says where it listens.
 */
export interface Statement { sql: string; parameters: readonly unknown[] }
export interface Loop { p50: number; p95: number; p99: number; n: number; rps: number }
export interface Command { op: string; [key: string]: unknown }

// --- the server side (child process) ---------------------------------------------------------

/** The environment that names the store to the child. */
export const storeEnv = (options: StoreOptions): Record<string, string> =>
  'databaseUrl' in options ? { BENCH_DATABASE_URL: options.databaseUrl } : { BENCH_DATA_DIR: (options as { dataDir: string }).dataDir };

/** The store the driver named, the real app on it (`logger: false`), and a new service account of the workspace `name`. */
export async function openBenchApp(name: string, generator: string) {
  const options: StoreOptions = process.env.BENCH_DATABASE_URL ? { databaseUrl: process.env.BENCH_DATABASE_URL } : { dataDir: process.env.BENCH_DATA_DIR! };
  const config = loadConfig(appEnv(options));
  const store = await openStore(options);
  const app = await buildApp({ config, db: store.db, engine: store.engine, clock: systemClock, logger: false });
  const ws = (await sql<{ id: string }>`SELECT id FROM workspaces WHERE name = ${name}`.execute(store.db)).rows[0];
  if (!ws) throw new Error(`no workspace ${name}: run ${generator} first`);
  const res = await app.inject({ method: 'POST', url: `/admin/v1/workspaces/${ws.id}/service-accounts`, payload: { name: `bench-${process.pid}` }, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  if (res.statusCode !== 200) throw new Error(`service account: ${res.statusCode} ${res.body}`);
  const account = res.json() as { clientId: string; clientSecret: string };
  return { options, config, store, app, workspaceId: ws.id, account };
}

/** `once` in `concurrency` loops for `seconds`: latency percentiles (ms) and rate. */
export async function loop(once: () => Promise<unknown>, seconds: number, concurrency: number): Promise<Loop> {
  const latencies: number[] = [];
  const began = performance.now();
  const end = began + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await once();
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ...percentiles(latencies), rps: latencies.length / ((performance.now() - began) / 1000) };
}

export const runOn = (pool: pg.Pool, s: Statement) => pool.query({ text: s.sql, values: s.parameters as unknown[] });

/** EXPLAIN (ANALYZE, BUFFERS) of a statement, as text. */
export const explainAnalyze = async (pool: pg.Pool, s: Statement) =>
  (await pool.query({ text: `EXPLAIN (ANALYZE, BUFFERS) ${s.sql}`, values: s.parameters as unknown[] })).rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');

/**
 * Listens on 127.0.0.1, prints `info` with the port and the account's credentials as the first
 * line, then answers each command line with `handle`'s answer (`cpu`: this process's CPU time);
 * an error is answered `{error}`. Stops on SIGTERM or when stdin closes.
 */
export async function serveCommands(
  bench: Awaited<ReturnType<typeof openBenchApp>>,
  info: object,
  handle: (c: Command) => Promise<object>,
) {
  const { app, store, account } = bench;
  await app.listen({ port: 0, host: '127.0.0.1' });
  const appPort = (app.server.address() as { port: number }).port;
  const out = (x: object) => process.stdout.write(`${JSON.stringify(x)}\n`);
  out({ engine: store.engine, appPort, clientId: account.clientId, clientSecret: account.clientSecret, ...info });
  const stopAll = async () => {
    await app.close().catch(() => {});
    await store.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stopAll());
  let queue = Promise.resolve();
  createInterface({ input: process.stdin })
    .on('line', (line) => {
      queue = queue.then(async () => {
        const c = JSON.parse(line) as Command;
        try {
          if (c.op === 'cpu') {
            const { user, system } = process.cpuUsage();
            out({ cpuUs: user + system });
          } else out(await handle(c));
        } catch (err) {
          out({ error: (err as Error).message });
        }
      });
    })
    .on('close', () => void stopAll());
}

/**
 * The floor under the app: bare Fastify (no hooks, no auth, no validation, no serialisation) on
 * this process's pool. `answer(key, text, statements)` starts it once and registers a route that
 * runs `statements` — the same ones the SQL loop sends — and answers with `text`, the app's own
 * answer, byte for byte: `{ port, path }`. App against bare tells what our code adds; bare against
 * the SQL loop what HTTP itself costs on this machine.
 */
export function bareServer() {
  const routes = new Map<string, { text: string; statements: () => Promise<unknown> }>();
  let listening: Promise<number> | null = null;
  const start = async () => {
    const bare = Fastify();
    bare.all('/bare/:key', async (req, reply) => {
      const route = routes.get((req.params as { key: string }).key)!;
      await route.statements();
      return reply.type('application/json; charset=utf-8').send(route.text);
    });
    await bare.listen({ port: 0, host: '127.0.0.1' });
    return (bare.server.address() as { port: number }).port;
  };
  return {
    async answer(key: string, text: string, statements: () => Promise<unknown>) {
      routes.set(key, { text, statements });
      listening ??= start();
      return { port: await listening, path: `/bare/${encodeURIComponent(key)}` };
    },
  };
}

// --- the driver -----------------------------------------------------------------------------

/** Starts `file --serve` on the store; `info` is its first line, `ask` sends a command and waits for its answer. */
export async function startServer<Info extends { appPort: number; clientId: string; clientSecret: string }>(file: string, env: Record<string, string>) {
  const child = start([file, '--serve'], childEnv(env), 'pipe');
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async <T>() => {
    const line = await lines.next();
    if (line.done) throw new Error('the server closed its output');
    const value = JSON.parse(line.value) as T & { error?: string };
    if (value.error) throw new Error(value.error);
    return value as T;
  };
  const ask = <T>(command: Command) => {
    child.stdin!.write(`${JSON.stringify(command)}\n`);
    return next<T>();
  };
  const info = await next<Info>();
  const bearer = await token({ appPort: info.appPort, clientId: info.clientId, clientSecret: info.clientSecret });
  /** Closes the child's input (it stops), waits for it, and cleans up. */
  const close = async () => {
    child.stdin!.end();
    await stop(child);
    await cleanup();
  };
  return { child, info, ask, url: `http://127.0.0.1:${info.appPort}`, bearer, close };
}

export interface HttpRun { rps: number; bad: number; latencies: number[] }

/** autocannon for `seconds`, every 200's latency kept (its summary has no p95). */
export async function httpLatencies(url: string, connections: number, seconds: number, request: { method: 'GET' | 'POST'; path: string; headers: Record<string, string>; body?: string }): Promise<HttpRun> {
  const latencies: number[] = [];
  let bad = 0;
  const run = autocannon({ url, connections, duration: seconds, requests: [request] }) as unknown as Promise<Result> & EventEmitter;
  run.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => (status === 200 ? latencies.push(ms) : bad++));
  const r = await run;
  return { rps: latencies.length / r.duration, bad: bad + r.errors + r.timeouts, latencies };
}

/** CPU time (µs) of a process from /proc: user + system, in clock ticks of 10 ms. */
async function procCpuUs(pid: number | string): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/**
 * Where a request's CPU goes on this machine, read from /proc around a run: the server child, this
 * driver (autocannon), and every `postgres` process. Linux only; elsewhere it reads nothing.
 */
export function cpuMeter(serverPid: number) {
  /** Each live `postgres` process's CPU µs, by pid. */
  const postgres = async () => {
    const byPid = new Map<string, number>();
    for (const pid of await readdir('/proc').catch(() => [])) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        if ((await readFile(`/proc/${pid}/comm`, 'utf8')).startsWith('postgres')) byPid.set(pid, await procCpuUs(pid));
      } catch {
        // gone meanwhile
      }
    }
    return byPid;
  };
  const read = async () => {
    const own = process.cpuUsage();
    return { server: await procCpuUs(serverPid).catch(() => 0), driver: own.user + own.system, postgres: await postgres() };
  };
  return {
    /**
     * `run` measured: its result and the CPU µs it cost, by process. PostgreSQL's is summed over the
     * processes alive at the end (one that started meanwhile counts whole; one that ended is lost).
     */
    async around<T>(run: () => Promise<T>) {
      const before = await read();
      const result = await run();
      const after = await read();
      let postgresUs = 0;
      for (const [pid, us] of after.postgres) postgresUs += us - (before.postgres.get(pid) ?? 0);
      return { result, cpu: { server: after.server - before.server, driver: after.driver - before.driver, postgres: postgresUs } };
    },
  };
}
export type CpuMeter = ReturnType<typeof cpuMeter>;
export interface CpuPerRequest { server: number; driver: number; postgres: number }

/**
 * App, bare (when given: `bareServer`, the same statements and answer through bare Fastify) and
 * SQL after a warm-up of each, then alternating in `rounds` slices of `duration / rounds` seconds,
 * so a neighbour's load on the shared cores hits all alike. The HTTP percentiles are over every
 * response; the SQL loops report percentiles only, averaged weighted by samples. With a `meter`,
 * each gets its CPU µs per request by process.
 */
export async function alternate(
  o: { rounds: number; duration: number; warmup: number },
  app: (seconds: number) => Promise<HttpRun>,
  sqlLoop: (seconds: number) => Promise<Loop>,
  bare?: (seconds: number) => Promise<HttpRun>,
  meter?: CpuMeter,
) {
  if (o.warmup > 0) {
    await app(o.warmup);
    if (bare) await bare(o.warmup);
    await sqlLoop(o.warmup);
  }
  const appRuns: HttpRun[] = [];
  const bareRuns: HttpRun[] = [];
  const sqlRuns: Loop[] = [];
  type Spent = { used: CpuPerRequest; requests: number };
  const cpu = { app: [] as Spent[], bare: [] as Spent[], sql: [] as Spent[] };
  const measured = async <T>(run: () => Promise<T>, into: T[], spent: Spent[], count: (r: T) => number) => {
    if (!meter) return void into.push(await run());
    const { result, cpu: used } = await meter.around(run);
    into.push(result);
    spent.push({ used, requests: count(result) });
  };
  const slice = Math.max(1, Math.round(o.duration / o.rounds));
  for (let i = 0; i < o.rounds; i++) {
    await measured(() => app(slice), appRuns, cpu.app, (r) => r.latencies.length);
    if (bare) await measured(() => bare(slice), bareRuns, cpu.bare, (r) => r.latencies.length);
    await measured(() => sqlLoop(slice), sqlRuns, cpu.sql, (r) => r.n);
  }
  const perRequest = (spent: Spent[]): CpuPerRequest | null => {
    const requests = spent.reduce((n, s) => n + s.requests, 0);
    if (!requests) return null;
    const total = (k: keyof CpuPerRequest) => spent.reduce((n, s) => n + s.used[k], 0) / requests;
    return { server: total('server'), driver: total('driver'), postgres: total('postgres') };
  };
  const weighted = (k: 'p50' | 'p95' | 'p99') => sqlRuns.reduce((n, r) => n + r[k] * r.n, 0) / sqlRuns.reduce((n, r) => n + r.n, 0);
  const http = (runs: HttpRun[]) => ({ ...percentiles(runs.flatMap((r) => r.latencies)), rps: runs.reduce((n, r) => n + r.rps, 0) / o.rounds, bad: runs.reduce((n, r) => n + r.bad, 0) });
  return {
    app: http(appRuns),
    bare: bare ? http(bareRuns) : null,
    sql: { p50: weighted('p50'), p95: weighted('p95'), p99: weighted('p99'), rps: sqlRuns.reduce((n, r) => n + r.rps, 0) / o.rounds },
    cpu: { app: perRequest(cpu.app), bare: perRequest(cpu.bare), sql: perRequest(cpu.sql) },
  };
}

/** CPU µs per request as a table cell: server / driver / PostgreSQL. */
const cpuCell = (c: CpuPerRequest | null) => (c ? `${Math.round(c.server)} / ${Math.round(c.driver)} / ${Math.round(c.postgres)}` : '');
/** One request's row of the CPU table. */
export const cpuRow = (label: string, cpu: Record<'app' | 'bare' | 'sql', CpuPerRequest | null>) => `| ${label} | ${cpuCell(cpu.app)} | ${cpuCell(cpu.bare)} | ${cpuCell(cpu.sql)} |`;
/** The CPU table's lines, after the latency tables. */
export const cpuTable = (first: string, rows: string[]) => [
  'CPU µs per request, server child / driver (autocannon) / every PostgreSQL process, from /proc over the alternating rounds:',
  '',
  `| ${first} | app | bare | SQL |`,
  '|---|---:|---:|---:|',
  ...rows,
  '',
];

/** Milliseconds as the tables show them. */
export const ms = (x: number) => (x < 10 ? x.toFixed(1) : Math.round(x).toString());

/** The line under a result's heading: Node, the cores, the load average at start and now. */
export function machineLine(began: number[], what: string) {
  const cpu = cpus();
  return `node ${process.version}, ${cpu.length} × ${cpu[0]?.model.trim()}; ${what}. Load average (1 min) at start ${began[0]!.toFixed(2)}, end ${loadavg()[0]!.toFixed(2)}.`;
}

/** A statement on one line, for a Markdown code block. */
export const oneLine = (s: Statement) => s.sql.trim().replace(/\s+/g, ' ');
