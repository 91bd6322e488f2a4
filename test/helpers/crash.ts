import { after } from 'node:test';
import pg from 'pg';
import { startServer, type Server } from './process.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A Wasl server process (`startServer`) on a PostgreSQL database that a test kills with SIGKILL and
 * starts again on the same store. `kill()` returns once the dead process's database sessions have
 * ended: a session finishes the statement it was given (a COMMIT already sent still commits) and
 * then sees its client gone, so from then on the database holds all the dead process wrote and
 * nothing more. `client` is a session of the test's own on that database, for looking.
 */
export async function restartableServer(env: Record<string, string>) {
  if (!env.DATABASE_URL) throw new Error('restartableServer needs PostgreSQL (DATABASE_URL)');
  const client = new pg.Client({ connectionString: env.DATABASE_URL });
  client.on('error', () => {}); // the database dropped under it at the end of a failed test
  await client.connect();
  let ended = false;
  const end = async () => {
    if (!ended) await client.end().catch(() => {});
    ended = true;
  };
  after(end);
  let current: Server = await startServer(env);
  const servers = [current];
  /** `performance.now()` when each process was spawned: process n lived from `spawns[n]` to `spawns[n + 1]`. */
  const spawns: number[] = [0];
  return {
    client,
    spawns,
    base: () => current.base,
    /** SIGKILL; resolves when the process and its database sessions are gone. The moment of the kill. */
    async kill(): Promise<number> {
      const at = performance.now();
      current.proc.kill('SIGKILL');
      await current.exited;
      const others = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`;
      for (let i = 0; (await client.query<{ n: number }>(others)).rows[0]!.n > 0; i++) {
        if (i > 500) throw new Error("the killed server's database sessions did not end in 10 s");
        await sleep(20);
      }
      return at;
    },
    async restart() {
      spawns.push(performance.now());
      current = await startServer(env);
      servers.push(current);
    },
    /** What every process wrote to stderr (the log at LOG_LEVEL=warn), in order. */
    logs: () => servers.map((s) => s.stderr() + s.stdout()).join(''),
    async stop() {
      const code = await current.stop();
      await end();
      return code;
    },
  };
}

/** At most `n` holders at once, served in arrival order. */
export function semaphore(n: number) {
  let free = n;
  const waiting: (() => void)[] = [];
  return {
    held: () => n - free,
    async take() {
      if (free > 0) return void free--;
      await new Promise<void>((resolve) => waiting.push(resolve));
    },
    give() {
      const next = waiting.shift();
      if (next) next();
      else free++;
    },
  };
}

export interface Answered {
  status: number;
  body: unknown;
  headers: Headers;
  /** Attempts that got no answer (the connection reset or refused: the server was down). */
  resets: number;
  /** Attempts answered 409 `Wasl:Idempotency:InProgress` (the key held by a request still running). */
  inProgress: number;
}

/**
 * A POST with an `Idempotency-Key`, as a careful client makes it: an attempt that gets no answer
 * (the server died or is restarting) is made again with the same key and body, and so is one
 * answered 409 `Wasl:Idempotency:InProgress` (after its Retry-After), until some other answer
 * comes — which is returned. `base()` is read at each attempt (a restarted server has a new port);
 * `slots` bounds the attempts under way at once (a waiting call holds no slot); `signal` (the
 * test's) ends the trying.
 */
export async function postUntilAnswered(
  base: () => string,
  path: string,
  { body, headers, key, slots, signal }: { body: object; headers: Record<string, string>; key: string; slots: ReturnType<typeof semaphore>; signal: AbortSignal },
): Promise<Answered> {
  let resets = 0;
  let inProgress = 0;
  for (;;) {
    signal.throwIfAborted();
    await slots.take();
    let res: Response | undefined;
    let json: unknown;
    try {
      res = await fetch(`${base()}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key, ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.any([signal, AbortSignal.timeout(30_000)]),
      });
      json = await res.json().catch(() => null);
    } catch {
      res = undefined;
    } finally {
      slots.give();
    }
    if (!res) {
      resets++;
      await sleep(100);
    } else if (res.status === 409 && (json as { error?: { code?: string } } | null)?.error?.code === 'Wasl:Idempotency:InProgress') {
      inProgress++;
      await sleep(1000 * Number(res.headers.get('retry-after') ?? 1));
    } else {
      return { status: res.status, body: json, headers: res.headers, resets, inProgress };
    }
  }
}
