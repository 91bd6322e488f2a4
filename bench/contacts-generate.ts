import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { fold } from '../src/lib/fold.js';
import { CITIES, DATE_DAYS, DATE_FROM, DEFAULT_DATA_DIR, DEFAULT_PG, DEFINITIONS, DOMAINS, INTERESTS, PT, STATUS, TIERS, WORKSPACE_NAME } from './contacts-lib.js';
import { log, prng, storeFlags, storeOptions } from './lib.js';
import { loadContacts, resetStore, secs, seedWorkspace, tableSizes, withoutSecondaryIndexes } from './seed-lib.js';

/**
 * Fills a store with one workspace of N contacts as the app writes them (folded `search_name`,
 * unique Saudi E.164 mobiles, UUIDv7 ids in creation order over two years) and 10 property
 * definitions of every type, each set on ~60 % of the contacts in its typed column.
 * The workspace, its service account and the definitions go through the admin and public API;
 * contacts through batched `INSERT … SELECT FROM unnest(…)`, values by one `INSERT … SELECT` per
 * definition. Secondary indexes and the values' foreign keys are dropped for the load and made
 * again from their own definitions (pg_indexes / pg_get_constraintdef), then VACUUM ANALYZE.
 * Contact history (the app's creation rows) is not written: search never reads it.
 *
 *   node --import tsx bench/contacts-generate.ts --store=postgres [--count=1000000] [--pg=URL]
 *   node --import tsx bench/contacts-generate.ts --store=pglite --count=100000 [--data-dir=DIR]
 * PostgreSQL: the schema `public` of the database is dropped and made again. PGlite: DIR is removed first.
 */
const { values: flags } = parseArgs({
  options: {
    ...storeFlags(DEFAULT_PG, DEFAULT_DATA_DIR),
    count: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '10000' },
    fill: { type: 'string', default: '0.6' },
    seed: { type: 'string', default: '7' },
  },
});
const N = Number(flags.count);
const BATCH = Number(flags.batch);
const FILL = Number(flags.fill);
const options = storeOptions(flags.store!, flags.pg!, flags['data-dir']!);

await resetStore(options);
const started = performance.now();
const { store, app, workspace, account, token, call, q, close } = await seedWorkspace(options, WORKSPACE_NAME);
const defs = new Map<string, { id: string; type: number }>();
for (const d of DEFINITIONS) {
  const made = await call<{ id: string; key: string; type: number }>('POST', '/v1/contact-property-definitions', d, token);
  defs.set(made.key, made);
}
log(`${store.engine}: workspace ${workspace.id}, ${defs.size} definitions (${secs(started).toFixed(1)} s)`);

// Drop what the load would maintain row by row; made again below from the same definitions.
const restoreIndexes = await withoutSecondaryIndexes(q, ['contacts', 'contact_values'], store.engine);

const random = prng(Number(flags.seed));
const SPAN = 2 * 365 * 24 * 3600 * 1000;
const contactSecs = await loadContacts(q, { workspaceId: workspace.id, creatorId: account.id, count: N, batch: BATCH, random, from: Date.now() - SPAN, span: SPAN });

// Values, one statement per definition, stored as values.ts stores each type: Select and
// MultiSelect spelled as the option, Email lower-cased, Phone E.164, Date as a UTC midnight.
const arr = (xs: readonly string[]) => `ARRAY[${xs.map((x) => pg.escapeLiteral(x)).join(', ')}]`;
const one = (xs: readonly string[]) => `(${arr(xs)})[1 + floor(random() * ${xs.length})::int]`;
const some = `FROM contacts c WHERE c.workspace_id = $2 AND random() < ${FILL}`;
// Text kinds also carry text_key = fold(text_value) (values.ts), computed here in JS: a closed
// list joins its folded spellings; generated URLs, emails and phones are already folded (lower-case ASCII).
const folded = (xs: readonly string[]) => `(VALUES ${xs.map((x) => `(${pg.escapeLiteral(x)}, ${pg.escapeLiteral(fold(x))})`).join(', ')}) AS m(t, k)`;
const listed = (xs: readonly string[]) => `text_value, text_key) SELECT $1, s.id, s.x, m.k FROM (SELECT c.id, ${one(xs)} AS x ${some}) s JOIN ${folded(xs)} ON m.t = s.x`;
const generated = (expr: string) => `text_value, text_key) SELECT $1, s.id, s.x, s.x FROM (SELECT c.id, ${expr} AS x ${some}) s`;
const statement: Record<number, (key: string) => string> = {
  [PT.Text]: () => listed(CITIES),
  [PT.Number]: () => `number_value) SELECT $1, c.id, round((random() * 1000)::numeric, 1)::float8 ${some}`,
  [PT.Select]: (key) => listed(key === 'tier' ? TIERS : STATUS),
  [PT.Date]: () => `date_value) SELECT $1, c.id, (DATE '${DATE_FROM}' + floor(random() * ${DATE_DAYS})::int)::timestamp AT TIME ZONE 'UTC' ${some}`,
  [PT.Boolean]: () => `bool_value) SELECT $1, c.id, random() < 0.5 ${some}`,
  // 1–3 options in the list's order; the subquery refers to c so it runs per row, and ~14 % of
  // draws are empty, hence the higher first draw.
  [PT.MultiSelect]: () => `list_value) SELECT $1, s.id, s.l FROM (
      SELECT c.id, ARRAY(SELECT x.o FROM unnest(${arr(INTERESTS)}) WITH ORDINALITY AS x(o, n) WHERE c.id IS NOT NULL AND random() < 0.22 ORDER BY x.n LIMIT 3) AS l
      FROM contacts c WHERE c.workspace_id = $2 AND random() < ${(FILL / 0.86).toFixed(3)}) s
    WHERE cardinality(s.l) > 0`,
  [PT.Url]: () => generated(`'https://www.' || ${one(['example', 'shop', 'mystore', 'studio', 'agency'])} || substr(md5(c.id::text), 1, 6) || '.sa/'`),
  [PT.Email]: () => generated(`'w' || substr(md5(c.id::text), 1, 10) || '@' || ${one(DOMAINS)}`),
  [PT.Phone]: () => generated(`'+9665' || lpad(floor(random() * 100000000)::bigint::text, 8, '0')`),
};
await q('SELECT setseed(0.42)');
let t0 = performance.now();
let valueRows = 0;
for (const [key, def] of defs) {
  const t = performance.now();
  const text = `INSERT INTO contact_values (definition_id, contact_id, ${statement[def.type]!(key)}`;
  await q('BEGIN');
  const res = await q(text, [def.id, workspace.id]);
  await q('COMMIT');
  valueRows += res.rowCount ?? 0;
  log(`  values ${key}: ${res.rowCount} in ${secs(t).toFixed(1)} s`);
}
const valueSecs = secs(t0);
log(`values: ${valueRows} in ${valueSecs.toFixed(1)} s = ${Math.round(valueRows / valueSecs)} rows/s`);

const indexSecs = await restoreIndexes();
t0 = performance.now();
await q('VACUUM ANALYZE contacts');
await q('VACUUM ANALYZE contact_values');
await q('VACUUM ANALYZE contact_property_definitions');
const vacuumSecs = secs(t0);
const sizes = await tableSizes(q, ['contacts', 'contact_values']);

// One contact read back through the API: the rows are what the app reads.
const sample = await app.inject({ method: 'POST', url: '/v1/contacts/search', headers: { authorization: `Bearer ${token}` }, payload: { maxResultCount: 1 } });
log(`sample: ${sample.body.slice(0, 1500)}`);

const summary = {
  store: store.engine,
  contacts: N,
  contactsSeconds: +contactSecs.toFixed(1),
  contactRowsPerSecond: Math.round(N / contactSecs),
  values: valueRows,
  valuesSeconds: +valueSecs.toFixed(1),
  valueRowsPerSecond: Math.round(valueRows / valueSecs),
  indexSeconds: +indexSecs.toFixed(1),
  vacuumAnalyzeSeconds: +vacuumSecs.toFixed(1),
  totalSeconds: +secs(started).toFixed(1),
  sizes,
  loadAverage: loadavg().map((x) => +x.toFixed(2)),
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
await close();
