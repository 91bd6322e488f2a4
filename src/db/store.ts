import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { citext } from '@electric-sql/pglite/contrib/citext';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { Kysely, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './types.js';
import { lockDataDir } from './lock.js';
import { createDialect } from './driver.js';

export type Engine = 'pglite' | 'postgres';
export type Db = Kysely<Database>;

export interface Store {
  db: Db;
  /**
   * The job queue's own bookkeeping (claims, lease renewals, outcomes): on PostgreSQL a small pool
   * of its own, so a pool drained by long work (300 live calls writing) cannot delay a lease renewal
   * until the lease lapses and the job runs twice; on PGlite the one connection, `db`.
   */
  bookkeeping: Db;
  engine: Engine;
  pool: pg.Pool;
  /** Calls `onNotify` for each NOTIFY on `channel` (after its transaction commits). */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * LISTEN on PostgreSQL needs a connection of its own, outside the pool. If it drops, it is
 * opened again after a second; meanwhile listeners only lose their wake-ups (workers still poll).
 */
async function listenPostgres(connectionString: string, channel: string, onNotify: (payload: string) => void) {
  let client: pg.Client | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const connect = async () => {
    const c = new pg.Client({ connectionString });
    c.on('notification', (n) => n.channel === channel && onNotify(n.payload ?? ''));
    c.on('error', () => {
      c.end().catch(() => {});
      if (!stopped) retry = setTimeout(() => void connect().catch(() => {}), 1000);
    });
    await c.connect();
    await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    client = c;
  };
  await connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    await client?.end().catch(() => {});
  };
}

/** Only these extensions: btree_gin beside pg_trgm gave wrong answers on PGlite (STACK.md). */
const EXTENSIONS = { pg_trgm, citext };

export type StoreOptions =
  | { databaseUrl: string; poolSize?: number; /** tables in this schema (tests: one per file) */ schema?: string }
  | { dataDir: string }
  | { template: Blob }; // in-memory PGlite from a dumped data directory (tests, benchmarks)

/**
 * Session settings, in the URL itself (values parsed from a connection string override a
 * separate `options`), added to any the operator's URL has. Wasl's statements are short, so
 * parallel query and JIT compilation only cost here: on a busy server the workers' start-up took
 * longer than the search it split (126 ms against 2 ms), JIT 9 ms of a count (bench/contacts/README.md).
 */
function withSessionOptions(databaseUrl: string, schema?: string): string {
  const url = new URL(databaseUrl);
  const given = url.searchParams.get('options');
  const ours = [...(schema ? [`-c search_path=${pg.escapeIdentifier(schema)},public`] : []), '-c max_parallel_workers_per_gather=0', '-c jit=off'];
  url.searchParams.set('options', [given, ...ours].filter(Boolean).join(' '));
  return url.toString();
}

/** Connections of the job queue's bookkeeping pool (PostgreSQL), beside `DATABASE_POOL_SIZE`. */
export const BOOKKEEPING_POOL_SIZE = 2;

function kysely(pool: pg.Pool, pipelined = false): Db {
  return new Kysely<Database>({ dialect: createDialect(pool, { pipelined }) });
}

export async function openStore(options: StoreOptions): Promise<Store> {
  if ('databaseUrl' in options) {
    const pool = new pg.Pool({
      connectionString: withSessionOptions(options.databaseUrl, options.schema),
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 10_000,
      // Statements written without waiting for the one before (driver.ts: BEGIN with the first statement).
      pipeline: true,
    });
    pool.on('error', () => {}); // an idle client's error is reported to its next user
    const db = kysely(pool, true);
    const sidePool = new pg.Pool({ connectionString: withSessionOptions(options.databaseUrl, options.schema), max: BOOKKEEPING_POOL_SIZE, connectionTimeoutMillis: 10_000 });
    sidePool.on('error', () => {});
    const bookkeeping = kysely(sidePool);
    const listeners = new Set<() => Promise<void>>();
    return {
      db,
      bookkeeping,
      engine: 'postgres',
      pool,
      async listen(channel, onNotify) {
        const stop = await listenPostgres(options.databaseUrl, channel, onNotify);
        listeners.add(stop);
        return async () => {
          listeners.delete(stop);
          await stop();
        };
      },
      async close() {
        await Promise.all([...listeners].map((stop) => stop()));
        await Promise.all([db.destroy(), bookkeeping.destroy()]);
      },
    };
  }

  const release = 'dataDir' in options ? lockDataDir(options.dataDir) : () => {};
  try {
    const pglite =
      'dataDir' in options
        ? await PGlite.create(join(options.dataDir, 'pgdata'), { extensions: EXTENSIONS })
        : await PGlite.create({ extensions: EXTENSIONS, loadDataDir: options.template });
    // One connection: anything that uses the outer db inside a transaction would deadlock,
    // so a connection time-out turns that bug into an error instead of a hang.
    const pool = new pg.Pool({ ...createPgConfig(pglite), max: 1, connectionTimeoutMillis: 5_000 });
    const db = kysely(pool);
    let closed = false;
    const exclusively = async <T>(fn: () => Promise<T>) => {
      const client = await pool.connect();
      try {
        return await fn();
      } finally {
        client.release();
      }
    };
    return {
      db,
      bookkeeping: db,
      engine: 'pglite',
      pool,
      // pglite.listen talks to the engine directly: holding the pool's one connection meanwhile
      // keeps it from landing between another statement's protocol messages (or in its transaction).
      listen: async (channel, onNotify) => {
        const unsubscribe = await exclusively(() => pglite.listen(channel, onNotify));
        return async () => {
          if (!closed) await exclusively(unsubscribe);
        };
      },
      async close() {
        if (closed) return;
        closed = true;
        await db.destroy(); // ends the pool, which does not close PGlite itself
        await pglite.close();
        release();
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}

/** Readiness: resolves when the store answers a trivial statement. */
export async function pingStore(db: Db): Promise<void> {
  await sql`SELECT 1`.execute(db);
}

/** A migrated, empty embedded store as a tarball; each test file starts from a copy. */
export async function dumpTemplate(migrate: (db: Db) => Promise<void>): Promise<Blob> {
  const pglite = await PGlite.create({ extensions: EXTENSIONS });
  const pool = new pg.Pool({ ...createPgConfig(pglite), max: 1 });
  const db = kysely(pool);
  await migrate(db);
  await db.destroy();
  const dump = await pglite.dumpDataDir('none');
  await pglite.close();
  return dump;
}
