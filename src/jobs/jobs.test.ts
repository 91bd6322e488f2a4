import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { Type } from 'typebox';
import { build, json } from '../../test/helpers/build.js';
import { queuedJob } from './queue.js';

const h = await build();
const { queue, jobsRepo, transaction } = h.app.container;
const runs: { tag: string; attempt: number; at: number; start: number; end: number }[] = [];
const ranFor = (tag: string) => runs.filter((r) => r.tag === tag);
const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

queue.define(queuedJob({
  name: 'test.record',
  payload: Type.Object({
    tag: Type.String(),
    failTimes: Type.Optional(Type.Integer()),
    giveUp: Type.Optional(Type.Boolean()),
    retryInMs: Type.Optional(Type.Integer()),
    workMs: Type.Optional(Type.Integer()),
  }),
  maxAttempts: 3,
  backoff: (attempt) => attempt * 1000,
  async handler(p, ctx) {
    const start = performance.now();
    if (p.workMs) await tick(p.workMs);
    runs.push({ tag: p.tag, attempt: ctx.attempt, at: h.clock.now().getTime(), start, end: performance.now() });
    if (p.giveUp) return { giveUp: true, reason: 'the receiver is gone' };
    if (p.retryInMs) return { retryAt: new Date(h.clock.now().getTime() + p.retryInMs), reason: 'asked to wait' };
    if (p.failTimes && ctx.attempt <= p.failTimes) throw new Error(`failure ${ctx.attempt}`);
  },
}));
queue.define(queuedJob({
  name: 'test.slow',
  payload: Type.Object({ tag: Type.String() }),
  maxAttempts: 5,
  async handler(p, ctx) {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, 5000);
      ctx.signal.addEventListener('abort', () => (clearTimeout(timer), reject(ctx.signal.reason)));
    });
    runs.push({ tag: p.tag, attempt: ctx.attempt, at: 0, start: 0, end: 0 });
  },
}));
// No worker here takes it: it stays due, for the metrics.
queue.define(queuedJob({ name: 'test.unclaimed', payload: Type.Object({}), maxAttempts: 1, handler: async () => {} }));

const worker = await h.worker({ pollMs: 60_000, recoverEveryMs: 100, names: ['test.record'], concurrency: 8 });
const enqueue = (payload: object, options = {}) => transaction((trx) => queue.enqueue(trx, 'test.record', payload, options));
const jobRow = async (id: string | null) => (await jobsRepo.find(id!))!;

test('a job commits with the transaction that enqueues it, or not at all', async () => {
  await enqueue({ tag: 'committed' });
  await assert.rejects(
    transaction(async (trx) => {
      await queue.enqueue(trx, 'test.record', { tag: 'rolled-back' });
      throw new Error('the change failed');
    }),
  );
  await worker.drain();
  assert.equal(ranFor('committed').length, 1);
  assert.equal(ranFor('rolled-back').length, 0);
  await assert.rejects(enqueue({ nope: true }), /job test\.record: payload does not fit its schema \( must have required properties tag\)/);
  await assert.rejects(enqueue({ tag: 7 }), /job test\.record: payload does not fit its schema \(\/tag must be string\)/);
});

test('the commit wakes the worker (its poll is a minute), and the job runs at the time it was enqueued', async () => {
  const enqueuedAt = h.clock.now().getTime();
  await enqueue({ tag: 'woken' });
  // Nothing else wakes it: no drain, and a poll would come a minute from now (this waits 5 s at most).
  for (let i = 0; i < 1000 && !ranFor('woken').length; i++) await tick(5);
  assert.deepEqual(ranFor('woken').map((r) => [r.attempt, r.at]), [[1, enqueuedAt]]);
});

test('failures are retried with backoff; the last failure is a dead letter', async () => {
  const flaky = await enqueue({ tag: 'flaky', failTimes: 2 });
  const doomed = await enqueue({ tag: 'doomed', failTimes: 99 });
  await worker.drain();
  assert.deepEqual([ranFor('flaky').length, ranFor('doomed').length], [1, 1]);
  h.clock.advance(999);
  await worker.drain();
  assert.equal(ranFor('flaky').length, 1, 'not before its backoff (1 s after attempt 1)');
  h.clock.advance(1);
  await worker.drain();
  assert.deepEqual([ranFor('flaky').length, ranFor('doomed').length], [2, 2]);
  h.clock.advance(2000);
  await worker.drain();
  assert.equal((await jobRow(flaky)).status, 'done');
  const dead = await jobRow(doomed);
  assert.equal(dead.status, 'dead');
  assert.equal(dead.attempts, 3);
  assert.equal(dead.last_error, 'failure 3');
  const metrics = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
  assert.match(metrics, /wasl_jobs_dead_letters\{name="test.record"\} [1-9]/);
  assert.match(metrics, /wasl_jobs_runs_total\{name="test.record",outcome="retry"\} [1-9]/);
});

test('a handler can give up at once, or ask to be run again at a time', async () => {
  const gone = await enqueue({ tag: 'gone', giveUp: true });
  const later = await enqueue({ tag: 'later', retryInMs: 60_000 });
  await worker.drain();
  assert.equal((await jobRow(later)).status, 'pending', 'waiting for its time');
  assert.equal((await jobRow(gone)).status, 'dead');
  assert.equal((await jobRow(gone)).attempts, 1);
  h.clock.advance(59_999);
  await worker.drain();
  assert.equal(ranFor('later').length, 1);
  h.clock.advance(1);
  await worker.drain();
  assert.equal(ranFor('later').length, 2);
});

test('scheduled jobs wait for their time; an idempotency key enqueues once', async () => {
  const runAt = new Date(h.clock.now().getTime() + 3_600_000);
  await enqueue({ tag: 'scheduled' }, { runAt });
  assert.ok(await enqueue({ tag: 'once' }, { idempotencyKey: 'k-once' }));
  assert.equal(await enqueue({ tag: 'once' }, { idempotencyKey: 'k-once' }), null);
  await worker.drain();
  assert.equal(ranFor('scheduled').length, 0);
  assert.equal(ranFor('once').length, 1);
  h.clock.advance(3_600_000);
  await worker.drain();
  assert.equal(ranFor('scheduled').length, 1);
});

test('jobs of one key run one at a time in order, even across a retry', async () => {
  await transaction(async (trx) => {
    for (let i = 0; i < 4; i++) {
      await queue.enqueue(trx, 'test.record', { tag: `A${i}`, workMs: 15, failTimes: i === 1 ? 1 : 0 }, { key: 'conv-A' });
      await queue.enqueue(trx, 'test.record', { tag: `B${i}`, workMs: 15 }, { key: 'conv-B' });
    }
  });
  await worker.drain();
  h.clock.advance(1000);
  await worker.drain();
  for (const key of ['A', 'B']) {
    const done = runs.filter((r) => r.tag.startsWith(key) && r.tag.length === 2);
    const order = done.map((r) => r.tag);
    assert.deepEqual(order, key === 'A' ? ['A0', 'A1', 'A1', 'A2', 'A3'] : ['B0', 'B1', 'B2', 'B3'], `${key} ran in order`);
    for (let i = 1; i < done.length; i++) assert.ok(done[i]!.start >= done[i - 1]!.end, `${key}: no overlap`);
  }
});

test('a rate key lets one job start per interval, across workers', async () => {
  for (let i = 0; i < 3; i++) await enqueue({ tag: `paced${i}` }, { rate: { key: 'number:+966500000001', intervalMs: 1000 } });
  await worker.drain();
  assert.equal(runs.filter((r) => r.tag.startsWith('paced')).length, 1);
  h.clock.advance(1000);
  await worker.drain();
  assert.equal(runs.filter((r) => r.tag.startsWith('paced')).length, 2);
  h.clock.advance(1000);
  await worker.drain();
  const paced = runs.filter((r) => r.tag.startsWith('paced'));
  assert.equal(paced.length, 3);
  assert.deepEqual(paced.map((r) => r.attempt), [1, 1, 1], 'waiting for a slot is not an attempt');
});

test('a rate key never lets jobs bunch up behind a late worker: due together after a long pause, they still start one per interval', async () => {
  for (let i = 0; i < 3; i++) await enqueue({ tag: `bunch${i}` }, { rate: { key: 'number:+966500000002', intervalMs: 1000 } });
  await worker.drain();
  assert.equal(runs.filter((r) => r.tag.startsWith('bunch')).length, 1);
  // The worker comes back 5 s later: both waiting jobs are due, but only one slot is free now.
  h.clock.advance(5000);
  await worker.drain();
  assert.equal(runs.filter((r) => r.tag.startsWith('bunch')).length, 2, 'one start, not two on stale slots');
  h.clock.advance(1000);
  await worker.drain();
  assert.equal(runs.filter((r) => r.tag.startsWith('bunch')).length, 3);
});

test('a burst of paced jobs waits in line: each goes back once, holding a slot of its own, one interval apart', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) ids.push((await enqueue({ tag: `line${i}` }, { rate: { key: 'number:+966500000003', intervalMs: 1000 } }))!);
  await worker.drain();
  assert.equal(ranFor('line0').length, 1, 'the first starts at once');
  const waiting = await Promise.all(ids.slice(1).map(jobRow));
  // Reserved side by side by one worker's tasks, so not necessarily in the order the jobs came.
  const slots = waiting.map((j) => j.rate_slot!.getTime()).sort((a, b) => a - b);
  assert.deepEqual(slots.map((t) => t - slots[0]!), [0, 1000, 2000, 3000, 4000], 'slots one interval apart');
  assert.deepEqual(waiting.map((j) => j.run_at.getTime() - j.rate_slot!.getTime()), Array(5).fill(-200), 'each due just before its own slot, not all at the next free one');
  for (let i = 1; i < 6; i++) {
    h.clock.advance(1000);
    await worker.drain();
    assert.equal(runs.filter((r) => r.tag.startsWith('line')).length, i + 1);
  }
  assert.deepEqual((await Promise.all(ids.map(jobRow))).map((j) => [j.status, j.attempts]), Array(6).fill(['done', 1]));
});

test('the worker wakes for each paced job it gave back, though its poll is a minute away', async () => {
  // The test's clock kept moving with real time, as a server's does.
  const ticking = setInterval(() => h.clock.advance(10), 10);
  try {
    const began = Date.now();
    for (let i = 0; i < 5; i++) await enqueue({ tag: `woken${i}` }, { rate: { key: 'number:+966500000004', intervalMs: 400 } });
    while (runs.filter((r) => r.tag.startsWith('woken')).length < 5 && Date.now() - began < 10_000) await tick(20);
    assert.equal(runs.filter((r) => r.tag.startsWith('woken')).length, 5, 'every job ran, each at its slot, none left for the poll');
    assert.ok(Date.now() - began < 5000, `within its slots, not a poll later (${Date.now() - began} ms)`);
  } finally {
    clearInterval(ticking);
  }
});

test("a dead worker's job runs again once its lease expires", async () => {
  // Due an hour from now for the real worker; the ghost claims it with a clock of its own, ahead.
  const id = await enqueue({ tag: 'orphan' }, { runAt: new Date(h.clock.now().getTime() + 3_600_000) });
  const ghostNow = new Date(h.clock.now().getTime() + 3_600_000);
  const claimed = await jobsRepo.claim('ghost-worker', ['test.record'], ghostNow, new Date(ghostNow.getTime() + 30_000), 100);
  assert.ok(claimed.some((j) => j.id === id), 'the ghost holds it');
  h.clock.advance(3_600_000);
  await worker.drain();
  assert.equal(ranFor('orphan').length, 0, 'not while the lease runs');
  h.clock.advance(30_001);
  const started = Date.now();
  while (!ranFor('orphan').length && Date.now() - started < 5000) await tick(20);
  assert.equal(ranFor('orphan').length, 1);
  assert.equal(ranFor('orphan')[0]!.attempt, 2, 'the lost run counts as an attempt');
});

test('several workers share the queue without running a job twice', async () => {
  await h.worker({ pollMs: 50, names: ['test.record'], concurrency: 4 });
  await h.worker({ pollMs: 50, names: ['test.record'], concurrency: 4 });
  await transaction(async (trx) => {
    for (let i = 0; i < 150; i++) await queue.enqueue(trx, 'test.record', { tag: `many${i}` });
  });
  await worker.drain(30_000);
  for (let i = 0; i < 150; i++) assert.equal(ranFor(`many${i}`).length, 1, `many${i}`);
});

test('stopping gives back an unfinished job, which another worker then runs', async () => {
  const first = await h.worker({ pollMs: 50, names: ['test.slow'] });
  const id = await transaction((trx) => queue.enqueue(trx, 'test.slow', { tag: 'handed-over' }));
  while ((await jobRow(id)).status !== 'running') await tick(10);
  await first.stop(100);
  const released = await jobRow(id);
  assert.equal(released.status, 'pending');
  assert.equal(released.attempts, 0, 'an interrupted run is not an attempt');
  const second = await h.worker({ pollMs: 50, names: ['test.slow'] });
  await second.drain(8000);
  assert.equal(ranFor('handed-over').length, 1);
  assert.equal((await jobRow(id)).status, 'done');
});

test('/metrics shows queue depth and oldest due age per job name', async () => {
  await transaction(async (trx) => {
    await queue.enqueue(trx, 'test.unclaimed', {});
    await queue.enqueue(trx, 'test.unclaimed', {}, { runAt: new Date(h.clock.now().getTime() + 86_400_000) });
  });
  h.clock.advance(90_000);
  const body = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
  assert.match(body, /^wasl_jobs_queue_depth\{name="test.unclaimed",status="pending"\} 2$/m);
  assert.match(body, /^wasl_jobs_oldest_due_age_seconds\{name="test.unclaimed"\} 90$/m, 'due for 90 s by the clock, the one due tomorrow not counted');
  assert.match(body, /^wasl_jobs_oldest_due_age_seconds\{name="webhook.deliver"\} 0$/m, 'a claimed job kind reports too');
  assert.equal(json(await h.app.inject({ method: 'GET', url: '/health/ready' })).status, 'ok');
});

test('on PostgreSQL a worker claims and finishes jobs while every connection of the main pool is taken', { skip: h.store.engine === 'pglite' && 'PGlite has one connection: there is no second pool to show' }, async () => {
  const size = h.store.pool.options.max;
  const id = await enqueue({ tag: 'beside-a-full-pool' }, { runAt: new Date(h.clock.now().getTime() + 60_000) });
  // Long jobs (live calls) holding every connection of the pool, as in the voice benchmark.
  const held = await Promise.all(Array.from({ length: size }, () => h.store.pool.connect()));
  try {
    h.clock.advance(60_000);
    worker.wake();
    const started = Date.now();
    const status = async () => (await h.store.bookkeeping.selectFrom('jobs').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
    while ((await status()) !== 'done' && Date.now() - started < 5000) await tick(20);
    assert.equal(ranFor('beside-a-full-pool').length, 1, 'claimed without a connection of the main pool');
    assert.equal(await status(), 'done', 'and its outcome recorded, before any connection came back');
  } finally {
    for (const client of held) client.release();
  }
});

test("the queue's churning tables are vacuumed at 1 % dead rows, not PostgreSQL's default 20 %", async () => {
  const { rows } = await sql<{ relname: string; reloptions: string[] | null }>`
    SELECT relname, reloptions FROM pg_class WHERE relname IN ('jobs', 'webhook_deliveries', 'webhook_attempts', 'job_rate_slots') AND relkind = 'r' AND pg_table_is_visible(oid) ORDER BY relname`.execute(h.store.db);
  assert.deepEqual(rows.map((r) => r.relname), ['job_rate_slots', 'jobs', 'webhook_attempts', 'webhook_deliveries']);
  for (const r of rows) assert.ok(r.reloptions?.includes('autovacuum_vacuum_scale_factor=0.01'), `${r.relname}: ${JSON.stringify(r.reloptions)}`);
});
