import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import pg from 'pg';

/**
 * Helpers of jobs.bench.ts and webhooks.bench.ts: temp databases, children, a receiver, CPU time
 * read from /proc, percentiles. Self-contained, so these benchmarks do not depend on lib.ts.
 */
export const log = (line: string) => process.stderr.write(`${line}\n`);
const cleanups: (() => Promise<unknown>)[] = [];
const children = new Set<ChildProcess>();

/** Creates database `name` on the server at `pgUrl` (no path; dropped first if a killed run left it); `drop()` removes it. */
export async function ownDatabase(pgUrl: string, name: string) {
  const onServer = async (statement: string) => {
    const client = new pg.Client({ connectionString: `${pgUrl}/postgres` });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await onServer(`CREATE DATABASE ${name}`);
  return { url: `${pgUrl}/${name}`, drop: () => onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** Creates database `name` on the server at `pgUrl` (no path) and drops it at cleanup(). */
export async function tempDatabase(pgUrl: string, name: string): Promise<string> {
  const database = await ownDatabase(pgUrl, name);
  cleanups.push(database.drop);
  return database.url;
}

export const onCleanup = (fn: () => Promise<unknown>) => void cleanups.push(fn);

/** Stops every child still running, then undoes what was registered, last first. */
export async function cleanup() {
  await Promise.all([...children].map((c) => stopChild(c)));
  for (const fn of cleanups.splice(0).reverse()) await fn().catch((err) => log(`cleanup: ${(err as Error).message}`));
}
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

/** `node [--import tsx] args…`; keeps the last 50 lines of its output for error messages. */
export function spawnNode(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const tail: string[] = [];
  const lines: ((line: string) => void)[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      tail.push(line);
      if (tail.length > 50) tail.shift();
      lines.forEach((fn) => fn(line));
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, tail, onLine: (fn: (line: string) => void) => void lines.push(fn) };
}

export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

export async function freePort(): Promise<number> {
  const server = createHttpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A webhook receiver on 127.0.0.1 answering 200 as soon as the body is read. `onRequest` gets
 * the webhook-id header (or '') and the arrival time (performance.now()).
 */
export async function startReceiver() {
  let onRequest: (id: string, at: number) => void = () => {};
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      onRequest(String(req.headers['webhook-id'] ?? ''), performance.now());
      res.end('ok');
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  onCleanup(() => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))));
  return { url: `http://127.0.0.1:${port}/hook`, set: (fn: typeof onRequest) => void (onRequest = fn) };
}

/** CPU time (user + system, ms) of one process, or of every `postgres` process, from /proc. */
export function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}
/**
 * CPU time (ms) used by `postgres` processes since `postgresCpu()` was called: a backend that
 * started meanwhile counts whole, one that exited meanwhile is left out (so it is a floor).
 */
export function postgresCpu(): () => number {
  const before = postgresPids();
  return () => [...postgresPids()].reduce((sum, [pid, ms]) => sum + ms - (before.get(pid) ?? 0), 0);
}
/**
 * CPU time (ms) used since the call by the backends serving `database` (found in
 * pg_stat_activity at both ends): the benchmark's own share of the server, which other
 * databases' work (colleagues' test suites) does not inflate. Leaves out the shared background
 * processes (WAL writer, checkpointer, autovacuum), so it is a floor of what the work costs.
 */
export async function databaseCpu(pgUrl: string, database: string): Promise<() => Promise<number>> {
  const backends = async () => {
    const client = new pg.Client({ connectionString: `${pgUrl}/postgres` });
    await client.connect();
    try {
      const { rows } = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database]);
      return new Map(rows.map((r) => [r.pid, cpuMs(r.pid) || 0]));
    } finally {
      await client.end();
    }
  };
  const before = await backends();
  return async () => [...(await backends())].reduce((sum, [pid, ms]) => sum + ms - (before.get(pid) ?? 0), 0);
}

function postgresPids(): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/comm`, 'utf8').trim() === 'postgres') out.set(Number(name), cpuMs(Number(name)) || 0);
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Nearest-rank percentile of `xs` (p in 0–100). */
export function percentile(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

export const round = (x: number, digits = 0) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : NaN);

/** The header lines of a report: date, node, cores, load average. */
export function machineNote(): string[] {
  const cpu = cpus();
  return [
    `${new Date().toISOString()}, node ${process.version}, ${cpu.length} cores (${cpu[0]?.model.trim()})`,
    `load average now (1/5/15 min): ${loadavg().map((x) => x.toFixed(2)).join(' / ')}`,
  ];
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or a rejection with `message` after `ms` (the timer is cleared either way). */
export async function within<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message())), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
