import { Counter, Gauge, type Registry } from 'prom-client';
import type { Clock } from '../lib/clock.js';
import type { JobStats } from './jobs.repo.js';

/**
 * Queue metrics: runs by outcome (this process), and depth, oldest due job's age and dead
 * letters per job name (read from the store at scrape time, so every node reports the truth).
 * `stats` is the queue's: `jobs` and the tables of claimed job kinds.
 */
export function createJobMetrics(registry: Registry, stats: (now: Date) => Promise<(JobStats & { name: string })[]>, clock: Clock) {
  const runs = new Counter({
    name: 'wasl_jobs_runs_total',
    help: 'Job runs by outcome: done, retry (failed, will run again) or dead (failed for good)',
    labelNames: ['name', 'outcome'] as const,
    registers: [registry],
  });
  let snapshot: Promise<(JobStats & { name: string })[]> | null = null;
  // One read per scrape, shared by the three gauges.
  const read = () => (snapshot ??= stats(clock.now()).finally(() => setTimeout(() => (snapshot = null), 100)));

  new Gauge({
    name: 'wasl_jobs_queue_depth',
    help: 'Open jobs by status',
    labelNames: ['name', 'status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await read()) {
        this.set({ name: s.name, status: 'pending' }, s.pending);
        this.set({ name: s.name, status: 'running' }, s.running);
      }
    },
  });
  new Gauge({
    name: 'wasl_jobs_oldest_due_age_seconds',
    help: 'How long the oldest due job has been waiting',
    labelNames: ['name'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const now = clock.now().getTime();
      for (const s of await read()) this.set({ name: s.name }, s.oldest ? Math.max(0, (now - s.oldest.getTime()) / 1000) : 0);
    },
  });
  new Gauge({
    name: 'wasl_jobs_dead_letters',
    help: 'Jobs that failed for good',
    labelNames: ['name'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await read()) this.set({ name: s.name }, s.dead);
    },
  });

  return { ran: (name: string, outcome: 'done' | 'retry' | 'dead') => runs.inc({ name, outcome }) };
}
export type JobMetrics = ReturnType<typeof createJobMetrics>;
