import { loadConfig } from '../config.js';
import { migrateToLatest } from './migrate.js';
import { openStore } from './store.js';

// `npm run db:migrate`: apply pending migrations and exit (start-up also does this).
const config = loadConfig();
const store = await openStore(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir });
try {
  const applied = await migrateToLatest(store.db);
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'the store is up to date');
} finally {
  await store.close();
}
