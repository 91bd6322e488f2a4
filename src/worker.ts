import { boot, listen } from './boot.js';
import { createProbeServer } from './features/ops/probe.js';
import { startWorkers, workerOptions } from './jobs/runtime.js';
import { pingStore } from './db/store.js';
import { systemClock } from './lib/clock.js';

// `npm run worker`: job workers without the API, so API nodes and workers scale separately on one
// PostgreSQL. It answers the API's /health/live, /health/ready and /metrics on PORT for orchestration.
await boot('wasl worker', async ({ config, logger, store, container }) => {
  let draining = false;
  const probe = createProbeServer({ ping: () => pingStore(store.db), engine: store.engine, registry: container.registry, isDraining: () => draining, logger });
  await listen(probe, config);
  const options = { ...workerOptions(config), count: Math.max(1, config.workers) };
  const workers = await startWorkers({ repo: container.workerJobsRepo, queue: container.queue, metrics: container.jobMetrics, store, clock: systemClock, logger }, options);
  logger.info({ node: process.version, store: store.engine, workers: options.count, startupMs: Math.round(performance.now()) }, 'wasl worker is running');
  return { markDraining: () => void (draining = true), workers, close: () => probe.close() };
});
