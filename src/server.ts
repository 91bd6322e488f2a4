import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { DataDirLockedError } from './db/lock.js';
import { migrateToLatest } from './db/migrate.js';
import { openStore, type Store } from './db/store.js';
import { startWorkers } from './jobs/runtime.js';
import { systemClock } from './lib/clock.js';
import { createLogger } from './lib/logger.js';

// load config → open store → migrate → build app → bootstrap → listen → workers; drain and close on SIGTERM.
const started = performance.now();

function fatal(message: string): never {
  process.stderr.write(`wasl: ${message}\n`);
  process.exit(1);
}

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) fatal(err.message);
  throw err;
}

const logger = createLogger(config.logLevel);

let store: Store;
try {
  store = await openStore(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir });
} catch (err) {
  if (err instanceof DataDirLockedError) fatal(err.message);
  throw err;
}

try {
  const applied = await migrateToLatest(store.db);
  if (applied.length) logger.info({ applied }, 'migrations applied');
  const app = await buildApp({ config, db: store.db, engine: store.engine, clock: systemClock, logger });
  const report = await app.container.bootstrap.run();
  if (report.created.length) logger.info({ created: report.created, workspaceId: report.defaultWorkspaceId }, 'first start: bootstrapped');
  const { adminToken, clientId, clientSecret } = report.printed;
  if (adminToken || clientId) {
    // Shown once, on the console only (never in the JSON log): they are stored hashed.
    const lines = ['', '  Wasl is set up. Keep these; they are not shown again.'];
    if (adminToken) lines.push(`  WASL_ADMIN_TOKEN=${adminToken}`);
    if (clientId) lines.push(`  client_id=${clientId}`, `  client_secret=${clientSecret}`);
    process.stdout.write(`${lines.join('\n')}\n\n`);
  }

  await app.listen({ port: config.port, host: config.host });
  const workers = await startWorkers({ config, container: app.container, store, clock: systemClock, logger });
  logger.info(
    { store: store.engine, workers: config.workers, startupMs: Math.round(performance.now() - started), docs: `${config.publicUrl}/docs` },
    'wasl is serving',
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining: no new requests, finishing those in flight');
    app.markDraining();
    const force = setTimeout(() => {
      logger.error('shutdown time-out: exiting with requests still open');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    force.unref();
    await workers.stop(config.shutdownTimeoutMs / 2);
    await app.close();
    await store.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
} catch (err) {
  logger.fatal({ err }, 'start-up failed');
  await store.close().catch(() => {});
  process.exit(1);
}
