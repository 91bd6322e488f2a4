import { hostname } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../lib/clock.js';
import { createBatcher } from '../lib/batcher.js';
import { newId } from '../lib/ids.js';
import type { JobRow } from '../db/types.js';
import type { JobsRepo } from './jobs.repo.js';
import { exponentialBackoff, JobOutcome, type JobQueue } from './queue.js';
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

/**
 * One worker loop: claims due jobs in batches up to its concurrency, runs them, and sleeps until
 * a job is enqueued (NOTIFY, delivered on commit), a job finishes, or `pollMs` passes.
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
  const workerId = `${hostname()}:${process.pid}:${newId().slice(-8)}`;
  const inFlight = new Map<string, { job: JobRow; controller: AbortController; done: Promise<void> }>();
  let running = false;
  let loopDone: Promise<void> = Promise.resolve();
  let wakeUp: (() => void) | null = null;
  let pendingWake = false;
  let unlisten: (() => Promise<void>) | null = null;
  const timers: NodeJS.Timeout[] = [];

  const wake = () => {
    pendingWake = true;
    wakeUp?.();
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
  // Completions that arrive while one is being written go together in the next statement.
  const complete = createBatcher(async (ids: string[]) => {
    await repo.complete(ids, workerId, clock.now());
    return ids.map(() => undefined);
  });

  async function run(job: JobRow, controller: AbortController) {
    const definition = queue.definitions().get(job.name);
    const now = clock.now();
    try {
      if (!definition) throw new JobOutcome('give-up', `no handler for job ${job.name} in this worker`);
      if (job.rate_key && job.rate_interval_ms && !(job.rate_slot && job.rate_slot <= now)) {
        const slot = await repo.reserveRateSlot(job.rate_key, job.rate_interval_ms, now);
        if (slot > now) return void (await repo.release(job.id, workerId, slot, slot));
      }
      const timeout = setTimeout(() => controller.abort(new Error('job timed out')), definition.timeoutMs ?? 300_000);
      try {
        await definition.handler(job.payload as never, { jobId: job.id, attempt: job.attempts, maxAttempts: job.max_attempts, signal: controller.signal });
      } finally {
        clearTimeout(timeout);
      }
      await complete(job.id);
      deps.metrics?.ran(job.name, 'done');
    } catch (err) {
      if (!running && controller.signal.aborted) {
        await repo.release(job.id, workerId, clock.now()); // stopping: someone else finishes it
        return;
      }
      const message = err instanceof Error ? err.message : String(err);
      const outcome = err instanceof JobOutcome ? err : null;
      if (outcome?.kind === 'give-up' || job.attempts >= job.max_attempts) {
        await repo.bury(job.id, workerId, clock.now(), message);
        deps.metrics?.ran(job.name, 'dead');
        logger.warn({ job: job.name, jobId: job.id, attempts: job.attempts, err: message }, 'job failed for good (dead letter)');
      } else {
        const at = outcome?.at ?? later((definition?.backoff ?? exponentialBackoff)(job.attempts));
        await repo.retry(job.id, workerId, at, message);
        deps.metrics?.ran(job.name, 'retry');
        logger.info({ job: job.name, jobId: job.id, attempt: job.attempts, retryAt: at, err: message }, 'job will be retried');
      }
    }
  }

  function start(job: JobRow) {
    const controller = new AbortController();
    const done = run(job, controller)
      .catch((err) => logger.error({ err, jobId: job.id }, 'job bookkeeping failed; its lease will expire and it will run again'))
      .finally(() => {
        inFlight.delete(job.id);
        wake();
      });
    inFlight.set(job.id, { job, controller, done });
  }

  async function loop() {
    const names = deps.options?.names ?? [...queue.definitions().keys()];
    while (running) {
      pendingWake = false;
      const free = concurrency - inFlight.size;
      if (free > 0 && names.length > 0) {
        try {
          const jobs = await repo.claim(workerId, names, clock.now(), later(leaseMs), free);
          for (const job of jobs) start(job);
          if (jobs.length === free) continue;
        } catch (err) {
          logger.error({ err }, 'claiming jobs failed; retrying');
        }
      }
      await sleep();
    }
  }

  async function maintain() {
    try {
      await repo.extendLeases(workerId, [...inFlight.keys()], later(leaseMs));
    } catch (err) {
      logger.warn({ err }, 'renewing leases failed');
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

  return {
    workerId,
    wake,
    async start() {
      if (running) return;
      running = true;
      if (deps.listen) unlisten = await deps.listen(wake);
      timers.push(setInterval(() => void maintain(), Math.max(1000, leaseMs / 3)));
      timers.push(setInterval(() => void recover(), recoverEveryMs));
      await recover();
      loopDone = loop();
    },

    /** Stops claiming, lets jobs in hand finish for `graceMs`, then gives back what is left. */
    async stop(graceMs = 10_000) {
      if (!running) return;
      running = false;
      wake();
      timers.splice(0).forEach(clearInterval);
      await unlisten?.();
      await loopDone;
      const all = Promise.all([...inFlight.values()].map((f) => f.done));
      const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), graceMs))]);
      if (timedOut) {
        for (const f of inFlight.values()) f.controller.abort(new Error('worker stopping'));
        await all;
      }
    },

    /** Tests: run until nothing is due now and nothing is in flight (or `maxMs` passes). */
    async drain(maxMs = 10_000) {
      const deadline = Date.now() + maxMs;
      while (Date.now() < deadline) {
        wake();
        await new Promise((r) => setTimeout(r, 5));
        await Promise.all([...inFlight.values()].map((f) => f.done));
        const due = (await repo.stats(clock.now())).some((s) => s.oldest !== null);
        if (!due && inFlight.size === 0) return;
      }
    },
  };
}
export type Worker = ReturnType<typeof createWorker>;
