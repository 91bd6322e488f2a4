import type { FastifyBaseLogger } from 'fastify';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { Type } from 'typebox';
import { migrateToLatest } from '../src/db/migrate.js';
import { dumpTemplate, openStore, type Store } from '../src/db/store.js';
import type { Database } from '../src/db/types.js';
import { createJobsRepo, type JobsRepo } from '../src/jobs/jobs.repo.js';
import { createJobQueue, queuedJob } from '../src/jobs/queue.js';
import { startWorkers } from '../src/jobs/runtime.js';
import { systemClock } from '../src/lib/clock.js';
import { createTransactor } from '../src/db/transaction.js';
import { cleanup, log, machineNote, percentile, postgresCpu, round, sleep, tempDatabase, within } from './webhooks-lib.js';

/**
 * The job queue alone (src/jobs), on in-memory PGlite and on a fresh PostgreSQL database:
 * (a) enqueue rate, (b) claim + complete throughput of the real worker against a bare loop of the
 * same two statements on the same pool, (c) enqueue → handler latency of an idle worker.
 * Markdown on stdout, progress on stderr.
 */
const usage = `node --import tsx bench/jobs.bench.ts [--stores=pglite,postgres] [--enqueue=2000] [--jobs=5000]
  [--samples=200] [--concurrency=16] [--pg=postgres://postgres@127.0.0.1:5432]`;
const { values: flags } = parseArgs({
  options: {
    stores: { type: 'string', default: 'pglite,postgres' }, enqueue: { type: 'string', default: '2000' }, jobs: { type: 'string', default: '5000' },
    samples: { type: 'string', default: '200' }, concurrency: { type: 'string', default: '16' }, pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' },
    help: { type: 'boolean' },
  },
});
if (flags.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
const ENQUEUE = Number(flags.enqueue);
const JOBS = Number(flags.jobs);
const SAMPLES = Number(flags.samples);
const CONCURRENCY = Number(flags.concurrency);
const PG = flags.pg!.replace(/\/+$/, '');
const NAME = 'bench.noop';
const TIMEOUT_MS = 180_000;
const logger = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;

interface Row { store: string; what: string; rate?: number; p50?: number; p99?: number; ratio?: number; nodeUs?: number; pgUs?: number; note?: string }
const rows: Row[] = [];

/** Runs `fn`, returning its wall time (ms) and the CPU it cost this process and the postgres processes. */
async function measured(fn: () => Promise<unknown>) {
  const cpu0 = process.cpuUsage();
  const pg0 = postgresCpu();
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, nodeMs: (cpu.user + cpu.system) / 1000, pgMs: pg0() };
}

async function openBenchStore(store: string): Promise<Store> {
  if (store === 'pglite') return openStore({ template: await dumpTemplate(async (db) => void (await migrateToLatest(db))) });
  const url = await tempDatabase(PG, `wasl_bench_jobs_${process.pid}`);
  const s = await openStore({ databaseUrl: url, poolSize: 10 });
  await migrateToLatest(s.db);
  return s;
}

/** The SQL text (and parameter order) the repo sends for claim and complete, caught through Kysely's log. */
async function repoStatements(store: Store) {
  const seen: string[] = [];
  const spy = new Kysely<Database>({ dialect: new PostgresDialect({ pool: store.pool }), log: (e) => void seen.push(e.query.sql) });
  const spyRepo = createJobsRepo(spy);
  await spyRepo.claim('spy', [NAME], new Date(), new Date(), 1);
  await spyRepo.complete(['0'], 'spy', new Date());
  const [claim, complete] = seen;
  if (!claim?.includes('SKIP LOCKED') || !complete?.includes('update "jobs"')) throw new Error(`unexpected repo SQL: ${seen.join(' | ')}`);
  return { claim, complete };
}

async function benchStore(storeName: string) {
  log(`\n${storeName}: opening a fresh migrated store …`);
  const store = await openBenchStore(storeName);
  const { db, pool } = store;
  const repo = createJobsRepo(db);
  const transaction = createTransactor(db);
  const queue = createJobQueue({ repo, clock: systemClock, afterCommit: transaction.afterCommit });
  let onRun: (i: number) => void = () => {};
  queue.define(queuedJob({ name: NAME, payload: Type.Object({ i: Type.Integer() }), maxAttempts: 3, handler: async (p) => onRun(p.i) }));
  const reset = () => sql`TRUNCATE jobs`.execute(db);
  const add = (what: string, m: Awaited<ReturnType<typeof measured>>, n: number, extra: Partial<Row> = {}, base?: Row) => {
    const row: Row = { store: storeName, what, rate: (n * 1000) / m.ms, nodeUs: (m.nodeMs * 1000) / n, pgUs: storeName === 'postgres' ? (m.pgMs * 1000) / n : undefined, ...extra };
    if (base) row.ratio = row.rate! / base.rate!;
    rows.push(row);
    log(`  ${what.padEnd(62)} ${Math.round(row.rate!).toString().padStart(6)} /s${extra.note ? `  (${extra.note})` : ''}`);
    return row;
  };
  try {
    // (a) enqueue, after a warm-up of the code paths
    for (let i = 0; i < 200; i++) await transaction((trx) => queue.enqueue(trx, NAME, { i }));
    await reset();
    add(`enqueue: ${ENQUEUE} jobs, each its own transaction, one after another`, await measured(async () => {
      for (let i = 0; i < ENQUEUE; i++) await transaction((trx) => queue.enqueue(trx, NAME, { i }));
    }), ENQUEUE);
    await reset();
    add(`enqueue: ${ENQUEUE} jobs, each its own transaction, 16 at a time`, await measured(async () => {
      let next = 0;
      const lane = async () => {
        while (next < ENQUEUE) {
          const i = next++;
          await transaction((trx) => queue.enqueue(trx, NAME, { i }));
        }
      };
      await Promise.all(Array.from({ length: 16 }, lane));
    }), ENQUEUE);
    await reset();
    add(`enqueue: ${ENQUEUE} jobs in one transaction`, await measured(() =>
      transaction(async (trx) => {
        for (let i = 0; i < ENQUEUE; i++) await queue.enqueue(trx, NAME, { i });
      })), ENQUEUE);

    // (b) claim + complete of JOBS due jobs
    const fill = async () => {
      await reset();
      await sql`INSERT INTO jobs (name, payload, status, run_at, max_attempts, created_at)
        SELECT ${NAME}, jsonb_build_object('i', g), 'pending', now() - interval '1 second', 3, now() FROM generate_series(1, ${JOBS}) g`.execute(db);
      await sql`ANALYZE jobs`.execute(db);
    };
    const { claim, complete } = await repoStatements(store);
    // Parameters in the order the repo sends them: claim (worker, lease, now, names, limit); complete (set …, id, worker).
    const rawLoop = async (workerId: string) => {
      for (;;) {
        const now = new Date();
        const { rows: claimed } = await pool.query<{ id: string }>(claim, [workerId, new Date(now.getTime() + 30_000), now, [NAME], CONCURRENCY]);
        if (!claimed.length) return;
        await Promise.all(claimed.map((j) => pool.query(complete, ['done', new Date(), null, null, null, j.id, workerId])));
      }
    };
    const repoLoop = async (workerId: string) => {
      for (;;) {
        const now = new Date();
        const claimed = await repo.claim(workerId, [NAME], now, new Date(now.getTime() + 30_000), CONCURRENCY);
        if (!claimed.length) return;
        await repo.complete(claimed.map((j) => j.id), workerId, new Date());
      }
    };
    const workers = async (loops: number) => {
      let ran = 0;
      let claims = 0;
      const counted: JobsRepo = { ...repo, claim: (...args) => (claims++, repo.claim(...args)) };
      const m = await measured(async () => {
        const all = new Promise<void>((resolve) => (onRun = () => ++ran === JOBS && resolve()));
        const ws = await startWorkers({ repo: counted, queue, store, clock: systemClock, logger }, { count: loops, concurrency: CONCURRENCY });
        await within(all, TIMEOUT_MS, () => `workers ran ${ran} of ${JOBS} jobs in ${TIMEOUT_MS} ms`);
        await ws.stop(5000); // the last completes are written before stop() returns
      });
      // Every handler ran; a job still open means its bookkeeping failed (reported, not hidden).
      const open = await sql<{ status: string; last_error: string | null }>`SELECT status, last_error FROM jobs WHERE status <> 'done'`.execute(db);
      const failed = open.rows.length ? `${open.rows.length} job(s) left ${open.rows[0]!.status} after their handler ran: "${open.rows[0]!.last_error}"` : '';
      if (failed) log(`  ! ${failed}`);
      return { m, claims, failed };
    };
    for (const loops of [1, 2]) {
      await fill();
      const base = add(`claim+complete baseline: ${loops} bare loop(s) of the repo's SQL on the pool, batches of ${CONCURRENCY}`,
        await measured(() => Promise.all(Array.from({ length: loops }, (_, k) => rawLoop(`raw-${k}`)))), JOBS);
      await fill();
      add(`(diagnostic) ${loops} bare loop(s) of repo.claim + repo.complete (Kysely)`,
        await measured(() => Promise.all(Array.from({ length: loops }, (_, k) => repoLoop(`repo-${k}`)))), JOBS, {}, base);
      await fill();
      const w = await workers(loops);
      add(`claim+complete: ${loops} worker loop(s) (startWorkers), concurrency ${CONCURRENCY} each, no-op handler`, w.m, JOBS, {
        note: `${round(JOBS / w.claims, 1)} jobs per claim statement${w.failed ? `; ${w.failed}` : ''}`,
      }, base);
    }

    // (c) enqueue → handler latency of an idle worker (woken by NOTIFY)
    await reset();
    const worker = await startWorkers({ repo, queue, store, clock: systemClock, logger }, { concurrency: CONCURRENCY });
    const fromStart: number[] = [];
    const fromCommit: number[] = [];
    try {
      for (let i = 0; i < SAMPLES + 10; i++) {
        await sleep(10);
        const ran = new Promise<number>((resolve) => (onRun = () => resolve(performance.now())));
        const t0 = performance.now();
        await transaction((trx) => queue.enqueue(trx, NAME, { i }));
        const t1 = performance.now();
        const at = await within(ran, 5000, () => 'a job did not run within 5 s');
        if (i < 10) continue; // warm-up
        fromStart.push(at - t0);
        fromCommit.push(at - t1);
      }
    } finally {
      await worker.stop(5000);
    }
    for (const [what, xs] of [['enqueue transaction start → handler runs', fromStart], ['commit returned → handler runs', fromCommit]] as const) {
      rows.push({ store: storeName, what: `latency, idle worker: ${what} (${SAMPLES} sequential)`, p50: percentile(xs, 50), p99: percentile(xs, 99), note: `max ${round(Math.max(...xs), 1)} ms` });
      log(`  latency ${what}: p50 ${round(percentile(xs, 50), 2)} ms, p99 ${round(percentile(xs, 99), 2)} ms`);
    }
  } finally {
    await store.close();
  }
}

function report() {
  const f = (x: number | undefined, d = 0) => (x === undefined || !Number.isFinite(x) ? '' : String(round(x, d)));
  const out = [
    `Wasl job queue benchmark — ${machineNote().join('; ')}`,
    `enqueue ${ENQUEUE}, claim+complete ${JOBS} jobs, ${SAMPLES} latency samples, concurrency ${CONCURRENCY}; CPU from process.cpuUsage() and /proc (postgres processes)`,
    '',
    '| store | what | jobs/s | p50 ms | p99 ms | vs baseline | node CPU µs/job | postgres CPU µs/job | note |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map((r) =>
      `| ${r.store} | ${r.what} | ${f(r.rate)} | ${f(r.p50, 2)} | ${f(r.p99, 2)} | ${r.ratio === undefined ? '' : `${Math.round(r.ratio * 100)} %`} | ${f(r.nodeUs)} | ${f(r.pgUs)} | ${r.note ?? ''} |`),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

try {
  for (const store of flags.stores!.split(',')) await benchStore(store);
  report();
} catch (err) {
  if (rows.length) report();
  throw err;
} finally {
  await cleanup();
}
