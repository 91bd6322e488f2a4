import { writeFile, mkdir } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import Fastify from 'fastify';
import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { openStore, type StoreOptions } from '../src/db/store.js';
import type { NewConversationEvent } from '../src/db/types.js';
import { SEND_JOB } from '../src/features/whatsapp/whatsapp.service.js';
import { INBOUND_JOB, WEBHOOK_JOB } from '../src/features/whatsapp/inbound.service.js';
/** An accepted webhook is a `whatsapp.webhook` job until its worker fans it out into `whatsapp.inbound` jobs. */
const INGEST_JOBS = [WEBHOOK_JOB, INBOUND_JOB];
import { startWorkers, workerOptions, type Workers } from '../src/jobs/runtime.js';
import { pace as paceOf } from '../src/jobs/queue.js';
import { systemClock } from '../src/lib/clock.js';
import { codes, EventDirection, EventSourceType } from '../src/lib/enums.js';
import { newId } from '../src/lib/ids.js';
import { startFakeGraph, type FakeGraph } from '../test/helpers/fake-graph.js';
import { machineLine, ms, serveCommands, startServer, type Command } from './compare-lib.js';
import { ADMIN_TOKEN, appEnv, log } from './lib.js';
import { APP_SECRET, WORKSPACE, contactPhone, maxInWindow, merge, perSecond, run, sampleWaits, sendTextRequest, summariseProfile, webhookRequest, type Run } from './whatsapp-lib.js';
import { databaseCpu, ownDatabase } from './webhooks-lib.js';
import type { Request } from 'autocannon';

/**
 * Issue 9's benchmarks on PostgreSQL, each beside its baseline in the same run. The real app runs
 * in a child process (this file with --serve) together with a bare Fastify instance on the same
 * pool; the driver (this process) loads both with autocannon and runs the fake Graph API
 * (test/helpers/fake-graph.ts) that the Cloud API channel sends to.
 *  (1) sendText accepted/s and p99 to a sandbox channel, workers off (the accept path only),
 *      beside a bare route that inserts the same timeline event and job row in one transaction;
 *  (2) delivery pacing: N sends queued through sendText with workers off, then workers on; the
 *      fake Graph API's arrival times give the achieved rate and the most in any one-second window;
 *  (3) inbound webhook ingest: signed Meta webhooks (one message each, new wamid and sender each)
 *      beside a bare route that stores the raw body (one INSERT); then the processing backlog's
 *      drain, started after the load, and with workers running during a load.
 * Markdown on stdout, progress on stderr.
 */
const usage = `node --import tsx bench/whatsapp.bench.ts [--pg=postgres://postgres@127.0.0.1:5432] [--phases=send,pace,ingest]
  [--contacts=1000] [--connections=10] [--warmup=2] [--rounds=3] [--seconds=4] (each side, each round)
  [--paces=80,1000] [--pace-seconds=5] (sends queued = pace × this) [--job-concurrency=16] [--drain-load=10]
  [--poll-ms=<ms>] (diagnostic: the worker loop's idle poll, default the app's 1000)
  [--profile=<dir>] (a 5-s V8 profile of the app after each load, and of the workers draining; summarised in the output)
  BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=<dir>" profiles every server child whole instead.`;
const { values: flags } = parseArgs({
  options: {
    serve: { type: 'boolean' },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' },
    phases: { type: 'string', default: 'send,pace,ingest' },
    contacts: { type: 'string', default: '1000' },
    connections: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '4' },
    paces: { type: 'string', default: '80,1000' },
    'pace-seconds': { type: 'string', default: '5' },
    'job-concurrency': { type: 'string', default: '16' },
    'drain-load': { type: 'string', default: '10' },
    'poll-ms': { type: 'string' },
    profile: { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (flags.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
const SEND = '/v1/whatsapp/service-account/sendText';
const Source = codes(EventSourceType);
const Direction = codes(EventDirection);
const BASELINE_HANDLER = 'bench-baseline';

// --- the server side (child process) ---------------------------------------------------------

/**
 * The real app (WHATSAPP_SENDS_PER_SECOND = BENCH_PACE, JOB_CONCURRENCY = BENCH_JOB_CONCURRENCY,
 * WEBHOOK_ALLOW_PRIVATE) and, on the same pool, a bare Fastify with the baselines:
 *  POST /base/send — the sendText body; the timeline event and the `whatsapp.send` job row the app
 *    writes, in one transaction (SQL compiled once from the same Kysely builders as the app's repos);
 *  POST /base/webhook/:channelId — the raw body, one INSERT into whatsapp_webhook_events.
 * Workers are off until the driver asks (`{op: 'workers', on}`); `profile-start` / `profile-stop`.
 */
async function serve() {
  // Counts the statements this process sends (pg.Client.prototype.query wrapped), by their first words.
  const { statementCounts } = await import('./webhooks-statements.js');
  // And, between trace-start and trace-stop, keeps their text (one request's statements, in order).
  // Each statement's time from send to answer (promise form, as Kysely sends them), by its first 80 characters.
  let traced: string[] | null = null;
  const timing: Record<string, { n: number; ms: number }> = {};
  // The key of each distinct text is worked out once (a map lookup a statement, as in webhooks-statements.ts).
  const keys = new Map<string, { text: string; t: { n: number; ms: number } }>();
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string } | undefined;
    const raw = typeof first === 'string' ? first : (first?.text ?? '');
    let key = keys.get(raw);
    if (!key) {
      const text = raw.trim().replace(/\s+/g, ' ');
      key = { text, t: (timing[text.slice(0, 80)] ??= { n: 0, ms: 0 }) };
      if (keys.size < 10_000) keys.set(raw, key);
    }
    traced?.push(key.text);
    const t0 = performance.now();
    const result = query.apply(this, args);
    if (result instanceof Promise) {
      const t = key.t;
      void result.then(() => {
        t.n++;
        t.ms += performance.now() - t0;
      }, () => {});
    }
    return result;
  } as typeof pg.Client.prototype.query;
  const config0 = loadConfig({ ...appEnv({ databaseUrl: process.env.BENCH_DATABASE_URL! }) });
  const options: StoreOptions = { databaseUrl: process.env.BENCH_DATABASE_URL!, poolSize: config0.databasePoolSize };
  const config = loadConfig({ ...appEnv(options), WEBHOOK_ALLOW_PRIVATE: 'true', WHATSAPP_SENDS_PER_SECOND: process.env.BENCH_PACE ?? '80', JOB_CONCURRENCY: process.env.BENCH_JOB_CONCURRENCY ?? '16' });
  const store = await openStore(options);
  const app = await buildApp({ config, db: store.db, engine: store.engine, clock: systemClock, logger: false });
  const c = app.container;
  const workspaceId = (await sql<{ id: string }>`SELECT id FROM workspaces WHERE name = ${WORKSPACE}`.execute(store.db)).rows[0]!.id;
  const res = await app.inject({ method: 'POST', url: `/admin/v1/workspaces/${workspaceId}/service-accounts`, payload: { name: `bench-${process.pid}` }, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  if (res.statusCode !== 200) throw new Error(`service account: ${res.statusCode} ${res.body}`);
  const account = res.json() as { clientId: string; clientSecret: string };

  // The open conversations by number (the baseline skips the lookups: it writes only the rows).
  const open = await sql<{ id: string; contact_id: string; channel_id: string; phone: string }>`
    SELECT c.id, c.contact_id, c.channel_id, k.phone_number AS phone FROM conversations c JOIN contacts k ON k.id = c.contact_id
    WHERE c.workspace_id = ${workspaceId} AND c.status = 1`.execute(store.db);
  const conversations = new Map(open.rows.map((r) => [`${r.channel_id} ${r.phone}`, r]));

  const eventRow = (conv: { id: string; contact_id: string; channel_id: string }, text: string, to: string, now: Date): NewConversationEvent => ({
    id: newId(), workspace_id: workspaceId, conversation_id: conv.id, contact_id: conv.contact_id, channel_id: conv.channel_id, source_type: Source.WhatsApp, source_id: null,
    direction: Direction.Outbound, creation_time: now, status: 'Pending', error_code: null, failure_reason: null, is_ai: false, attachment: null, owner_user_id: null, ai_agent_id: null,
    duration_seconds: null, size_bytes: null, ringing_seconds: null, body: text, handler_name: BASELINE_HANDLER, message_type: 'Text', mime_type: null, external_id: null,
    ai_summary: null, reply_to_event_id: null, location: null, assignation: null, data: { to }, thread_id: null, last_modification_time: null,
  });
  const maxAttempts = (c.queue.definitions().get(SEND_JOB) as { maxAttempts: number }).maxAttempts;
  const jobRow = (eventId: string, conv: { id: string; channel_id: string }, now: Date) => ({
    name: SEND_JOB, payload: JSON.stringify({ workspaceId, eventId }), status: 'pending' as const, run_at: now, max_attempts: maxAttempts, key: `whatsapp:${conv.id}`,
    idempotency_key: null, rate_key: `whatsapp:${conv.channel_id}`, rate_interval_ms: paceOf('x', config.whatsAppSendsPerSecond).intervalMs, created_at: now,
  });
  const rawRow = (channelId: string, body: string) => ({ id: newId(), channel_id: channelId, received_at: new Date(), body, messages: 1, statuses: 0 });
  // Compiled once from the builders of conversations.repo insertEvent, jobs.repo insert and webhook-events.repo insert.
  const sampleConv = open.rows[0]!;
  const sample = { event: eventRow(sampleConv, 'x', '+1', new Date()), job: jobRow(newId(), sampleConv, new Date()), raw: rawRow(sampleConv.channel_id, '{}') };
  const insertEvent = store.db.insertInto('conversation_events').values(sample.event).returningAll().compile();
  const insertJob = store.db.insertInto('jobs').values(sample.job).onConflict((oc) => oc.column('idempotency_key').where('idempotency_key', 'is not', null).doNothing()).returning('id').compile();
  const insertRaw = store.db.insertInto('whatsapp_webhook_events').values(sample.raw).compile();
  for (const [compiled, row] of [[insertEvent, sample.event], [insertJob, sample.job], [insertRaw, sample.raw]] as const) {
    if (!isDeepStrictEqual(compiled.parameters, Object.values(row))) throw new Error(`baseline parameters differ from Kysely's for ${compiled.sql.slice(0, 40)}`);
  }

  const base = Fastify({ logger: false });
  base.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  base.post('/base/send', async (req, reply) => {
    const input = JSON.parse((req.body as Buffer).toString('utf8')) as { ChannelId: string; Text: string; ToNumber: string };
    const conv = conversations.get(`${input.ChannelId} ${input.ToNumber}`);
    if (!conv) return reply.code(404).send({ error: 'no open conversation' });
    const now = new Date();
    const event = eventRow(conv, input.Text, conv.phone, now);
    const client = await store.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query({ text: insertEvent.sql, values: Object.values(event) });
      await client.query({ text: insertJob.sql, values: Object.values(jobRow(event.id, conv, now)) });
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
    return { contactId: conv.contact_id, conversationId: conv.id, conversationEventId: event.id, messageId: null, status: 'accepted', message: 'Text message accepted for sending' };
  });
  base.post('/base/webhook/:channelId', async (req) => {
    await store.pool.query({ text: insertRaw.sql, values: Object.values(rawRow((req.params as { channelId: string }).channelId, (req.body as Buffer).toString('utf8'))) });
    return { messages: 1, statuses: 0 };
  });
  await base.listen({ port: 0, host: '127.0.0.1' });

  const logger = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;
  let workers: Workers | undefined;
  let session: Session | undefined;
  await serveCommands({ options, config, store, app, workspaceId, account }, { basePort: (base.server.address() as { port: number }).port, workspaceId }, async (cmd: Command) => {
    if (cmd.op === 'workers') {
      // BENCH_POLL_MS (diagnostic, --poll-ms): the loop's idle poll instead of the default.
      const poll = process.env.BENCH_POLL_MS ? { pollMs: Number(process.env.BENCH_POLL_MS) } : {};
      if (cmd.on && !workers) workers = await startWorkers({ repo: c.jobsRepo, queue: c.queue, metrics: c.jobMetrics, store, clock: systemClock, logger }, { ...workerOptions(config), ...poll });
      if (!cmd.on && workers) {
        await workers.stop(10_000);
        workers = undefined;
      }
      return { workers: !!workers };
    }
    if (cmd.op === 'statements') return statementCounts();
    if (cmd.op === 'timing') return timing;
    if (cmd.op === 'pool') return { total: store.pool.totalCount, idle: store.pool.idleCount, waiting: store.pool.waitingCount };
    if (cmd.op === 'trace-start') return { tracing: !!(traced = []) };
    if (cmd.op === 'trace-stop') {
      const statements = traced ?? [];
      traced = null;
      return { statements };
    }
    // One inbound message processed, and one send delivered, right here (traced by the driver).
    if (cmd.op === 'receive') return { result: (await c.whatsAppInbound.receive(cmd.message as Parameters<typeof c.whatsAppInbound.receive>[0])) ?? null };
    if (cmd.op === 'deliver') {
      const ctx = { jobId: '0', attempt: 1, maxAttempts: 8, signal: new AbortController().signal };
      return { result: (await c.whatsApp.deliver({ workspaceId, eventId: String(cmd.eventId) }, ctx)) ?? null };
    }
    if (cmd.op === 'profile-start') {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 200 });
      await session.post('Profiler.start');
      return { profiling: true };
    }
    if (cmd.op === 'profile-stop') {
      const { profile } = await session!.post('Profiler.stop');
      await writeFile(String(cmd.file), JSON.stringify(profile));
      session!.disconnect();
      return { file: cmd.file };
    }
    throw new Error(`unknown op ${cmd.op}`);
  });
}

// --- the driver -----------------------------------------------------------------------------

const CONTACTS = Number(flags.contacts);
const CONNECTIONS = Number(flags.connections);
const WARMUP = Number(flags.warmup);
const ROUNDS = Number(flags.rounds);
const SECONDS = Number(flags.seconds);
const JOB_CONCURRENCY = Number(flags['job-concurrency']);
const PG = flags.pg!.replace(/\/+$/, '');
/** What every server child gets besides its database and pace. */
const CHILD_ENV = { BENCH_JOB_CONCURRENCY: String(JOB_CONCURRENCY), ...(flags['poll-ms'] && { BENCH_POLL_MS: flags['poll-ms'] }) };
const round1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '–');
const int = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en') : '–');
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));
type Server = Awaited<ReturnType<typeof startServer<Info>>>;
interface Info { appPort: number; basePort: number; clientId: string; clientSecret: string; workspaceId: string }
interface Ids { workspaceId: string; sandbox: string; cloud: string }

/**
 * The workspace, a sandbox channel and a Cloud API channel pointed at the fake Graph API, made
 * through the admin API; then each of `contacts` numbers writes to both channels an hour ago
 * (`whatsAppInbound.receive`, the inbound job's own code): contact, open conversation, an inbound
 * event, so the 24-hour window is open for every one.
 */
async function seed(url: string, fake: FakeGraph): Promise<Ids> {
  const options: StoreOptions = { databaseUrl: url };
  const store = await openStore(options);
  await migrateToLatest(store.db);
  const app = await buildApp({ config: loadConfig({ ...appEnv(options), WEBHOOK_ALLOW_PRIVATE: 'true' }), db: store.db, engine: store.engine, clock: systemClock, logger: false });
  try {
    const admin = async (path: string, payload: object) => {
      const res = await app.inject({ method: 'POST', url: path, payload, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode} ${res.body}`);
      return res.json() as { id: string };
    };
    const ws = await admin('/admin/v1/workspaces', { name: WORKSPACE });
    const sandbox = await admin(`/admin/v1/workspaces/${ws.id}/channels`, { name: 'bench sandbox', type: 2, phoneNumber: '+966500000001', whatsApp: { provider: 'sandbox' } });
    const cloud = await admin(`/admin/v1/workspaces/${ws.id}/channels`, {
      name: 'bench cloud', type: 2, phoneNumber: '+966500000002',
      whatsApp: { provider: 'cloud', phoneNumberId: '109876543210', accessToken: fake.token, appSecret: APP_SECRET, verifyToken: 'bench-verify-token', graphBaseUrl: fake.baseUrl },
    });
    const t0 = performance.now();
    const anHourAgo = new Date(Date.now() - 3_600_000).toISOString();
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < 2 * CONTACTS; i = next++) {
        const k = i % CONTACTS;
        const channelId = i < CONTACTS ? sandbox.id : cloud.id;
        const result = await app.container.whatsAppInbound.receive({
          channelId, messageId: `wamid.SEED${i}`, from: contactPhone(k).slice(1), profileName: `Contact ${k}`, timestamp: anHourAgo,
          type: 'text', text: 'مرحبا', replyTo: null, mediaUrl: null, mimeType: null, location: null,
        });
        if (result) throw new Error(`seeding inbound ${i}: ${JSON.stringify(result)}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, lane));
    // The planner's statistics, as autovacuum would have them on a store in use: a table never
    // analyzed is planned blind (a contact by number read through the name index, 1,000 rows).
    await sql`ANALYZE`.execute(store.db);
    log(`seeded ${CONTACTS} contacts with an open window on each of two channels in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return { workspaceId: ws.id, sandbox: sandbox.id, cloud: cloud.id };
  } finally {
    await app.close();
    await store.close();
  }
}

/** One request through fetch first: a clear error instead of a table of non-200s. */
async function check(url: string, request: Request) {
  const req = request.setupRequest ? request.setupRequest({ ...request }, {}) : request;
  const res = await fetch(`${url}${req.path}`, { method: req.method, headers: req.headers, body: req.body });
  if (res.status !== 200) throw new Error(`${req.method} ${req.path}: ${res.status} ${await res.text()}`);
}

interface Side { name: string; url: string; request: Request }
type Counts = Record<string, number>;
/** The child's CPU time and statement counts now; `since()` answers what they grew by. */
async function meter(server: Server) {
  const read = async () => ({ cpuUs: (await server.ask<{ cpuUs: number }>({ op: 'cpu' })).cpuUs, counts: await server.ask<Counts>({ op: 'statements' }) });
  const before = await read();
  return {
    async since() {
      const after = await read();
      const counts = Object.fromEntries(Object.entries(after.counts).map(([k, n]) => [k, n - (before.counts[k] ?? 0)]).filter(([, n]) => (n as number) > 0)) as Counts;
      return { cpuUs: after.cpuUs - before.cpuUs, counts };
    },
  };
}
const addCounts = (into: Counts, more: Counts) => {
  for (const [k, n] of Object.entries(more)) into[k] = (into[k] ?? 0) + n;
  return into;
};
/** Statements per unit, most first: "12.0 (3.0 select, 2.0 insert into "jobs", …)". */
function perUnit(counts: Counts, units: number) {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const parts = Object.entries(counts).sort(([, a], [, b]) => b - a).map(([k, n]) => `${(n / units).toFixed(2)} \`${k}\``);
  return `${(total / units).toFixed(1)} (${parts.join(', ')})`;
}

/**
 * Baseline and app after a warm-up of each, then alternating (the order swapped each round) in
 * `ROUNDS` rounds of `SECONDS`, so a neighbour's load hits both alike; the child's CPU and
 * statements per side.
 */
async function compare(server: Server, db: pg.Pool, database: string, sides: Side[]) {
  const all = sides.map(() => ({ runs: [] as Run[], cpuUs: 0, pgMs: 0, counts: {} as Counts, warm: 0, waits: [] as string[], timing: [] as [Timing, Timing][] }));
  for (const [i, side] of sides.entries()) if (WARMUP > 0) all[i]!.warm = (await run(side.url, side.request, { connections: CONNECTIONS, seconds: WARMUP })).ok;
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? [...sides.keys()].reverse() : [...sides.keys()];
    for (const i of order) {
      const m = await meter(server);
      const timing0 = await server.ask<Timing>({ op: 'timing' });
      const pgCpu = await databaseCpu(PG, database);
      const waits = r === ROUNDS - 1 ? sampleWaits(db) : null;
      all[i]!.runs.push(await run(sides[i]!.url, sides[i]!.request, { connections: CONNECTIONS, seconds: SECONDS }));
      if (waits) all[i]!.waits.push(await waits());
      all[i]!.pgMs += await pgCpu();
      all[i]!.timing.push([timing0, await server.ask<Timing>({ op: 'timing' })]);
      const used = await m.since();
      all[i]!.cpuUs += used.cpuUs;
      addCounts(all[i]!.counts, used.counts);
    }
    log(`  round ${r + 1}: ${sides.map((s, i) => `${s.name} ${int(all[i]!.runs.at(-1)!.rps)}/s p99 ${ms(merge([all[i]!.runs.at(-1)!]).p99)} ms`).join(', ')}`);
  }
  return all.map((a) => {
    const m = merge(a.runs);
    // The statements' time over every round (the differences add up across rounds).
    const timing: [Timing, Timing] = [{}, {}];
    for (const [before, after] of a.timing) {
      for (const [k, t] of Object.entries(after)) {
        const b = before[k] ?? { n: 0, ms: 0 };
        const sum = (timing[1][k] ??= { n: 0, ms: 0 });
        sum.n += t.n - b.n;
        sum.ms += t.ms - b.ms;
      }
    }
    return { ...m, slowest: slowest(timing[0], timing[1], m.ok), cpuUsPerReq: a.cpuUs / m.ok, pgUsPerReq: (a.pgMs * 1000) / m.ok, waits: a.waits.join(' '), statements: perUnit(a.counts, m.ok), rounds: a.runs.map((x) => Math.round(x.rps)), accepted: m.ok + a.warm, firstBad: a.runs.find((x) => x.firstBad)?.firstBad };
  });
}

async function profileApp(server: Server, name: string, side: Side) {
  if (!flags.profile) return [];
  const dir = resolve(flags.profile);
  await mkdir(dir, { recursive: true });
  const file = join(dir, `whatsapp-${name}-${process.pid}.cpuprofile`);
  await server.ask({ op: 'profile-start' });
  const r = await run(side.url, side.request, { connections: CONNECTIONS, seconds: 5 });
  await server.ask({ op: 'profile-stop', file });
  return [`**Profile of the app under ${side.name}** (5 s, ${int(r.rps)} req/s under the sampler; \`${file}\`):`, '', await summariseProfile(file), ''];
}

const tableHead = ['| what | req/s (200s) | p50 ms | p99 ms | max ms | non-200 | server CPU µs/req | postgres CPU µs/req | vs baseline | rounds (req/s) |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|'];
const row = (what: string, r: Awaited<ReturnType<typeof compare>>[number], vs: string) =>
  `| ${what} | ${int(r.rps)} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} | ${r.bad}${r.firstBad ? ` (first: ${r.firstBad})` : ''} | ${int(r.cpuUsPerReq)} | ${int(r.pgUsPerReq)} | ${vs} | ${r.rounds.join(', ')} |`;

/** (1) sendText's accept path beside the bare event + job transaction. */
async function sendPhase(db: pg.Pool, url: string, ids: Ids, out: string[]) {
  log('(1) sendText: starting the server (workers off) …');
  const server = await startServer<Info>('bench/whatsapp.bench.ts', { BENCH_DATABASE_URL: url, BENCH_PACE: '80', ...CHILD_ENV });
  try {
    const baseUrl = `http://127.0.0.1:${server.info.basePort}`;
    const sides: Side[] = [
      { name: 'baseline', url: baseUrl, request: sendTextRequest('/base/send', {}, ids.sandbox, CONTACTS) },
      { name: 'sendText', url: server.url, request: sendTextRequest(SEND, { authorization: `Bearer ${server.bearer}` }, ids.sandbox, CONTACTS) },
    ];
    for (const s of sides) await check(s.url, s.request);
    const [base, app] = await compare(server, db, new URL(url).pathname.slice(1), sides);
    const profile = await profileApp(server, 'sendText', sides[1]!);
    // Every 200 of the app is a Pending event and a queued job (the checks and the profile's one besides).
    const { rows } = await db.query<{ events: number; jobs: number }>(
      `SELECT (SELECT count(*)::int FROM conversation_events WHERE channel_id = $1 AND direction = 2 AND handler_name IS DISTINCT FROM $2) AS events,
              (SELECT count(*)::int FROM jobs WHERE name = $3 AND status = 'pending') AS jobs`, [ids.sandbox, BASELINE_HANDLER, SEND_JOB]);
    const ratio = app!.rps / base!.rps;
    out.push(
      `### (1) sendText accepted — ${CONTACTS.toLocaleString('en')} contacts with an open window, sends spread over their conversations in turn; workers off (the accept path only)`,
      ...tableHead,
      row('baseline: bare Fastify route, the timeline event + the `whatsapp.send` job row in one transaction, same pool (raw SQL compiled from the app\'s builders)', base!, ''),
      row('**`POST /v1/whatsapp/service-account/sendText`** (bearer token, sandbox channel, no Idempotency-Key)', app!, `**${Math.round(ratio * 100)} %**`),
      '',
      `Target ≥ 70 % of the baseline: **${ratio >= 0.7 ? 'met' : 'missed'}** (${Math.round(ratio * 100)} %); p99 ≤ 50 ms: **${app!.p99 <= 50 ? 'met' : 'missed'}** (${ms(app!.p99)} ms).`,
      `Statements per request (the server process, by first words): baseline ${base!.statements}; **sendText ${app!.statements}**.`,
      `The database's backends during the last round (pg_stat_activity every 20 ms): baseline ${base!.waits}; sendText ${app!.waits}.`,
      `Where sendText's statements' time went (send → answer in the server, per request; the 8 largest): ${app!.slowest}.`,
      `Check: the app answered 200 to ${int(app!.accepted + 1)} sends (warm-up, rounds, the first check; the profile's aside) — the store holds ${int(rows[0]!.events)} Pending outbound events of the app (up to ${CONNECTIONS} more a load run: requests in flight when autocannon stopped) and ${int(rows[0]!.jobs)} pending send jobs (the app's and the baseline's ${int(base!.accepted + 1)}).`,
      '',
      ...profile,
    );
    // These sends are not measured again: their jobs go, so later phases' workers do not send them.
    await db.query('DELETE FROM jobs WHERE name = $1', [SEND_JOB]);
  } finally {
    await server.close();
  }
}

/** (2) Sends queued with workers off, then workers on: the fake Graph API's arrivals. */
async function pacePhase(db: pg.Pool, url: string, ids: Ids, fake: FakeGraph, pace: number, out: string[], notes: string[]) {
  const count = Math.max(100, Math.round(pace * Number(flags['pace-seconds'])));
  log(`(2) pace ${pace}/s: starting the server (WHATSAPP_SENDS_PER_SECOND=${pace}, JOB_CONCURRENCY=${JOB_CONCURRENCY}), queueing ${count} sends …`);
  const server = await startServer<Info>('bench/whatsapp.bench.ts', { BENCH_DATABASE_URL: url, BENCH_PACE: String(pace), ...CHILD_ENV });
  try {
    const request = sendTextRequest(SEND, { authorization: `Bearer ${server.bearer}` }, ids.cloud, CONTACTS);
    const queued = await run(server.url, request, { connections: CONNECTIONS, amount: count });
    if (queued.ok !== count) throw new Error(`queueing: ${queued.ok} of ${count} sends accepted (first non-200: ${queued.firstBad})`);
    const before = fake.sends().length;
    await sleep(500);
    if (fake.sends().length !== before) throw new Error('sends reached the fake Graph API with workers off');
    const m = await meter(server);
    const profileFile = flags.profile ? join(resolve(flags.profile), `whatsapp-pace${pace}-${process.pid}.cpuprofile`) : null;
    if (profileFile) {
      await mkdir(resolve(flags.profile!), { recursive: true });
      await server.ask({ op: 'profile-start' });
    }
    const started = performance.now();
    await server.ask({ op: 'workers', on: true });
    // Stalled (nothing new for 30 s) or past 15 minutes: something is wrong, not just slow.
    for (let seen = 0, since = started; fake.sends().length - before < count; await sleep(50)) {
      const now = performance.now();
      if (fake.sends().length !== seen) [seen, since] = [fake.sends().length, now];
      if (now - since > 30_000 || now - started > 900_000) throw new Error(`only ${fake.sends().length - before} of ${count} sends reached the fake Graph API`);
    }
    const done = performance.now();
    const used = await m.since();
    if (profileFile) await server.ask({ op: 'profile-stop', file: profileFile });
    const times = fake.sends().slice(before).map((r) => r.at);
    // The last outcomes recorded, then the workers stop.
    for (let i = 0; i < 100; i++) {
      const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs WHERE name = $1 AND status IN ('pending', 'running')`, [SEND_JOB]);
      if (rows[0]!.n === 0) break;
      await sleep(100);
    }
    await server.ask({ op: 'workers', on: false });
    const { rows: statuses } = await db.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM conversation_events WHERE channel_id = $1 AND direction = 2 GROUP BY 1 ORDER BY 1`, [ids.cloud]);
    const first = Math.min(...times);
    const last = Math.max(...times);
    const achieved = ((times.length - 1) * 1000) / (last - first);
    const window = maxInWindow(times);
    const tenth = maxInWindow(times, 100);
    const interval = paceOf('x', pace).intervalMs;
    const seconds = perSecond(times);
    notes.push(
      `- ${pace}/s: most arrivals in any 100 ms ${tenth.max} (the slots allow ${Math.ceil(100 / interval)}); the busiest second starts ${round1(window.at / 1000)} s after the first arrival. ` +
        `Arrivals per 100 ms in the busiest second: ${perTenth(times, window.at)}. ` +
        `Server while sending: ${int(used.cpuUs / count)} µs CPU a send; statements a send ${perUnit(used.counts, count)}.`,
      ...(profileFile ? ['', `Profile of the server while it sends at ${pace}/s (\`${profileFile}\`):`, '', await summariseProfile(profileFile), ''] : []),
    );
    out.push(
      `| ${pace} | ${interval.toFixed(2)} ms (≤ ${pace} in any second) | ${int(count)} | ${round1((first - started) / 1000)} s | ${round1((last - first) / 1000)} s | **${round1(achieved)}** | **${window.max}** ${window.max <= pace ? '✓' : '✗'} | ${seconds.join(', ')} | ${statuses.map((s) => `${s.status} ${s.n}`).join(', ')} |`,
    );
    log(`  pace ${pace}: achieved ${round1(achieved)}/s, max in a 1-s window ${window.max}, ${((done - started) / 1000).toFixed(1)} s`);
  } finally {
    await server.close();
  }
}

/** Arrivals in each 100 ms of the second starting `at` ms after the first arrival. */
function perTenth(times: number[], at: number) {
  const t0 = Math.min(...times) + at;
  const bins = Array.from({ length: 10 }, () => 0);
  for (const x of times) if (x >= t0 && x < t0 + 1000) bins[Math.floor((x - t0) / 100)]!++;
  return bins.join(', ');
}

type Timing = Record<string, { n: number; ms: number }>;
/** The statements that took the most time between two `timing` answers, per unit: "`select * from …` 1.00 × 2.3 ms". */
function slowest(before: Timing, after: Timing, units: number, top = 8) {
  return Object.entries(after)
    .map(([k, t]) => ({ k, n: t.n - (before[k]?.n ?? 0), ms: t.ms - (before[k]?.ms ?? 0) }))
    .filter((x) => x.n > 0)
    .sort((a, b) => b.ms - a.ms)
    .slice(0, top)
    .map((x) => `\`${x.k}…\` ${(x.n / units).toFixed(2)} × ${round1(x.ms / x.n)} ms`)
    .join('; ');
}

/** Open (pending or running) and dead jobs of these names. */
async function openJobs(db: pg.Pool, names: string[]) {
  const { rows } = await db.query<{ open: number; dead: number }>(
    `SELECT count(*) FILTER (WHERE status IN ('pending', 'running'))::int AS open, count(*) FILTER (WHERE status = 'dead')::int AS dead FROM jobs WHERE name = ANY($1)`, [names]);
  return rows[0]!;
}
/**
 * Whether any job of these names is open, through the partial indexes of pending and running
 * jobs: the poll below runs ten times a second during a drain, and a count over the whole table
 * (`openJobs`) took 22 ms of the database's CPU each time there — a fifth of a core taken from the
 * drain it measures.
 */
async function anyOpen(db: pg.Pool, names: string[]) {
  const { rows } = await db.query<{ open: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM jobs WHERE status = 'pending' AND run_at > '-infinity' AND name = ANY($1))
         OR EXISTS (SELECT 1 FROM jobs WHERE status = 'running' AND locked_until > '-infinity' AND name = ANY($1)) AS open`, [names]);
  return rows[0]!.open;
}
/** Waits until no job of these names is open; seconds it took, or NaN after `limitS`. */
async function drained(db: pg.Pool, names: string[], from: number, limitS: number) {
  for (;;) {
    if (!(await anyOpen(db, names))) return (performance.now() - from) / 1000;
    if (performance.now() - from > limitS * 1000) return NaN;
    await sleep(100);
  }
}

/**
 * The statements of one request of each kind, in order, as the server sent them: a sendText, a
 * signed webhook, the inbound job's processing of one new sender's message, the send job's
 * delivery of one message to the fake Graph API (workers off; the last two called in the child).
 */
async function traces(server: Server, ids: Ids) {
  const trace = async (what: string, fn: () => Promise<unknown>) => {
    await server.ask({ op: 'trace-start' });
    await fn();
    const { statements } = await server.ask<{ statements: string[] }>({ op: 'trace-stop' });
    const short = statements.map((x, i) => `${String(i + 1).padStart(2)}. ${x.length > 230 ? `${x.slice(0, 230)} …` : x}`);
    return [`**${what}: ${statements.length} statements**`, '```sql', ...short, '```', ''];
  };
  const post = async (path: string, headers: Record<string, string>, body: string) => {
    const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<{ conversationEventId?: string }>;
  };
  const hook = webhookRequest(`/webhooks/whatsapp/${ids.cloud}`, 'TRACE').setupRequest!({ headers: { 'content-type': 'application/json' } }, {});
  let eventId = '';
  const out = [
    ...(await trace('sendText (the 7th contact, its conversation open, window open)', async () => {
      eventId = (await post(SEND, { authorization: `Bearer ${server.bearer}` }, JSON.stringify({ ChannelId: ids.cloud, Text: 'traced', ToNumber: contactPhone(7) }))).conversationEventId!;
    })),
    ...(await trace('POST /webhooks/whatsapp/{channelId} (one message)', () => post(`/webhooks/whatsapp/${ids.cloud}`, hook.headers!, hook.body!))),
  ];
  const message = JSON.parse(hook.body!).entry[0].changes[0].value.messages[0] as { from: string; id: string };
  const inbound = {
    channelId: ids.cloud, messageId: `wamid.SEEDTRACE${message.id}`, from: `${message.from.slice(0, -1)}${(Number(message.from.at(-1)) + 5) % 10}`, profileName: 'Traced', timestamp: new Date().toISOString(),
    type: 'text', text: 'traced', replyTo: null, mediaUrl: null, mimeType: null, location: null,
  };
  out.push(...(await trace('whatsapp.inbound: one message from a new sender (contact, conversation, event)', () => server.ask({ op: 'receive', message: inbound }))));
  out.push(...(await trace('whatsapp.send: one message delivered to the fake Graph API (Sent recorded)', () => server.ask({ op: 'deliver', eventId }))));
  return out;
}

/** (3) Signed webhooks beside a bare raw-body INSERT; then the processing backlog's drain. */
async function ingestPhase(db: pg.Pool, url: string, ids: Ids, out: string[]) {
  log('(3) inbound webhooks: starting the server (workers off) …');
  const server = await startServer<Info>('bench/whatsapp.bench.ts', { BENCH_DATABASE_URL: url, BENCH_PACE: '80', ...CHILD_ENV });
  try {
    const baseUrl = `http://127.0.0.1:${server.info.basePort}`;
    const appPath = `/webhooks/whatsapp/${ids.cloud}`;
    const sides: Side[] = [
      { name: 'baseline', url: baseUrl, request: webhookRequest(`/base/webhook/${ids.sandbox}`, 'BASE') },
      { name: 'webhook', url: server.url, request: webhookRequest(appPath, 'APP') },
    ];
    for (const s of sides) await check(s.url, s.request);
    const traced = await traces(server, ids);
    const [base, app] = await compare(server, db, new URL(url).pathname.slice(1), sides);
    const ratio = app!.rps / base!.rps;
    const profile = await profileApp(server, 'webhook', sides[1]!);

    // (b) the backlog of the measurement (workers were off), drained by workers started now.
    const backlog = (await openJobs(db, INGEST_JOBS)).open;
    log(`  backlog of ${backlog} inbound messages; workers on …`);
    let drainProfile: string[] = [];
    const m = await meter(server);
    const timing0 = await server.ask<Timing>({ op: 'timing' });
    const pgCpu = await databaseCpu(PG, new URL(url).pathname.slice(1));
    const drainWaits = sampleWaits(db);
    const t0 = performance.now();
    if (flags.profile) await server.ask({ op: 'profile-start' });
    await server.ask({ op: 'workers', on: true });
    const first = await drained(db, INGEST_JOBS, t0, 600);
    const used = await m.since();
    const drainUse = { cpuUs: used.cpuUs, pgUs: (await pgCpu()) * 1000, waits: await drainWaits(), statements: perUnit(used.counts, backlog), slowest: slowest(timing0, await server.ask<Timing>({ op: 'timing' }), backlog) };
    if (flags.profile) {
      const file = join(resolve(flags.profile), `whatsapp-drain-${process.pid}.cpuprofile`);
      await server.ask({ op: 'profile-stop', file });
      drainProfile = [`**Profile of the server while its workers drain the backlog** (\`${file}\`):`, '', await summariseProfile(file), ''];
    }
    log(`  drained in ${round1(first)} s`);

    // (c) workers running while signed webhooks arrive; the drain after the load stops.
    const doneJobs = async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs WHERE name = $1 AND status = 'done'`, [INBOUND_JOB])).rows[0]!.n;
    const done0 = await doneJobs();
    const pool: { waiting: number; idle: number }[] = [];
    let loading = true;
    const sampling = (async () => {
      for (; loading; await sleep(100)) pool.push(await server.ask<{ waiting: number; idle: number }>({ op: 'pool' }));
    })();
    const loadStart = performance.now();
    const stopWaits = sampleWaits(db);
    const load = await run(server.url, webhookRequest(appPath, 'RUN'), { connections: CONNECTIONS, seconds: Number(flags['drain-load']) });
    const stopped = performance.now();
    const waitsDuring = await stopWaits();
    loading = false;
    await sampling;
    const processedDuring = ((await doneJobs()) - done0) / ((stopped - loadStart) / 1000);
    const waiting = { mean: pool.reduce((a, p) => a + p.waiting, 0) / pool.length, max: Math.max(...pool.map((p) => p.waiting)), idle: pool.filter((p) => p.idle > 0).length / pool.length };
    const atStop = (await openJobs(db, INGEST_JOBS)).open;
    const second = await drained(db, INGEST_JOBS, stopped, 600);
    const during = merge([load]);
    log(`  with workers: ${int(load.rps)} POST/s, backlog ${atStop} at the stop, drained in ${round1(second)} s`);
    await server.ask({ op: 'workers', on: false });

    // Every accepted message became one inbound timeline event.
    const { rows } = await db.query<{ accepted: number; raw: number; events: number }>(
      `SELECT (SELECT coalesce(sum(messages), 0)::int FROM whatsapp_webhook_events WHERE channel_id = $1) AS accepted,
              (SELECT count(*)::int FROM whatsapp_webhook_events WHERE channel_id = $1) AS raw,
              (SELECT count(*)::int FROM conversation_events WHERE channel_id = $1 AND direction = 1 AND external_id NOT LIKE 'wamid.SEED%') AS events`, [ids.cloud]);
    const dead = (await openJobs(db, INGEST_JOBS)).dead;
    out.push(
      `### (3) Inbound webhook ingest — signed Meta webhooks, one text message each, a new wamid and a new sender each (every message a new contact and conversation)`,
      ...tableHead,
      row('baseline: bare Fastify route, the raw body in one INSERT (whatsapp_webhook_events), same pool', base!, ''),
      row('**`POST /webhooks/whatsapp/{channelId}`** (Cloud API channel; HMAC checked, the raw body as one `whatsapp.webhook` job: one INSERT), workers off', app!, `**${Math.round(ratio * 100)} %**`),
      `| the same with the workers running (${flags['drain-load']} s, one run) | ${int(during.rps)} | ${ms(during.p50)} | ${ms(during.p99)} | ${ms(during.max)} | ${load.bad} | | | ${Math.round((during.rps / base!.rps) * 100)} % | |`,
      '',
      `Targets: ≥ 70 % of the baseline **${ratio >= 0.7 ? 'met' : 'missed'}** (${Math.round(ratio * 100)} %); ≥ 1,000 POST/s **${app!.rps >= 1000 ? 'met' : 'missed'}** (${int(app!.rps)}); p99 ≤ 100 ms **${app!.p99 <= 100 ? 'met' : 'missed'}** (${ms(app!.p99)} ms).`,
      '',
      '| processing backlog (`whatsapp.inbound`, JOB_CONCURRENCY ' + JOB_CONCURRENCY + ', one worker loop) | messages | drain s | messages/s |',
      '|---|---:|---:|---:|',
      `| (b) the measurement's backlog (workers were off), workers started after the load | ${int(backlog)} | ${round1(first)} | ${int(backlog / first)} |`,
      `| **(c) workers running during a ${flags['drain-load']}-s load: from the load's end until no message is left** | ${int(atStop)} left of ${int(load.ok)} | **${round1(second)}** ${second <= 30 ? '✓' : '✗'} | |`,
      '',
      `Target: the backlog drains within 30 s after the load stops — (c) **${second <= 30 ? 'met' : 'missed'}** (${round1(second)} s); (b) ${first <= 30 ? 'within' : 'over'} 30 s (${round1(first)} s for ${int(backlog)} messages).`,
      `Statements per request: baseline ${base!.statements}; **webhook ${app!.statements}**. Per message processed in (b): ${drainUse.statements}; server CPU ${int(drainUse.cpuUs / backlog)} µs, postgres CPU ${int(drainUse.pgUs / backlog)} µs a message.`,
      `The database's backends (pg_stat_activity every 20 ms): baseline, last round: ${base!.waits}; webhook, last round: ${app!.waits}; (b) drain: ${drainUse.waits}; (c) load with workers: ${waitsDuring}.`,
      `Where the webhook's statements' time went (per request): ${app!.slowest}.`,
      `Where the statements' time went in (b) (send → answer, in the server, per message; the 8 largest): ${drainUse.slowest}.`,
      `During (c): the workers processed ${int(processedDuring)} messages/s while ${int(during.rps)} POST/s were accepted; requests waiting for one of the pool's 10 connections (sampled every 100 ms): mean ${round1(waiting.mean)}, max ${waiting.max}; a connection idle in ${Math.round(waiting.idle * 100)} % of the samples.`,
      `Check: ${int(rows[0]!.raw)} webhooks stored for the channel (${int(rows[0]!.accepted)} messages); ${int(rows[0]!.events)} inbound timeline events made from them; dead jobs ${dead}.`,
      '',
      ...profile,
      ...drainProfile,
      '### The statements of one request (workers off; the server process, in order)',
      ...traced,
    );
  } finally {
    await server.close();
  }
}

async function drive() {
  const began = loadavg();
  const phases = new Set(flags.phases!.split(','));
  const out: string[] = [];
  const database = await ownDatabase(PG, `wasl_bench_wa_${process.pid}`);
  const fake = await startFakeGraph();
  const db = new pg.Pool({ connectionString: database.url, max: 2 });
  try {
    const ids = await seed(database.url, fake);
    if (phases.has('send')) await sendPhase(db, database.url, ids, out);
    if (phases.has('pace')) {
      const rows: string[] = [];
      const notes: string[] = [];
      for (const pace of flags.paces!.split(',').map(Number)) await pacePhase(db, database.url, ids, fake, pace, rows, notes);
      out.push(
        `### (2) Delivery pacing per number — sends queued through sendText to a Cloud API channel (workers off), then one worker loop (JOB_CONCURRENCY ${JOB_CONCURRENCY}) sends them to the fake Graph API; times are the fake's arrivals`,
        '| WHATSAPP_SENDS_PER_SECOND | slot interval | sends | first arrival after workers start | first → last | **achieved msg/s** | **most in any 1-s window** | arrivals per second from the first | events after |',
        '|---:|---|---:|---:|---:|---:|---:|---|---|',
        ...rows,
        '',
        'Target: never over the pace in any one-second window (✓ / ✗ per row); the baseline is the pace itself.',
        '',
        ...notes,
        '',
      );
    }
    if (phases.has('ingest')) await ingestPhase(db, database.url, ids, out);
  } finally {
    process.stdout.write(
      [
        `## WhatsApp (issue 9), PostgreSQL — ${new Date().toISOString()}`,
        machineLine(began, `autocannon ${CONNECTIONS} connections; ${WARMUP} s warm-up a side, then ${ROUNDS} alternating rounds of ${SECONDS} s a side; the server (app + baseline on one pool of 10) in a child process`),
        `Command: \`${['node --import tsx bench/whatsapp.bench.ts', ...process.argv.slice(2)].join(' ')}\`.`,
        '',
        ...out,
      ].join('\n') + '\n',
    );
    await db.end();
    await fake.close();
    await database.drop().catch((err: Error) => log(`drop: ${err.message}`));
  }
}

if (flags.serve) await serve();
else await drive();
