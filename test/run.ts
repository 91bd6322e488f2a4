import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateToLatest } from '../src/db/migrate.js';
import { dumpTemplate, openStore } from '../src/db/store.js';

/**
 * `npm test`: prepares the store once, then runs every *.test.ts with node's test runner.
 * Embedded store: a migrated PGlite data directory is dumped once and each test file loads a
 * copy (~0.4 s instead of 4–6 s). PostgreSQL (DATABASE_URL): migrated once; tests share it,
 * each creating its own workspace. Extra arguments select files (`npm test -- test/tags.test.ts`).
 */
function findTests(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const files = process.argv.slice(2).length ? process.argv.slice(2) : [...findTests('src'), ...findTests('test')].sort();

// A top-level await after a file's first test lets node:test finish the file's root test while it
// waits, and run the root's after-hooks — closing every harness `build()` made so far under the
// tests that follow (a CI failure, once). Harnesses are built before the first test.
const lateAwaits = files.flatMap((file) => {
  const text = readFileSync(file, 'utf8');
  const first = text.search(/^(test|describe|suite)\(/m);
  if (first < 0) return [];
  const late = text.slice(first).search(/^((const|let|var) [^=\n]*= *)?await\b/m);
  return late < 0 ? [] : [`${file}:${text.slice(0, first + late).split('\n').length}`];
});
if (lateAwaits.length) {
  console.error(`A top-level await after the first test (build harnesses before it):\n  ${lateAwaits.join('\n  ')}`);
  process.exit(1);
}
const env = { ...process.env };
let cleanup = () => {};

if (process.env.DATABASE_URL) {
  const store = await openStore({ databaseUrl: process.env.DATABASE_URL });
  await migrateToLatest(store.db);
  await store.close();
  console.log('# store: PostgreSQL');
} else {
  const dir = mkdtempSync(join(tmpdir(), 'wasl-test-'));
  const template = join(dir, 'template.tar');
  writeFileSync(template, Buffer.from(await (await dumpTemplate(async (db) => void (await migrateToLatest(db)))).arrayBuffer()));
  env.WASL_TEST_TEMPLATE = template;
  cleanup = () => rmSync(dir, { recursive: true, force: true });
  console.log('# store: embedded (PGlite)');
}

const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit', env });
child.on('exit', (code, signal) => {
  cleanup();
  process.exit(code ?? (signal ? 1 : 0));
});
// A signal to `npm test` (a CI time-out, Ctrl-C) reaches the test runner too, so nothing is left running.
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => child.kill(signal));
