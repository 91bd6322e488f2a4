import { randomFillSync } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { v7 } from 'uuid';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { openStore } from '../src/db/store.js';
import { systemClock } from '../src/lib/clock.js';
import { fold } from '../src/lib/fold.js';
import {
  ADMIN_TOKEN, appEnv, AR_FIRST, AR_LAST, CITIES, COMPANIES, DATE_DAYS, DATE_FROM, DEFAULT_DATA_DIR, DEFAULT_PG, DEFINITIONS, DOMAINS,
  INTERESTS, LA_FIRST, LA_LAST, POSITIONS, prng, PT, STATUS, storeOptions, TIERS, WORKSPACE_NAME,
} from './contacts-lib.js';

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
    store: { type: 'string', default: 'postgres' },
    count: { type: 'string', default: '1000000' },
    pg: { type: 'string', default: DEFAULT_PG },
    'data-dir': { type: 'string', default: DEFAULT_DATA_DIR },
    batch: { type: 'string', default: '10000' },
    fill: { type: 'string', default: '0.6' },
    seed: { type: 'string', default: '7' },
  },
});
const N = Number(flags.count);
const BATCH = Number(flags.batch);
const FILL = Number(flags.fill);
const options = storeOptions(flags.store!, flags.pg!, flags['data-dir']!);
const log = (line: string) => process.stderr.write(`${line}\n`);
const secs = (from: number) => (performance.now() - from) / 1000;

if ('databaseUrl' in options) {
  // A fresh machine has no bench database yet: make it on the server first.
  const url = new URL(options.databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  const server = new pg.Client({ connectionString: Object.assign(new URL(url), { pathname: '/postgres' }).toString() });
  await server.connect();
  const found = await server.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (!found.rowCount) await server.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
  await server.end();
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  await client.query('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;');
  await client.end();
} else if ('dataDir' in options) {
  await rm(options.dataDir, { recursive: true, force: true });
}

const started = performance.now();
const store = await openStore(options);
await migrateToLatest(store.db);
const config = loadConfig(appEnv(options));
const app = await buildApp({ config, db: store.db, engine: store.engine, clock: systemClock, logger: false });

async function call<T>(method: 'POST', url: string, payload: object, bearer: string, form = false): Promise<T> {
  const res = await app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${bearer}`, ...(form && { 'content-type': 'application/x-www-form-urlencoded' }) },
    payload: form ? new URLSearchParams(payload as Record<string, string>).toString() : payload,
  });
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
  return res.json() as T;
}
const workspace = await call<{ id: string }>('POST', '/admin/v1/workspaces', { name: WORKSPACE_NAME }, ADMIN_TOKEN);
const account = await call<{ id: string; clientId: string; clientSecret: string }>('POST', `/admin/v1/workspaces/${workspace.id}/service-accounts`, { name: 'generator' }, ADMIN_TOKEN);
const { access_token: token } = await call<{ access_token: string }>(
  'POST', '/connect/token', { grant_type: 'client_credentials', client_id: account.clientId, client_secret: account.clientSecret, scope: 'VoxaAPI' }, '', true,
);
const defs = new Map<string, { id: string; type: number }>();
for (const d of DEFINITIONS) {
  const made = await call<{ id: string; key: string; type: number }>('POST', '/v1/contact-property-definitions', d, token);
  defs.set(made.key, made);
}
log(`${store.engine}: workspace ${workspace.id}, ${defs.size} definitions (${secs(started).toFixed(1)} s)`);

const client = await store.pool.connect();
const q = (text: string, values: unknown[] = []) => client.query(text, values);

// Drop what the load would maintain row by row; made again below from the same definitions.
const indexes = (
  await q(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename IN ('contacts', 'contact_values')
           AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))`)
).rows as { indexname: string; indexdef: string }[];
const foreignKeys = (
  await q(`SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE contype = 'f' AND conrelid = 'contact_values'::regclass`)
).rows as { conname: string; def: string }[];
for (const fk of foreignKeys) await q(`ALTER TABLE contact_values DROP CONSTRAINT ${pg.escapeIdentifier(fk.conname)}`);
for (const ix of indexes) await q(`DROP INDEX ${pg.escapeIdentifier(ix.indexname)}`);

// Contacts: in creation order (as an app fills its table over time), ids UUIDv7 of that instant.
const random = prng(Number(flags.seed));
const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
const SPAN = 2 * 365 * 24 * 3600 * 1000;
const from = Date.now() - SPAN;
const bytes = new Uint8Array(16);
// (i·A + B) mod 10⁸ is a bijection on 8 digits (A is prime to 10), so numbers never repeat.
const phoneOf = (i: number) => `+9665${String((BigInt(i) * 37139213n + 4120577n) % 100000000n).padStart(8, '0')}`;
const slug = (s: string) => fold(s).normalize('NFKD').replace(/[^a-z]+/g, '');

const insertContacts = `
  INSERT INTO contacts (id, workspace_id, name, search_name, phone_number, email, company, position, contact_type, custom_fields,
                        creation_time, creator_id, last_modification_time, last_modifier_id, deletion_time, deleter_id,
                        search_email, search_company, search_position)
  SELECT u.id, $1, u.name, u.search_name, u.phone, u.email, u.company, u.position, 1, '{}'::jsonb, u.t, $2, u.t, NULL, NULL, NULL,
         u.search_email, u.search_company, u.search_position
  FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::timestamptz[], $11::text[], $12::text[], $13::text[])
    AS u(id, name, search_name, phone, email, company, position, t, search_email, search_company, search_position)`;
let t0 = performance.now();
for (let start = 0; start < N; start += BATCH) {
  const cols: (string | null)[][] = [[], [], [], [], [], [], [], [], [], [], []];
  for (let i = start; i < Math.min(N, start + BATCH); i++) {
    const msecs = from + Math.floor(((i + random()) * SPAN) / N);
    randomFillSync(bytes);
    const arabic = random() < 0.6;
    const first = pick(arabic ? AR_FIRST : LA_FIRST);
    const last = pick(arabic ? AR_LAST : LA_LAST);
    const name = `${first} ${last}`;
    const email = random() < 0.5 ? `${arabic ? 'c' : `${slug(first)}.${slug(last)}`}${i.toString(36)}@${pick(DOMAINS)}` : null;
    cols[0]!.push(v7({ msecs, random: bytes }));
    cols[1]!.push(name);
    cols[2]!.push(fold(name));
    cols[3]!.push(phoneOf(i));
    cols[4]!.push(email);
    cols[5]!.push(random() < 0.35 ? pick(COMPANIES) : null);
    cols[6]!.push(random() < 0.25 ? pick(POSITIONS) : null);
    cols[7]!.push(new Date(msecs).toISOString());
    // The folded copies the app keeps beside email, company and position (contacts.repo.ts withKeys).
    for (const [from, to] of [[4, 8], [5, 9], [6, 10]] as const) cols[to]!.push(cols[from]!.at(-1) == null ? null : fold(cols[from]!.at(-1)!));
  }
  await q('BEGIN');
  await q(insertContacts, [workspace.id, account.id, ...cols]);
  await q('COMMIT');
  if ((start / BATCH) % 20 === 19) log(`  contacts ${start + BATCH} (${Math.round((start + BATCH) / secs(t0))} rows/s)`);
}
const contactSecs = secs(t0);
log(`contacts: ${N} in ${contactSecs.toFixed(1)} s = ${Math.round(N / contactSecs)} rows/s`);

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
t0 = performance.now();
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

t0 = performance.now();
await q(`SET maintenance_work_mem = '${store.engine === 'postgres' ? '512MB' : '128MB'}'`);
for (const ix of indexes) {
  const t = performance.now();
  await q(ix.indexdef);
  log(`  ${ix.indexname}: ${secs(t).toFixed(1)} s`);
}
for (const fk of foreignKeys) await q(`ALTER TABLE contact_values ADD CONSTRAINT ${pg.escapeIdentifier(fk.conname)} ${fk.def}`);
const indexSecs = secs(t0);
t0 = performance.now();
await q('VACUUM ANALYZE contacts');
await q('VACUUM ANALYZE contact_values');
await q('VACUUM ANALYZE contact_property_definitions');
const vacuumSecs = secs(t0);
const sizes = (
  await q(`SELECT relname, pg_size_pretty(pg_total_relation_size(oid)) AS total, pg_size_pretty(pg_relation_size(oid)) AS heap
           FROM pg_class WHERE relname IN ('contacts', 'contact_values')`)
).rows as { relname: string; total: string; heap: string }[];
client.release();

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
await app.close();
await store.close();
