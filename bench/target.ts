import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { createInterface } from 'node:readline';
import Fastify from 'fastify';
import { sql } from 'kysely';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { openStore } from '../src/db/store.js';
import type { TagRow } from '../src/db/types.js';
import { createTagsRepo } from '../src/features/tags/tags.repo.js';
import { TAG_SORT_FIELDS } from '../src/features/tags/tags.schemas.js';
import { systemClock } from '../src/lib/clock.js';
import { newId } from '../src/lib/ids.js';
import { orderBy, withTotal } from '../src/db/paging.js';
import { parseSorting } from '../src/http/paging.js';

/**
 * The server side of the benchmark, run in its own process by http.bench.ts:
 *   BENCH_DATABASE_URL (PostgreSQL) or BENCH_DATA_DIR (embedded store, created if new).
 * Listens with the real app on one port and, sharing the same store (same pool), a bare Fastify
 * instance with a hello route and the tags routes' SQL without auth, validation or envelope.
 * Prints one JSON line {appPort, basePort, workspaceId, clientId, clientSecret}; stops on
 * SIGTERM or when stdin closes (so it never outlives the driver).
 */
const BENCH_ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
const SEED_TAGS = 50;

const databaseUrl = process.env.BENCH_DATABASE_URL;
const dataDir = process.env.BENCH_DATA_DIR;
if (!databaseUrl && !dataDir) throw new Error('set BENCH_DATABASE_URL or BENCH_DATA_DIR');

const config = loadConfig({
  WASL_ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
  LOG_LEVEL: 'silent',
  PUBLIC_URL: 'http://127.0.0.1',
  // The limiter stays on (its cost is part of every request) but never refuses during a run.
  RATE_LIMIT_PER_MINUTE: String(1_000_000_000),
  ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { DATA_DIR: dataDir }),
});
const store = await openStore(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir });
await migrateToLatest(store.db);
const app = await buildApp({ config, db: store.db, engine: store.engine, clock: systemClock, logger: false });

async function admin(url: string, payload: object) {
  const res = await app.inject({ method: 'POST', url, payload, headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` } });
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
  return res.json() as { id: string; clientId: string; clientSecret: string };
}
const workspace = await admin('/admin/v1/workspaces', { name: `bench-${process.pid}` });
const account = await admin(`/admin/v1/workspaces/${workspace.id}/service-accounts`, { name: 'bench' });
const tokenRes = await app.inject({
  method: 'POST',
  url: '/connect/token',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: account.clientId, client_secret: account.clientSecret, scope: 'VoxaAPI' }).toString(),
});
const seedToken = (tokenRes.json() as { access_token: string }).access_token;
for (let i = 0; i < SEED_TAGS; i++) {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/tags/service-account',
    headers: { authorization: `Bearer ${seedToken}` },
    payload: { name: `seed-${String(i).padStart(3, '0')}`, icon: 'star', description: 'seeded by bench/target.ts' },
  });
  if (res.statusCode !== 200) throw new Error(`seeding: ${res.statusCode} ${res.body}`);
}

// The baseline runs the exact SQL text the tags repo sends (compiled from the same Kysely
// builders, so a change in the repo's query cannot silently diverge), straight on store.pool.
const wid = workspace.id;
const listQuery = store.db.selectFrom('tags').where('workspace_id', '=', wid);
const page = listQuery
  .selectAll()
  .select(withTotal())
  .orderBy(orderBy(parseSorting(undefined, TAG_SORT_FIELDS, 'Name ASC'), 'tags'))
  .offset(0)
  .limit(10)
  .compile();
const count = listQuery.select(sql<number>`count(*)::int`.as('n')).compile();
const sample: TagRow = {
  id: newId(), workspace_id: wid, name: 'x', icon: 'x', description: 'x', is_pinned: false, creation_time: new Date(), last_modification_time: new Date(),
};
const insert = store.db.insertInto('tags').values(sample).returningAll().compile();

const base = Fastify({ logger: false });
base.get('/hello', async () => ({ hello: 'world' }));
// One statement carries the page and the total; only a page past the end needs the count.
base.get('/base/tags', async () => {
  const { rows } = await store.pool.query({ text: page.sql, values: page.parameters as unknown[] });
  const totalCount = rows.length ? rows[0].total_count : (await store.pool.query({ text: count.sql, values: count.parameters as unknown[] })).rows[0].n;
  return { totalCount, items: rows.map(({ total_count: _, ...row }) => row) };
});
base.post('/base/tags', async (req) => {
  const now = new Date();
  const { name } = req.body as { name: string };
  const res = await store.pool.query({ text: insert.sql, values: [newId(), wid, name, null, null, false, now, now] });
  return res.rows[0];
});

// Diagnostic middle step: the tags repo itself (Kysely builds and compiles each query), no HTTP layer.
const repo = createTagsRepo(store.db);
const sort = parseSorting(undefined, TAG_SORT_FIELDS, 'Name ASC');
base.get('/repo/tags', () => repo.list(wid, { skip: 0, take: 10, sort }));
base.post('/repo/tags', (req) => {
  const now = new Date();
  const { name } = req.body as { name: string };
  return repo.insert({ id: newId(), workspace_id: wid, name, icon: null, description: null, is_pinned: false, creation_time: now, last_modification_time: now });
});

await app.listen({ port: 0, host: '127.0.0.1' });
await base.listen({ port: 0, host: '127.0.0.1' });
const portOf = (s: { server: import('node:net').Server }) => (s.server.address() as { port: number }).port;
process.stdout.write(
  `${JSON.stringify({ engine: store.engine, appPort: portOf(app), basePort: portOf(base), workspaceId: wid, clientId: account.clientId, clientSecret: account.clientSecret, sql: { page: page.sql, count: count.sql, insert: insert.sql } })}\n`,
);

// Lines on stdin: "cpu" answers this process's CPU time so far (µs); "profile-start" and
// "profile-stop <file>" sample it with the V8 profiler (used by bench/profile.ts).
let session: Session | undefined;
async function command(line: string) {
  const [verb, file] = line.trim().split(' ');
  if (verb === 'profile-start') {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
  } else if (verb === 'profile-stop' && session && file) {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(file, JSON.stringify(profile));
    session.disconnect();
  } else if (verb !== 'cpu') {
    return;
  }
  const { user, system } = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ done: verb, cpuUs: user + system })}\n`);
}

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled([app.close(), base.close()]);
  await store.close();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.stdout.on('error', () => void stop());
createInterface({ input: process.stdin })
  .on('line', (line) => void command(line))
  .on('close', () => void stop());
