import type { JobQueue } from '../../src/jobs/queue.js';
import type { Worker } from '../../src/jobs/worker.js';
import type { Clock } from '../../src/lib/clock.js';

export type DrainableWorker = Worker & {
  /** Runs until nothing is due now (by the test's clock) and nothing is in hand, or `maxMs` passes. */
  drain(maxMs?: number): Promise<void>;
};

/**
 * Tests: wakes `worker` until nothing it takes (jobs, rows of claimed job kinds) is due at
 * `clock.now()` and it holds nothing (each outcome recorded), or `maxMs` of real time passes.
 */
export async function drain(worker: Worker, queue: Pick<JobQueue, 'stats'>, clock: Clock, maxMs = 10_000) {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    worker.wake();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await worker.settled();
    const due = (await queue.stats(clock.now())).some((s) => s.oldest !== null && worker.names().includes(s.name));
    if (!due && worker.busy() === 0) return;
  }
}

export const withDrain = (worker: Worker, queue: Pick<JobQueue, 'stats'>, clock: Clock): DrainableWorker =>
  Object.assign(worker, { drain: (maxMs?: number) => drain(worker, queue, clock, maxMs) });
