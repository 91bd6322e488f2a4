import type { EventEmitter } from 'node:events';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import autocannon, { type Result } from 'autocannon';
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

/**
 * App and SQL after a warm-up of each, then alternating in `rounds` slices of `duration / rounds`
 * seconds, so a neighbour's load on the shared cores hits both alike. The app's percentiles are
 * over every response; the SQL loops report percentiles only, averaged weighted by samples.
 */
export async function alternate(o: { rounds: number; duration: number; warmup: number }, app: (seconds: number) => Promise<HttpRun>, sqlLoop: (seconds: number) => Promise<Loop>) {
  if (o.warmup > 0) {
    await app(o.warmup);
    await sqlLoop(o.warmup);
  }
  const appRuns: HttpRun[] = [];
  const sqlRuns: Loop[] = [];
  const slice = Math.max(1, Math.round(o.duration / o.rounds));
  for (let i = 0; i < o.rounds; i++) {
    appRuns.push(await app(slice));
    sqlRuns.push(await sqlLoop(slice));
  }
  const weighted = (k: 'p50' | 'p95' | 'p99') => sqlRuns.reduce((n, r) => n + r[k] * r.n, 0) / sqlRuns.reduce((n, r) => n + r.n, 0);
  return {
    app: { ...percentiles(appRuns.flatMap((r) => r.latencies)), rps: appRuns.reduce((n, r) => n + r.rps, 0) / o.rounds, bad: appRuns.reduce((n, r) => n + r.bad, 0) },
    sql: { p50: weighted('p50'), p95: weighted('p95'), p99: weighted('p99'), rps: sqlRuns.reduce((n, r) => n + r.rps, 0) / o.rounds },
  };
}

/** Milliseconds as the tables show them. */
export const ms = (x: number) => (x < 10 ? x.toFixed(1) : Math.round(x).toString());

/** The line under a result's heading: Node, the cores, the load average at start and now. */
export function machineLine(began: number[], what: string) {
  const cpu = cpus();
  return `node ${process.version}, ${cpu.length} × ${cpu[0]?.model.trim()}; ${what}. Load average (1 min) at start ${began[0]!.toFixed(2)}, end ${loadavg()[0]!.toFixed(2)}.`;
}

/** A statement on one line, for a Markdown code block. */
export const oneLine = (s: Statement) => s.sql.trim().replace(/\s+/g, ' ');
