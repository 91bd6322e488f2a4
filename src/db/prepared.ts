import { CompiledQuery } from 'kysely';
import type pg from 'pg';
import type { Db } from './store.js';

/**
 * Named prepared statements for the hot path. A statement whose text starts with `PREPARED` is
 * sent as a named prepared statement: each connection parses and plans it once (PostgreSQL may
 * then keep a generic plan), and Kysely builds nothing — the text is fixed, only the values change.
 * Use it for a few fixed texts that run on every send or inbound message, never for a text built
 * per call (each distinct text takes a name on every connection; past `MAX_NAMES` texts the rest
 * run unprepared and a warning says so once).
 *
 *   const FIND = prepared('SELECT … WHERE workspace_id = $1 AND id = $2');
 *   const rows = await run<Row>(trx, FIND, [workspaceId, id]);
 */
export const PREPARED = '/* prepared */ ';

const MAX_NAMES = 100;
const names = new Map<string, string>();
let warned = false;

/** The statement's name on every connection, or undefined (not marked, or past the limit). */
function nameOf(text: string): string | undefined {
  if (!text.startsWith(PREPARED)) return undefined;
  let name = names.get(text);
  if (name) return name;
  if (names.size >= MAX_NAMES) {
    if (!warned) process.emitWarning(`more than ${MAX_NAMES} prepared statement texts: the rest run unprepared (src/db/prepared.ts)`);
    warned = true;
    return undefined;
  }
  name = `wasl_${names.size + 1}`;
  names.set(text, name);
  return name;
}

/** A statement text with $1, $2 … placeholders, marked to run prepared: make it once, at module load. */
export function prepared(text: string): string {
  return PREPARED + text.trim().replace(/\s+/g, ' ');
}

/** Runs a `prepared` text with its values in the caller's transaction (or on the pool). */
export async function run<Row>(db: Db, text: string, values: readonly unknown[]): Promise<Row[]> {
  const { rows } = await db.executeQuery<Row>(CompiledQuery.raw(text, [...values]));
  return rows;
}

type Client = pg.PoolClient & { connection?: { stream?: { cork?: () => void; uncork?: () => void; writableCorked?: number } } };

/**
 * The pool Kysely is given: the same connections, whose `query(text, values)` sends a marked text
 * as a named prepared statement (node-postgres parses it once per connection and remembers it).
 * `coalesce` (a pipelined pool): the statements a connection is given in one turn of the event
 * loop (BEGIN and the first statement; two writes sent together) leave in one socket write — a
 * write costs more here than building a statement does (BENCHMARKS.md "WhatsApp").
 */
export function preparingPool(pool: pg.Pool, options: { coalesce?: boolean } = {}) {
  const wrapped = new WeakMap<Client, Client>();
  const wrap = (client: Client): Client => {
    let w = wrapped.get(client);
    if (!w) {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      const stream = options.coalesce ? client.connection?.stream : undefined;
      let corked = false;
      const uncork = () => {
        corked = false;
        stream!.uncork!();
      };
      const send = typeof stream?.cork === 'function'
        ? (...args: unknown[]) => {
            if (!corked) {
              corked = true;
              stream.cork!();
              process.nextTick(uncork);
            }
            return query(...args);
          }
        : query;
      w = new Proxy(client, {
        get(target, prop, receiver) {
          if (prop === 'query') {
            return (text: unknown, values?: unknown) => {
              const name = typeof text === 'string' ? nameOf(text) : undefined;
              return name ? send({ name, text, values }) : send(text, values);
            };
          }
          const value = Reflect.get(target, prop, receiver) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      wrapped.set(client, w);
    }
    return w;
  };
  return {
    connect: async () => wrap(await pool.connect()),
    end: () => pool.end(),
  };
}
