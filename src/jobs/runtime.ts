import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.js';
import type { Store } from '../db/store.js';
import type { Clock } from '../lib/clock.js';
import { JOBS_CHANNEL, type JobsRepo } from './jobs.repo.js';
import type { JobMetrics } from './metrics.js';
import { isClaimed, type JobQueue, type QueuedJobDefinition } from './queue.js';
import { createWorker, type Worker, type WorkerOptions } from './worker.js';

export interface WorkerDeps {
  repo: JobsRepo;
  queue: JobQueue;
  metrics?: JobMetrics;
  /** Wakes the loops on each enqueue (NOTIFY); without it they only poll. */
  store?: Pick<Store, 'listen'>;
  clock: Clock;
  logger: FastifyBaseLogger;
}

export interface Workers {
  workers: Worker[];
  /** Stop claiming; finish what is in hand within `graceMs`, give back the rest. */
  stop(graceMs?: number): Promise<void>;
}

/** The worker options a process takes from its configuration (`WORKERS`, `JOB_CONCURRENCY`, `JOB_LEASE_MS`). */
export function workerOptions(config: Pick<Config, 'workers' | 'jobConcurrency' | 'jobLeaseMs'>): WorkerOptions & { count: number } {
  return { count: config.workers, concurrency: config.jobConcurrency, leaseMs: config.jobLeaseMs, recoverEveryMs: Math.min(10_000, config.jobLeaseMs) };
}

/**
 * The one way worker loops are made and started: `npm start`, `npm run worker`, the tests'
 * `h.worker()` and the job benchmark all come through here. `count` loops (default 1).
 */
export async function startWorkers(deps: WorkerDeps, { count = 1, ...options }: WorkerOptions & { count?: number } = {}): Promise<Workers> {
  const { store } = deps;
  const logger = deps.logger.child({ component: 'worker' });
  const make = (loop: WorkerOptions) =>
    createWorker({
      repo: deps.repo,
      queue: deps.queue,
      clock: deps.clock,
      logger,
      metrics: deps.metrics,
      listen: store ? (wake) => store.listen(JOBS_CHANNEL, wake) : undefined,
      options: loop,
    });
  // Kinds with a loop of their own (`ownLoop`) get one beside the general loops, unless names were chosen.
  const own = options.names ? [] : [...deps.queue.definitions().values()].filter((d) => !isClaimed(d) && d.ownLoop) as QueuedJobDefinition[];
  const names = options.names ?? [...deps.queue.definitions().keys()].filter((n) => !own.some((d) => d.name === n));
  const workers = [
    ...Array.from({ length: count }, () => make({ ...options, names })),
    ...(count > 0 ? own.map((d) => make({ ...options, names: [d.name], concurrency: d.ownLoop })) : []),
  ];
  for (const worker of workers) await worker.start();
  return {
    workers,
    stop: (graceMs) => Promise.all(workers.map((w) => w.stop(graceMs))).then(() => undefined),
  };
}
