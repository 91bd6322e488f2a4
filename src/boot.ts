import type { Logger } from 'pino';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createContainer, type Container } from './container.js';
import { DataDirLockedError } from './db/lock.js';
import { migrateToLatest } from './db/migrate.js';
import { openStore, pingStore, type Store } from './db/store.js';
import type { Workers } from './jobs/runtime.js';
import { systemClock } from './lib/clock.js';
import { createLogger } from './lib/logger.js';

/**
 * The one start-up and shut-down path of every Wasl process (`npm start`, `npm run worker`,
 * `npm run db:migrate`): config → store → migrate → container → the process's own part.
 * What an operator must fix (the configuration, a data directory in use, an unreachable store)
 * ends the process with one line on stderr and exit code 1; SIGTERM and SIGINT stop it in order.
 */

/** The Node major Wasl runs on (package.json `engines`); `npm install` brings it as the `node` package. */
const NODE_MAJOR = 24;

export interface BootedStore {
  config: Config;
  logger: Logger;
  store: Store;
  /** Migrations applied by this start. */
  applied: string[];
}

export interface Booted extends BootedStore {
  container: Container;
}

/** What a process runs after boot, stopped on SIGTERM in this order. */
export interface Running {
  /** Refuse new requests, answer readiness 503. */
  markDraining?(): void;
  /** Stop claiming jobs; finish those in hand. */
  workers?: Workers;
  /** Close the HTTP server once requests in flight are answered. */
  close?(): Promise<unknown>;
}

/** A start-up failure the operator fixes; shown as one line, without a stack. */
class BootError extends Error {}

function exitWith(name: string, message: string): never {
  process.stderr.write(`${name}: ${message}\n`);
  process.exit(1);
}

/** The store's address for a message: PostgreSQL's URL without its password, or the data directory. */
function whereIs(config: Config): string {
  if (!config.databaseUrl) return config.dataDir;
  try {
    const url = new URL(config.databaseUrl);
    url.password = '';
    return url.toString();
  } catch {
    return 'DATABASE_URL';
  }
}

async function openAndMigrate(config: Config): Promise<{ store: Store; applied: string[] }> {
  let store: Store;
  try {
    store = await openStore(config.databaseUrl ? { databaseUrl: config.databaseUrl, poolSize: config.databasePoolSize } : { dataDir: config.dataDir });
  } catch (err) {
    if (err instanceof DataDirLockedError) throw new BootError(err.message);
    throw new BootError(`cannot open the store at ${whereIs(config)}: ${(err as Error).message}`, { cause: err });
  }
  try {
    await pingStore(store.db); // PostgreSQL connects lazily: an unreachable server shows here
  } catch (err) {
    await store.close().catch(() => {});
    throw new BootError(`cannot reach the store at ${whereIs(config)}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return { store, applied: await migrateToLatest(store.db) };
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
}

/** config → store → migrate; used alone by `npm run db:migrate`. */
export async function bootStore(name: string): Promise<BootedStore> {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < NODE_MAJOR) {
    exitWith(name, `Node ${NODE_MAJOR} or later is needed, this is ${process.version}. Run Wasl through npm (npm start), which uses the Node that npm install put in node_modules/.bin.`);
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) exitWith(name, err.message);
    throw err;
  }
  const logger = createLogger(config.logLevel);
  try {
    const { store, applied } = await openAndMigrate(config);
    return { config, logger, store, applied };
  } catch (err) {
    if (err instanceof BootError) exitWith(name, err.message);
    logger.fatal({ err }, 'start-up failed');
    process.exit(1);
  }
}

/**
 * Boots, starts the container's lifecycle, runs `start` (which listens, starts workers, …) and
 * stops everything on SIGTERM/SIGINT: mark draining → stop workers → close the HTTP server →
 * stop the lifecycle → close the store → exit 0 (or 1 after `SHUTDOWN_TIMEOUT_MS`).
 */
export async function boot(name: string, start: (booted: Booted) => Promise<Running>): Promise<void> {
  // Handlers first: a signal that arrives while starting (the port may already answer) is kept and
  // acted on once the start is over, instead of killing the process half-way.
  let stopOn: ((signal: string) => Promise<void>) | null = null;
  let pending: string | null = null;
  const onSignal = (signal: string) => (stopOn ? void stopOn(signal) : void (pending ??= signal));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  const booted = await bootStore(name);
  const { config, logger, store } = booted;
  if (booted.applied.length) logger.info({ applied: booted.applied }, 'migrations applied');
  let container: Container | undefined;
  let running: Running = {};
  try {
    container = createContainer({ config, db: store.db, bookkeeping: store.bookkeeping, engine: store.engine, clock: systemClock });
    await container.lifecycle.start();
    running = await start({ ...booted, container });
  } catch (err) {
    if (err instanceof BootError || err instanceof ConfigError) process.stderr.write(`${name}: ${err.message}\n`);
    else logger.fatal({ err }, 'start-up failed');
    await running.workers?.stop(0).catch(() => {});
    await running.close?.().catch(() => {});
    await container?.lifecycle.stop().catch(() => {});
    await store.close().catch(() => {});
    process.exit(1);
  }

  const lifecycle = container.lifecycle;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return; // under npm a terminal's Ctrl-C arrives twice: from the terminal and forwarded by npm
    stopping = true;
    logger.info({ signal }, 'draining: no new requests or jobs, finishing those in hand');
    const force = setTimeout(() => {
      logger.error('shutdown time-out: exiting with work still open');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    force.unref();
    try {
      running.markDraining?.();
      await running.workers?.stop(config.shutdownTimeoutMs / 2);
      await running.close?.();
      await lifecycle.stop();
      await store.close();
      logger.info('stopped');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      await store.close().catch(() => {});
      process.exit(1);
    }
  };
  stopOn = stop;
  if (pending) void stop(pending);
}

/** Listens on `HOST:PORT`; a port in use is a start-up problem for the operator, not a stack trace. */
export async function listen(server: { listen(options: { port: number; host: string }): Promise<string> }, config: Pick<Config, 'host' | 'port'>) {
  try {
    return await server.listen({ port: config.port, host: config.host });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') throw new BootError(`cannot listen on ${config.host}:${config.port} (${code}); set PORT or HOST`);
    throw err;
  }
}
