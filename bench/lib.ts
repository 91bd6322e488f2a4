import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon, { type Request } from 'autocannon';
import pg from 'pg';
import type { StoreOptions } from '../src/db/store.js';

/** Helpers shared by the benchmarks: http.bench.ts and profile.ts (target.ts in a child), and the store options, PRNG and percentiles of the scale benchmarks. */
export type StoreName = 'pglite' | 'postgres';
export interface Target { appPort: number; basePort: number; clientId: string; clientSecret: string; sql: Record<string, string> }
export interface Load { rps: number; p50: number; p99: number; bad: number; count: number; seconds: number }
export const TAGS = '/v1/tags/service-account';

export const log = (line: string) => process.stderr.write(`${line}\n`);
const children = new Set<ChildProcess>();
const cleanups: (() => Promise<void>)[] = [];

/** The environment for a child, without anything that could point it at another store. */
export function childEnv(extra: Record<string, string>) {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(DATABASE_URL|DATA_DIR|PORT|HOST|BENCH_)/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/** A benchmark's child process (`BENCH_NODE_ARGS`, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", go to its node). */
export function start(args: string[], env: Record<string, string>, stdout: 'pipe' | 'ignore') {
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', ...args], { env, stdio: [stdout === 'pipe' ? 'pipe' : 'ignore', stdout, 'inherit'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export async function stop(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** A fresh store: a temp data directory, or a new database `wasl_bench_<pid>`; removed by cleanup(). */
export async function freshStore(store: StoreName, pgUrl: string): Promise<{ DATA_DIR: string } | { DATABASE_URL: string }> {
  if (store === 'pglite') {
    const dir = await mkdtemp(join(tmpdir(), 'wasl-bench-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return { DATA_DIR: dir };
  }
  const name = `wasl_bench_${process.pid}`;
  const onServer = async (statement: string) => {
    const client = new pg.Client({ connectionString: `${pgUrl}/postgres` });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await onServer(`CREATE DATABASE ${name}`);
  cleanups.push(() => onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  return { DATABASE_URL: `${pgUrl}/${name}` };
}

/** Starts bench/target.ts on the store and waits for its JSON line; `ask` sends it a command line. */
export async function startTarget(store: { DATA_DIR: string } | { DATABASE_URL: string }) {
  const env: Record<string, string> = 'DATA_DIR' in store ? { BENCH_DATA_DIR: store.DATA_DIR } : { BENCH_DATABASE_URL: store.DATABASE_URL };
  const child = start(['bench/target.ts'], childEnv(env), 'pipe');
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`bench/target.ts exited with ${code}`))));
  exited.catch(() => {});
  const next = async () => {
    const line = await Promise.race([lines.next(), exited]);
    if (line.done) throw new Error('bench/target.ts closed its output');
    return JSON.parse(line.value) as unknown;
  };
  const info = (await next()) as Target;
  const ask = async (command: string) => {
    child.stdin!.write(`${command}\n`);
    return next();
  };
  return { child, info, ask };
}

/** An access token from the real app's POST /connect/token. */
export async function token(t: Pick<Target, 'appPort' | 'clientId' | 'clientSecret'>): Promise<string> {
  const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: t.clientId, client_secret: t.clientSecret, scope: 'VoxaAPI' });
  const res = await fetch(`http://127.0.0.1:${t.appPort}/connect/token`, { method: 'POST', body });
  if (!res.ok) throw new Error(`POST /connect/token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** The four measured requests (plus hello) against a started target. */
export function routes(t: Target, bearer: string): Record<string, { url: string; requests: Request[] }> {
  const app = `http://127.0.0.1:${t.appPort}`;
  const base = `http://127.0.0.1:${t.basePort}`;
  const auth = { authorization: `Bearer ${bearer}` };
  return {
    hello: { url: base, requests: [{ method: 'GET', path: '/hello' }] },
    'base-get': { url: base, requests: [{ method: 'GET', path: '/base/tags' }] },
    'repo-get': { url: base, requests: [{ method: 'GET', path: '/repo/tags' }] },
    get: { url: app, requests: [{ method: 'GET', path: TAGS, headers: auth }] },
    'base-post': { url: base, requests: uniquePost('/base/tags', 'base', {}) },
    'repo-post': { url: base, requests: uniquePost('/repo/tags', 'repo', {}) },
    post: { url: app, requests: uniquePost(TAGS, 'real', auth) },
    // The app takes a valid x-request-id from the client instead of generating a UUIDv7.
    'post-reqid': { url: app, requests: uniquePost(TAGS, 'reqid', { ...auth, 'x-request-id': 'bench-request' }) },
  };
}

/** A POST whose tag name is new on every request (names are unique per workspace). */
function uniquePost(path: string, prefix: string, headers: Record<string, string>): Request[] {
  let n = 0;
  const setupRequest = (req: Request) => ({ ...req, body: JSON.stringify({ name: `${prefix}-${process.pid}-${n++}` }) });
  return [{ method: 'POST', path, headers: { 'content-type': 'application/json', ...headers }, setupRequest }];
}

export async function load(route: { url: string; requests: Request[] }, o: { connections: number; duration: number; warmup: number }): Promise<Load> {
  const r = await autocannon({
    url: route.url,
    requests: route.requests,
    connections: o.connections,
    duration: o.duration,
    ...(o.warmup > 0 && { warmup: { connections: o.connections, duration: o.warmup } }),
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, bad: r.non2xx + r.errors + r.timeouts, count: r.requests.total, seconds: r.duration };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Stops every child still running and removes the stores; also on Ctrl-C. */
export async function cleanup() {
  await Promise.all([...children].map(stop));
  for (const fn of cleanups.splice(0).reverse()) await fn().catch((err) => log(`cleanup: ${(err as Error).message}`));
}
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

// Shared by the benchmarks that run the app on a store of their own (contacts, conversations).
export const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';

/** The flags that name a store (`parseArgs` options), with the benchmark's own defaults; storeOptions() reads them. */
export const storeFlags = (pg: string, dataDir: string) =>
  ({ store: { type: 'string', default: 'postgres' }, pg: { type: 'string', default: pg }, 'data-dir': { type: 'string', default: dataDir } }) as const;

/** The store a flag set names: PostgreSQL (`--store=postgres`, `--pg`) or PGlite in `--data-dir`. */
export function storeOptions(store: string, pg: string, dataDir: string): StoreOptions {
  if (store === 'postgres') return { databaseUrl: pg };
  if (store === 'pglite') return { dataDir };
  throw new Error(`--store is postgres or pglite, not ${store}`);
}

/** The config environment of the app on that store (as bench/target.ts builds it). */
export function appEnv(options: StoreOptions): Record<string, string> {
  return {
    WASL_ADMIN_TOKEN: ADMIN_TOKEN,
    LOG_LEVEL: 'silent',
    PUBLIC_URL: 'http://127.0.0.1',
    RATE_LIMIT_PER_MINUTE: String(1_000_000_000),
    ...('databaseUrl' in options ? { DATABASE_URL: options.databaseUrl } : 'dataDir' in options ? { DATA_DIR: options.dataDir } : {}),
  };
}

/** A small seeded PRNG (mulberry32): the same store from the same seed. */
export function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Percentiles (ms) of a list of latencies. */
export function percentiles(xs: number[]) {
  const s = Float64Array.from(xs).sort();
  const at = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN);
  return { p50: at(50), p95: at(95), p99: at(99), n: s.length };
}
