import { randomFillSync } from 'node:crypto';
import { rm } from 'node:fs/promises';
import pg from 'pg';
import { v7 } from 'uuid';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { openStore, type StoreOptions } from '../src/db/store.js';
import { systemClock } from '../src/lib/clock.js';
import { fold } from '../src/lib/fold.js';
import { AR_FIRST, AR_LAST, COMPANIES, DOMAINS, LA_FIRST, LA_LAST, POSITIONS } from './contacts-lib.js';
import { ADMIN_TOKEN, appEnv, log } from './lib.js';

/**
 * What the generators (contacts-generate.ts, conversations-generate.ts) share: an empty store, the
 * app on it with a workspace made through the API, secondary indexes dropped for a bulk load and
 * made again, contacts written as the app writes them, and the tables' sizes.
 */
export const secs = (from: number) => (performance.now() - from) / 1000;
type Query = (text: string, values?: unknown[]) => Promise<pg.QueryResult>;

/**
 * An empty store. PostgreSQL: the database is made when missing (a fresh machine has none), then
 * its schema `public` dropped and made again. PGlite: the data directory is removed.
 */
export async function resetStore(options: StoreOptions) {
  if ('databaseUrl' in options) {
    const url = new URL(options.databaseUrl);
    const name = decodeURIComponent(url.pathname.slice(1));
    const server = new pg.Client({ connectionString: Object.assign(new URL(url), { pathname: '/postgres' }).toString() });
    await server.connect();
    const found = await server.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!found.rowCount) await server.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    await server.end();
    const client = new pg.Client({ connectionString: options.databaseUrl });
    await client.connect();
    await client.query('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;');
    await client.end();
  } else if ('dataDir' in options) {
    await rm(options.dataDir, { recursive: true, force: true });
  }
}

/**
 * The migrated store with the app on it, a workspace named `name`, a service account and its
 * token, all made through the admin and public API (`app.inject`); `call` makes more.
 */
export async function seedWorkspace(options: StoreOptions, name: string) {
  const store = await openStore(options);
  await migrateToLatest(store.db);
  const app = await buildApp({ config: loadConfig(appEnv(options)), db: store.db, engine: store.engine, clock: systemClock, logger: false });
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
  const workspace = await call<{ id: string }>('POST', '/admin/v1/workspaces', { name }, ADMIN_TOKEN);
  const account = await call<{ id: string; clientId: string; clientSecret: string }>('POST', `/admin/v1/workspaces/${workspace.id}/service-accounts`, { name: 'generator' }, ADMIN_TOKEN);
  const { access_token: token } = await call<{ access_token: string }>(
    'POST', '/connect/token', { grant_type: 'client_credentials', client_id: account.clientId, client_secret: account.clientSecret, scope: 'VoxaAPI' }, '', true,
  );
  const client = await store.pool.connect();
  const q: Query = (text, values = []) => client.query(text, values);
  const close = async () => {
    client.release();
    await app.close();
    await store.close();
  };
  return { store, app, workspace, account, token, call, q, close };
}

/**
 * Drops the secondary indexes of `tables` and the foreign keys declared on them, which a bulk
 * load would otherwise maintain row by row; `restore()` makes them again from their own
 * definitions (pg_indexes, pg_get_constraintdef) and answers the seconds it took.
 */
export async function withoutSecondaryIndexes(q: Query, tables: string[], engine: string) {
  const indexes = (
    await q(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ANY($1)
             AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))`, [tables])
  ).rows as { indexname: string; indexdef: string }[];
  const foreignKeys = (
    await q(`SELECT conname, conrelid::regclass::text AS tab, pg_get_constraintdef(oid) AS def FROM pg_constraint
             WHERE contype = 'f' AND conrelid::regclass::text = ANY($1)`, [tables])
  ).rows as { conname: string; tab: string; def: string }[];
  for (const fk of foreignKeys) await q(`ALTER TABLE ${pg.escapeIdentifier(fk.tab)} DROP CONSTRAINT ${pg.escapeIdentifier(fk.conname)}`);
  for (const ix of indexes) await q(`DROP INDEX ${pg.escapeIdentifier(ix.indexname)}`);
  return async function restore() {
    const t0 = performance.now();
    await q(`SET maintenance_work_mem = '${engine === 'postgres' ? '512MB' : '128MB'}'`);
    for (const ix of indexes) {
      const t = performance.now();
      await q(ix.indexdef);
      log(`  ${ix.indexname}: ${secs(t).toFixed(1)} s`);
    }
    for (const fk of foreignKeys) await q(`ALTER TABLE ${pg.escapeIdentifier(fk.tab)} ADD CONSTRAINT ${pg.escapeIdentifier(fk.conname)} ${fk.def}`);
    return secs(t0);
  };
}

/** Total and heap size of each table. */
export async function tableSizes(q: Query, tables: string[]) {
  return (
    await q(`SELECT relname, pg_size_pretty(pg_total_relation_size(oid)) AS total, pg_size_pretty(pg_relation_size(oid)) AS heap
             FROM pg_class WHERE relname = ANY($1) ORDER BY relname`, [tables])
  ).rows as { relname: string; total: string; heap: string }[];
}

/** A UUIDv7 of that millisecond, as the app's newId() makes at that instant. */
export function idAt(msecs: number) {
  const bytes = new Uint8Array(16);
  randomFillSync(bytes);
  return v7({ msecs, random: bytes });
}

/** Contact i's phone: (i·A + B) mod 10⁸ is a bijection on 8 digits (A is prime to 10), so numbers never repeat. */
export const phoneOf = (i: number) => `+9665${String((BigInt(i) * 37139213n + 4120577n) % 100000000n).padStart(8, '0')}`;

const INSERT_CONTACTS = `
  INSERT INTO contacts (id, workspace_id, name, search_name, phone_number, email, company, position, contact_type, custom_fields,
                        creation_time, creator_id, last_modification_time, last_modifier_id, deletion_time, deleter_id,
                        search_email, search_company, search_position)
  SELECT u.id, $1, u.name, u.search_name, u.phone, u.email, u.company, u.position, 1, '{}'::jsonb, u.t, $2, u.t, NULL, NULL, NULL,
         u.search_email, u.search_company, u.search_position
  FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::timestamptz[], $11::text[], $12::text[], $13::text[])
    AS u(id, name, search_name, phone, email, company, position, t, search_email, search_company, search_position)`;

/**
 * `count` contacts as the app writes them, in creation order over [from, from + span) (as an app
 * fills its table over time), ids UUIDv7 of that instant: 60 % Arabic names, 40 % Latin,
 * `search_name = fold(name)`, unique Saudi mobiles (phoneOf), email ~50 %, company ~35 %,
 * position ~25 % with their folded copies; batches of `batch` rows, one transaction each.
 * Answers the seconds it took.
 */
export async function loadContacts(q: Query, o: { workspaceId: string; creatorId: string; count: number; batch: number; random: () => number; from: number; span: number }) {
  const { random, count: N } = o;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const slug = (s: string) => fold(s).normalize('NFKD').replace(/[^a-z]+/g, '');
  const t0 = performance.now();
  for (let start = 0; start < N; start += o.batch) {
    const cols: (string | null)[][] = [[], [], [], [], [], [], [], [], [], [], []];
    for (let i = start; i < Math.min(N, start + o.batch); i++) {
      const msecs = o.from + Math.floor(((i + random()) * o.span) / N);
      const arabic = random() < 0.6;
      const first = pick(arabic ? AR_FIRST : LA_FIRST);
      const last = pick(arabic ? AR_LAST : LA_LAST);
      const name = `${first} ${last}`;
      const email = random() < 0.5 ? `${arabic ? 'c' : `${slug(first)}.${slug(last)}`}${i.toString(36)}@${pick(DOMAINS)}` : null;
      cols[0]!.push(idAt(msecs));
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
    await q(INSERT_CONTACTS, [o.workspaceId, o.creatorId, ...cols]);
    await q('COMMIT');
    if ((start / o.batch) % 20 === 19) log(`  contacts ${start + o.batch} (${Math.round((start + o.batch) / secs(t0))} rows/s)`);
  }
  const seconds = secs(t0);
  log(`contacts: ${N} in ${seconds.toFixed(1)} s = ${Math.round(N / seconds)} rows/s`);
  return seconds;
}
