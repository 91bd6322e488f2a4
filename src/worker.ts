import Fastify from 'fastify';
import { sql } from 'kysely';
import { ConfigError, loadConfig } from './config.js';
import { createContainer } from './container.js';
import { DataDirLockedError } from './db/lock.js';
import { migrateToLatest } from './db/migrate.js';
import { openStore } from './db/store.js';
import { startWorkers } from './jobs/runtime.js';
import { systemClock } from './lib/clock.js';
import { createLogger } from './lib/logger.js';

// `npm run worker`: job workers without the API, so API nodes and workers scale separately on one
// PostgreSQL. It still answers /health/live, /health/ready and /metrics on PORT for orchestration.
let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`wasl worker: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}
const logger = createLogger(config.logLevel);
const store = await openStore(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir }).catch((err) => {
  if (err instanceof DataDirLockedError) {
    process.stderr.write(`wasl worker: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
});
await migrateToLatest(store.db);
const container = createContainer({ config, db: store.db, clock: systemClock });
const workers = await startWorkers({ config: { ...config, workers: Math.max(1, config.workers) }, container, store, clock: systemClock, logger });

const probe = Fastify({ loggerInstance: logger.child({ component: 'probe' }), disableRequestLogging: true });
probe.get('/health/live', async () => ({ status: 'ok' }));
probe.get('/health/ready', async (_req, reply) => {
  try {
    await sql`SELECT 1`.execute(store.db);
    return { status: 'ok', store: store.engine };
  } catch {
    return reply.code(503).send({ status: 'store unavailable' });
  }
});
probe.get('/metrics', async (_req, reply) => reply.header('content-type', container.registry.contentType).send(await container.registry.metrics()));
await probe.listen({ port: config.port, host: config.host });
logger.info({ store: store.engine, workers: workers.workers.length }, 'wasl worker is running');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  logger.info('worker stopping: no new jobs, finishing those in hand');
  await workers.stop(config.shutdownTimeoutMs);
  await probe.close();
  await store.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
