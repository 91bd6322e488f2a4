import { parseArgs } from 'node:util';

/**
 * Where a start of the server goes, step by step, in this process (the same steps as
 * src/boot.ts and src/server.ts, without workers). Run it on an existing store to time a reopen:
 *   node_modules/.bin/node --import tsx bench/startup-steps.ts --data-dir=/tmp/some-dir   (run twice: the first creates it)
 *   node_modules/.bin/node --import tsx bench/startup-steps.ts --database-url=postgres://postgres@127.0.0.1:5432/db
 * "node+loader" is process start to the first line of this file (Node, tsx, nothing of ours).
 */
const { values } = parseArgs({ options: { 'data-dir': { type: 'string' }, 'database-url': { type: 'string' } } });
const steps: Record<string, number> = { 'node+loader': Math.round(performance.now()) };
let last = performance.now();
const mark = (step: string) => {
  const now = performance.now();
  steps[step] = Math.round(now - last);
  last = now;
};

const { buildApp } = await import('../src/app.js');
const { loadConfig } = await import('../src/config.js');
const { createContainer } = await import('../src/container.js');
const { migrateToLatest } = await import('../src/db/migrate.js');
const { openStore } = await import('../src/db/store.js');
const { systemClock } = await import('../src/lib/clock.js');
mark('imports');
const where = values['database-url'] ? { DATABASE_URL: values['database-url'] } : { DATA_DIR: values['data-dir'] ?? './data' };
const config = loadConfig({ WASL_ADMIN_TOKEN: 'bench-admin-token-0123456789abcdef', LOG_LEVEL: 'silent', ...where });
const store = await openStore(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir });
mark('open store');
await migrateToLatest(store.db);
mark('migrations');
const container = createContainer({ config, db: store.db, clock: systemClock });
await container.lifecycle.start();
mark('container');
const app = await buildApp({ config, db: store.db, engine: store.engine, clock: systemClock, logger: false, container });
mark('build app');
await container.bootstrap.run();
mark('bootstrap');
await app.listen({ port: 0, host: '127.0.0.1' });
mark('listen');
steps.total = Math.round(performance.now());
await app.close();
await container.lifecycle.stop();
await store.close();
process.stdout.write(`${JSON.stringify({ engine: store.engine, ms: steps })}\n`);
