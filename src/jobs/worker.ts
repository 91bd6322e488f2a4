import { hostname } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../lib/clock.js';
import { createBatcher } from '../lib/batcher.js';
import { newId } from '../lib/ids.js';
import type { JobRow } from '../db/types.js';
import type { JobsRepo } from './jobs.repo.js';
import { exponentialBackoff, isClaimed, RATE_HOLD_MS, RATE_LATE_MS, RATE_LEAD_MS, type ClaimedJobDefinition, type JobQueue, type JobResult, type QueuedJobDefinition } from './queue.js';
import type { JobMetrics } from './metrics.js';

export interface WorkerOptions {
  concurrency?: number;
  /** Longest sleep between claims when nothing wakes the worker. */
  pollMs?: number;
  /** A claimed job's lease; renewed every third of it while the job runs. */
  leaseMs?: number;
  /** How often expired leases (of workers that died) are returned to the queue. */
  recoverEveryMs?: number;
  /** Only these job names (default: every defined job), e.g. a worker dedicated to webhooks. */
  names?: string[];
}

/** One unit of work in hand: a row of `jobs`, or a row of a claimed job kind. */
interface Task {
  name: string;
  id: string;
  run: (controller: AbortController) => Promise<void>;
  /** Claimed but not started (stopping): back to the queue, not an attempt. */
  giveBack: () => Promise<void>;
  /** Set once started. */
  controller?: AbortController;
  done?: Promise<void>;
  /** Counts against the concurrency until it finishes or hands its slot back (`ctx.freeSlot`). */
  holdsSlot?: boolean;
  /** Waiting for its rate slot, off the concurrency count (`waitOffSlot`), until it takes a slot back. */
  waiting?: boolean;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * One worker loop: claims due work in batches up to its concurrency — jobs from `jobs`, rows of
 * claimed job kinds from their own tables — runs it, and sleeps until work is committed (woken in
 * this process, or by NOTIFY from another), enough of its work finishes, or `pollMs` passes.
 */
export function createWorker(deps: {
  repo: JobsRepo;
  queue: JobQueue;
  clock: Clock;
  logger: FastifyBaseLogger;
  metrics?: JobMetrics;
  listen?: (onNotify: () => void) => Promise<() => Promise<void>>;
  options?: WorkerOptions;
}) {
  const { repo, queue, clock, logger } = deps;
  const { concurrency = 16, pollMs = 1000, leaseMs = 30_000, recoverEveryMs = 10_000 } = deps.options ?? {};
  // One claim takes at least half the slots' worth, not one row per finished task, and
  // claims that much ahead: a freed slot starts the next task at once instead of waiting for
  // the database. Claimed tasks not started yet hold leases like running ones.
  const claimBatch = Math.max(1, Math.floor(concurrency / 2));
  const capacity = concurrency + claimBatch;
  const workerId = `${hostname()}:${process.pid}:${newId().slice(-8)}`;
  const inFlight = new Map<string, Task>();
  const ready: Task[] = [];
  // Tasks that handed their slot back (their outcome is being recorded) stay in hand, at most
  // `concurrency` of them, so recording never holds back the next task.
  let slotsUsed = 0;
  let slotless = 0;
  const wanted = () => capacity - slotsUsed - ready.length;
  let running = false;
  let loopDone: Promise<void> = Promise.resolve();
  let wakeUp: (() => void) | null = null;
  let pendingWake = false;
  const undo: (() => Promise<void> | void)[] = [];
  const timers: NodeJS.Timeout[] = [];

  const wake = () => {
    pendingWake = true;
    wakeUp?.();
  };
  // Paced jobs this worker gave back, each due just before its slot: it wakes for every one of those
  // times (in order, the near ones together), not only the earliest — the rest would wait for the poll
  // and come too late for their slots. Others' jobs wake it by NOTIFY or the poll.
  const dueTimes: number[] = [];
  let dueTimer: NodeJS.Timeout | null = null;
  const armDueTimer = () => {
    if (dueTimer) clearTimeout(dueTimer);
    dueTimer = null;
    if (!dueTimes.length || !running) return;
    dueTimer = setTimeout(() => {
      const now = performance.now();
      while (dueTimes.length && dueTimes[0]! <= now + 2) dueTimes.shift();
      wake();
      armDueTimer();
    }, Math.max(0, dueTimes[0]! - performance.now()));
    dueTimer.unref();
  };
  const wakeAt = (inMs: number) => {
    const due = performance.now() + inMs;
    let i = dueTimes.length;
    while (i > 0 && dueTimes[i - 1]! > due) i--;
    dueTimes.splice(i, 0, due);
    if (i === 0) armDueTimer();
  };
  const sleep = () =>
    new Promise<void>((resolve) => {
      if (pendingWake || !running) return resolve();
      const timer = setTimeout(resolve, pollMs);
      wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const later = (ms: number) => new Date(clock.now().getTime() + ms);
  const withTimeout = async <T>(controller: AbortController, ms: number | undefined, run: () => Promise<T>) => {
    const timeout = setTimeout(() => controller.abort(new Error('job timed out')), ms ?? 300_000);
    try {
      return await run();
    } finally {
      clearTimeout(timeout);
    }
  };
  // Completions that arrive while one is being written go together in the next statement.
  const complete = createBatcher(async (ids: string[]) => {
    await repo.complete(ids, workerId, clock.now());
    return ids.map(() => undefined);
  });

  const outcomeOf = (result: JobResult) => (!result ? 'done' : 'giveUp' in result ? 'dead' : 'retry');

  /**
   * A paced job's turn (jobs/README.md "Rate per key"): true to run now; false when it went back to
   * the queue with its slot. A job takes the next free slot of its key however far ahead — its place
   * in line — and keeps it: a slot within RATE_HOLD_MS is waited for here, off the concurrency count
   * (the job takes a slot back to run); a later one sends the job back to the queue due RATE_LEAD_MS before it, when a worker claims it
   * and waits here. A slot is good from its time until RATE_LATE_MS after (later, the job takes a new
   * one), so jobs never bunch up behind a late worker.
   */
  async function takeRateSlot(job: JobRow, task: Task): Promise<boolean> {
    let slot = job.rate_slot;
    for (;;) {
      const now = clock.now();
      if (!slot || now.getTime() > slot.getTime() + RATE_LATE_MS) slot = await repo.reserveRateSlot(job.rate_key!, job.rate_interval_ms!, now);
      const wait = slot.getTime() - now.getTime();
      if (wait <= 0) return true;
      if (!running || wait > RATE_HOLD_MS) {
        await repo.release(job.id, workerId, new Date(Math.max(now.getTime(), slot.getTime() - RATE_LEAD_MS)), slot);
        if (running) wakeAt(Math.max(1, wait - RATE_LEAD_MS));
        return false;
      }
      waitOffSlot(task);
      // Real time: the slot is `wait` ms ahead on the clock that handed it out.
      await new Promise((resolve) => setTimeout(resolve, wait));
      await takeSlotBack(task);
      // Still within the slot (a test's clock may not move at all): run.
      if (clock.now().getTime() <= slot.getTime() + RATE_LATE_MS) return true;
    }
  }

  async function runQueued(job: JobRow, controller: AbortController, task: Task) {
    const definition = queue.definitions().get(job.name);
    let result: JobResult;
    try {
      if (!definition || isClaimed(definition)) {
        result = { giveUp: true, reason: `no handler for job ${job.name} in this worker` };
      } else {
        if (job.rate_key && job.rate_interval_ms && !(await takeRateSlot(job, task))) return;
        const handler = (definition as QueuedJobDefinition).handler;
        const ctx = { jobId: job.id, attempt: job.attempts, maxAttempts: job.max_attempts, signal: controller.signal };
        result = await withTimeout(controller, definition.timeoutMs, () => handler(job.payload, ctx));
      }
    } catch (err) {
      if (!running && controller.signal.aborted) return void (await repo.release(job.id, workerId, clock.now())); // stopping: someone else finishes it
      const backoff = (definition && !isClaimed(definition) && definition.backoff) || exponentialBackoff;
      result = { retryAt: later(backoff(job.attempts)), reason: messageOf(err) };
    }
    if (!result) {
      await complete(job.id);
    } else if ('giveUp' in result || job.attempts >= job.max_attempts) {
      await repo.bury(job.id, workerId, clock.now(), result.reason);
      logger.warn({ job: job.name, jobId: job.id, attempts: job.attempts, err: result.reason }, 'job failed for good (dead letter)');
      result = { giveUp: true, reason: result.reason };
    } else {
      await repo.retry(job.id, workerId, result.retryAt, result.reason);
      logger.info({ job: job.name, jobId: job.id, attempt: job.attempts, retryAt: result.retryAt, err: result.reason }, 'job will be retried');
    }
    deps.metrics?.ran(job.name, outcomeOf(result));
  }

  function freeSlot(task: Task) {
    if (!task.holdsSlot || slotless >= concurrency) return;
    task.holdsSlot = false;
    slotsUsed--;
    slotless++;
    serveSlotWaiters();
    if (running) fill();
    if (wanted() >= claimBatch) wake();
  }

  /**
   * A paced job waiting for its rate slot holds no slot and is not counted among the slotless: at a
   * fast pace many wait at once (pace × RATE_LEAD_MS), each only a timer. It takes a slot back to
   * run, before any new task: never more than `concurrency` handlers at once.
   */
  function waitOffSlot(task: Task) {
    if (!task.holdsSlot) return;
    task.holdsSlot = false;
    task.waiting = true;
    slotsUsed--;
    serveSlotWaiters();
    if (running) fill();
    if (wanted() >= claimBatch) wake();
  }
  const slotWaiters: (() => void)[] = [];
  function takeSlotBack(task: Task): Promise<void> | void {
    if (task.holdsSlot) return;
    const take = () => {
      task.holdsSlot = true;
      task.waiting = false;
      slotsUsed++;
    };
    if (slotsUsed < concurrency && !slotWaiters.length) return take();
    return new Promise((resolve) => slotWaiters.push(() => (take(), resolve())));
  }
  function serveSlotWaiters() {
    while (slotsUsed < concurrency && slotWaiters.length) slotWaiters.shift()!();
  }

  async function runClaimed(definition: ClaimedJobDefinition, item: { id: string }, controller: AbortController, task: Task) {
    try {
      const ctx = { workerId, signal: controller.signal, freeSlot: () => freeSlot(task) };
      const result = await withTimeout(controller, definition.timeoutMs, () => definition.run(item, ctx));
      deps.metrics?.ran(definition.name, outcomeOf(result));
    } catch (err) {
      if (!running && controller.signal.aborted) return void (await definition.release(workerId, [item.id], clock.now()));
      throw err; // its lease runs out and it is due again
    }
  }

  /** Starts claimed tasks while slots are free. */
  function fill() {
    while (slotsUsed < concurrency && ready.length) {
      const task = ready.shift()!;
      const controller = new AbortController();
      const key = `${task.name}:${task.id}`;
      task.controller = controller;
      task.holdsSlot = true;
      slotsUsed++;
      inFlight.set(key, task);
      task.done = task
        .run(controller)
        .catch((err) => logger.error({ err, job: task.name, jobId: task.id }, 'job bookkeeping failed; its lease will expire and it will run again'))
        .finally(() => {
          inFlight.delete(key);
          if (task.holdsSlot) slotsUsed--;
          else if (!task.waiting) slotless--;
          serveSlotWaiters();
          if (running) fill();
          if (wanted() >= claimBatch) wake();
        });
    }
  }

  /** Where this worker claims from: `jobs` for its queued job names, and each claimed job kind. */
  function sourcesOf(names: string[]) {
    const definitions = names.map((n) => queue.definitions().get(n)!);
    const queued = definitions.filter((d) => !isClaimed(d)).map((d) => d.name);
    const sources: ((limit: number) => Promise<number>)[] = [];
    if (queued.length) {
      sources.push(async (limit) => {
        const jobs = await repo.claim(workerId, queued, clock.now(), later(leaseMs), limit);
        for (const job of jobs) {
          const task: Task = { name: job.name, id: job.id, run: (c) => runQueued(job, c, task), giveBack: () => repo.release(job.id, workerId, clock.now()) };
          ready.push(task);
        }
        return jobs.length;
      });
    }
    for (const definition of definitions.filter(isClaimed)) {
      sources.push(async (limit) => {
        const items = await definition.claim(workerId, clock.now(), later(leaseMs), limit);
        for (const item of items) {
          const task: Task = { name: definition.name, id: item.id, run: (c) => runClaimed(definition, item, c, task), giveBack: () => definition.release(workerId, [item.id], clock.now()) };
          ready.push(task);
        }
        return items.length;
      });
    }
    return sources;
  }

  let names: string[] = [];
  let claiming = false;
  async function loop() {
    const sources = sourcesOf(names);
    for (let turn = 0; running; turn++) {
      pendingWake = false;
      // Each source in turn (the first one rotates) claims what the worker can take; a source
      // that gave all of it may have more, so the loop claims again before sleeping.
      let more = false;
      for (let i = 0; i < sources.length && running; i++) {
        const want = wanted();
        if (want < claimBatch) break;
        claiming = true;
        try {
          if ((await sources[(i + turn) % sources.length]!(want)) === want) more = true;
        } catch (err) {
          logger.error({ err }, 'claiming jobs failed; retrying');
        } finally {
          claiming = false;
        }
        fill();
      }
      if (!more) await sleep();
    }
  }

  async function maintain() {
    const until = later(leaseMs);
    const byName = new Map<string, Task[]>();
    for (const t of [...inFlight.values(), ...ready]) byName.set(t.name, [...(byName.get(t.name) ?? []), t]);
    for (const [name, tasks] of byName) {
      const definition = queue.definitions().get(name);
      const ids = tasks.map((t) => t.id);
      try {
        if (definition && isClaimed(definition)) await definition.renew(workerId, ids, until);
        else await repo.extendLeases(workerId, ids, until);
      } catch (err) {
        logger.warn({ err, job: name }, 'renewing leases failed');
      }
    }
  }

  async function recover() {
    try {
      if ((await repo.releaseExpired(clock.now())) > 0) wake();
      await repo.purgeDone(later(-24 * 3_600_000));
    } catch (err) {
      logger.warn({ err }, 'recovering expired leases failed');
    }
  }

  /** Resolves when every task started has finished (its outcome recorded). */
  const settled = async () => void (await Promise.all([...inFlight.values()].map((t) => t.done)));

  return {
    workerId,
    wake,
    settled,
    /** Tasks in hand (running, or claimed and about to start), and 1 while a claim is on its way. */
    busy: () => inFlight.size + ready.length + (claiming ? 1 : 0),
    /** The job names this worker claims (known once started). */
    names: () => names,

    async start() {
      if (running) return;
      running = true;
      names = (deps.options?.names ?? [...queue.definitions().keys()]).filter((n) => queue.definitions().has(n));
      undo.push(queue.onWake(wake));
      if (deps.listen) undo.push(await deps.listen(wake));
      timers.push(setInterval(() => void maintain(), Math.max(1000, leaseMs / 3)));
      timers.push(setInterval(() => void recover(), recoverEveryMs));
      await recover();
      loopDone = loop();
    },

    /** Stops claiming, lets work in hand finish for `graceMs`, then gives back what is left. */
    async stop(graceMs = 10_000) {
      if (!running) return;
      running = false;
      wake();
      timers.splice(0).forEach(clearInterval);
      dueTimes.length = 0;
      armDueTimer();
      for (const fn of undo.splice(0).reverse()) await fn();
      await loopDone;
      for (const task of ready.splice(0)) await task.giveBack().catch((err) => logger.warn({ err, jobId: task.id }, 'giving back a job failed; its lease will expire'));
      const all = settled();
      const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), graceMs))]);
      if (timedOut) {
        for (const t of inFlight.values()) t.controller!.abort(new Error('worker stopping'));
        await all;
      }
    },
  };
}
export type Worker = ReturnType<typeof createWorker>;
