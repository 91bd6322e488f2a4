import { bootStore } from '../boot.js';

// `npm run db:migrate`: apply pending migrations and exit (every start also does this).
const { applied, store } = await bootStore('wasl db:migrate');
await store.close();
process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'the store is up to date\n');
