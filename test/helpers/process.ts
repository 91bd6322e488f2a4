import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';
import pg from 'pg';

/** The repository, where npm scripts and relative script paths run. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * Environment for a fresh store of the kind under test, with no rows: a new data directory, or a
 * new PostgreSQL database beside the test one. Both are removed when the test file ends. The data
 * directory is a copy of the suite's migrated template (`npm test` makes it; opening a copy takes
 * a second where creating one takes 5–6): `empty` makes a brand-new one, as a real first start sees.
 */
export async function freshStoreEnv({ empty = false } = {}): Promise<Record<string, string>> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const dir = mkdtempSync(join(tmpdir(), 'wasl-proc-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const template = process.env.WASL_TEST_TEMPLATE;
    if (!empty && template) {
      mkdirSync(join(dir, 'pgdata'));
      execFileSync('tar', ['-xf', template, '-C', join(dir, 'pgdata')], { stdio: 'ignore' });
    }
    return { DATA_DIR: dir };
  }
  const name = `wasl_proc_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  after(async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  });
  const fresh = new URL(url);
  fresh.pathname = `/${name}`;
  return { DATABASE_URL: fresh.toString() };
}

export interface Server {
  proc: ChildProcess;
  base: string;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
}

/**
 * `src/server.ts` as `npm start` runs it (or `script`, e.g. `src/worker.ts`), with this
 * environment; resolves once it answers /health/live. `npm` runs the package script itself
 * (`npm start`, `npm run worker`), so `proc` is npm's process, as a supervisor would see it.
 * No `.env` reaches it (WASL_ENV_FILE=/dev/null) unless `env` names one.
 */
export async function startServer(env: Record<string, string>, { waitUp = true, script = 'src/server.ts', npm = false } = {}): Promise<Server> {
  const port = await freePort();
  const childEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', WASL_ENV_FILE: '/dev/null', ...env };
  const npmScript = script === 'src/worker.ts' ? ['run', 'worker'] : ['start'];
  const proc = npm
    ? spawn('npm', ['--silent', ...npmScript], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true }) // a group of its own, killed whole below
    : spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  after(() => {
    if (npm) {
      try {
        process.kill(-proc.pid!, 'SIGKILL'); // npm and whatever it left behind
      } catch {
        /* the group is gone */
      }
    } else if (proc.exitCode === null) proc.kill('SIGKILL');
  });
  const server: Server = {
    proc,
    base: `http://127.0.0.1:${port}`,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
  if (!waitUp) return server;
  const deadline = Date.now() + 120_000; // a first start on a busy 2-core machine
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}: ${err}`);
    try {
      if ((await fetch(`${server.base}/health/live`)).ok) return server;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server did not come up in 120 s: ${err}`);
}
