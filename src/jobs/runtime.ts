import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.js';
import type { Container } from '../container.js';
import type { Store } from '../db/store.js';
import type { Clock } from '../lib/clock.js';
import { JOBS_CHANNEL } from './jobs.repo.js';
import { createWorker, type WorkerOptions } from './worker.js';

/** Starts `config.workers` worker loops on this store; used by `npm start` and `npm run worker`. */
export async function startWorkers(deps: {
  config: Pick<Config, 'workers' | 'jobConcurrency' | 'jobLeaseMs'>;
  container: Container;
  store: Pick<Store, 'listen'>;
  clock: Clock;
  logger: FastifyBaseLogger;
  options?: WorkerOptions;
}) {
  const workers = Array.from({ length: deps.config.workers }, () =>
    createWorker({
      repo: deps.container.jobsRepo,
      queue: deps.container.queue,
      clock: deps.clock,
      logger: deps.logger.child({ component: 'worker' }),
      metrics: deps.container.jobMetrics,
      listen: (wake) => deps.store.listen(JOBS_CHANNEL, wake),
      options: { concurrency: deps.config.jobConcurrency, leaseMs: deps.config.jobLeaseMs, recoverEveryMs: Math.min(10_000, deps.config.jobLeaseMs), ...deps.options },
    }),
  );
  for (const worker of workers) await worker.start();
  return {
    workers,
    /** Stop claiming; finish what is in hand within `graceMs`, give back the rest. */
    stop: (graceMs?: number) => Promise.all(workers.map((w) => w.stop(graceMs))).then(() => undefined),
  };
}
