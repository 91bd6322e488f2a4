import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import type { FastifyBaseLogger, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp, type WaslApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import pg from 'pg';
import { migrateToLatest } from '../../src/db/migrate.js';
import { openStore, type Store } from '../../src/db/store.js';
import { createManualClock } from '../../src/lib/clock.js';
import { startWorkers } from '../../src/jobs/runtime.js';
import type { WorkerOptions } from '../../src/jobs/worker.js';
import { withDrain, type DrainableWorker } from './drain.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface Harness {
  app: WaslApp;
  clock: ReturnType<typeof createManualClock>;
  config: Config;
  store: Store;
  /** Calls the admin API with the admin token. */
  admin(method: InjectOptions['method'], url: string, body?: unknown): Promise<LightMyRequestResponse>;
  /** A new workspace with a service account and a token: each test's own data. */
  workspace(): Promise<Workspace>;
  /** A started job worker on this app's store, stopped when the file ends. */
  worker(options?: WorkerOptions): Promise<DrainableWorker>;
  /**
   * A second node: another app with a pool of its own on the same PostgreSQL schema (same clock),
   * closed when the file ends; undefined on PGlite (one process per store).
   */
  node(): Promise<WaslApp | undefined>;
}

export interface Workspace {
  id: string;
  serviceAccountId: string;
  clientId: string;
  clientSecret: string;
  token: string;
  /** Calls the Hatif API with this workspace's token. */
  api(method: InjectOptions['method'], url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
}

export const json = <T = any>(res: LightMyRequestResponse): T => JSON.parse(res.body) as T; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The app on a fresh store (a copy of the migrated template on PGlite, the shared test database
 * on PostgreSQL), with a manual clock and sandbox providers; closed when the test file ends.
 */
export async function build(overrides: Record<string, string> = {}, options: { logger?: FastifyBaseLogger } = {}): Promise<Harness> {
  // Its own data directory (files on the local storage land there), removed with the app.
  const dataDir = mkdtempSync(join(tmpdir(), 'wasl-build-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = loadConfig({ WASL_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'silent', PUBLIC_URL: 'http://wasl.test', DATA_DIR: dataDir, ...overrides });
  const store = process.env.DATABASE_URL
    ? await openSchema(process.env.DATABASE_URL)
    : await openStore({ template: new Blob([readFileSync(requireEnv('WASL_TEST_TEMPLATE'))]) });
  const clock = createManualClock(new Date());
  const app = await buildApp({ config, db: store.db, bookkeeping: store.bookkeeping, engine: store.engine, listen: store.listen, clock, logger: options.logger ?? false });
  // Undone last-first: workers stop before the app closes, the app before the store.
  const cleanups: (() => Promise<unknown>)[] = [() => store.close(), () => app.close()];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  const admin: Harness['admin'] = (method, url, body) =>
    app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, ...(body === undefined ? {} : { payload: body as object }) });

  return {
    app,
    clock,
    config,
    store,
    admin,
    async worker(options = {}) {
      const c = app.container;
      const workers = await startWorkers({ repo: c.workerJobsRepo, queue: c.queue, metrics: c.jobMetrics, store, clock, logger: app.log }, { pollMs: 200, ...options });
      cleanups.push(() => workers.stop(1000));
      return withDrain(workers.workers[0]!, c.queue, clock);
    },
    async node() {
      const schema = (store as Store & { schema?: string }).schema;
      if (!process.env.DATABASE_URL || !schema) return undefined;
      const other = await openStore({ databaseUrl: process.env.DATABASE_URL, poolSize: 4, schema });
      const nodeApp = await buildApp({ config, db: other.db, bookkeeping: other.bookkeeping, engine: other.engine, listen: other.listen, clock, logger: false });
      cleanups.push(() => other.close(), () => nodeApp.close());
      return nodeApp;
    },
    async workspace() {
      const ws = json(await admin('POST', '/admin/v1/workspaces', { name: `ws-${Math.random().toString(36).slice(2)}` }));
      const sa = json(await admin('POST', `/admin/v1/workspaces/${ws.id}/service-accounts`, { name: 'tests' }));
      const token = await getToken(app, sa.clientId, sa.clientSecret);
      return {
        id: ws.id,
        serviceAccountId: sa.id,
        clientId: sa.clientId,
        clientSecret: sa.clientSecret,
        token,
        api: (method, url, body, headers = {}) =>
          app.inject({
            method,
            url,
            headers: { authorization: `Bearer ${token}`, ...headers },
            ...(body === undefined ? {} : typeof body === 'string' ? { payload: body, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers } } : { payload: body as object }),
          }),
      };
    },
  };
}

export async function getToken(app: WaslApp, clientId: string, clientSecret: string): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/connect/token',
    payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: 'VoxaAPI' }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  if (res.statusCode !== 200) throw new Error(`token request failed: ${res.statusCode} ${res.body}`);
  return json(res).access_token;
}

/**
 * On PostgreSQL each harness gets a schema of its own, migrated fresh and dropped at the end, so
 * test files running at once never see each other's rows — their workers least of all.
 */
async function openSchema(databaseUrl: string): Promise<Store & { schema: string }> {
  const schema = `wasl_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const store = await openStore({ databaseUrl, poolSize: 4, schema });
  // Kysely's migrator first lists every schema's tables, calling has_schema_privilege() by name;
  // another test file dropping its schema in that instant makes the listing fail with 3F000
  // ("schema … does not exist", seen in CI once there were 50 files). Nothing has run yet then:
  // list again.
  for (let attempt = 1; ; attempt++) {
    try {
      await migrateToLatest(store.db, { schema });
      break;
    } catch (err) {
      const code = ((err as { cause?: { code?: string } }).cause ?? (err as { code?: string })).code;
      if (code !== '3F000' || attempt >= 5) throw err;
    }
  }
  return {
    ...store,
    schema,
    async close() {
      await store.close();
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      await client.query(`DROP SCHEMA ${schema} CASCADE`);
      await client.end();
    },
  };
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with npm test`);
  return value;
}
