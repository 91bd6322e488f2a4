import type { TSchema, Static } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import type { Db } from '../db/store.js';
import type { Clock } from '../lib/clock.js';
import { coalesced } from '../lib/throttle.js';
import type { JobsRepo, JobStats, NewJob } from './jobs.repo.js';

export interface JobContext {
  jobId: string;
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
  /** Aborted when the job's time is up or the worker is stopping. */
  signal: AbortSignal;
}

/**
 * What a run asks of the worker. Nothing: done. `{ retryAt, reason }`: run again at that time
 * (counts as an attempt; a dead letter after the last). `{ giveUp, reason }`: a dead letter now.
 * A thrown error is a failure retried with the job's backoff.
 */
export type JobResult = void | { retryAt: Date; reason: string } | { giveUp: true; reason: string };

/** A named, typed job with one row in `jobs` per run. Handlers must be safe to run twice: a crashed worker's job runs again. */
export interface QueuedJobDefinition<S extends TSchema = TSchema> {
  name: string;
  payload: S;
  maxAttempts: number;
  /** Delay before the retry that follows attempt `attempt` (1-based) after a thrown error. Default: exponential with jitter. */
  backoff?: (attempt: number) => number;
  timeoutMs?: number;
  /**
   * Run by a worker loop of their own with this concurrency, not by the general loops: jobs that
   * mostly wait (a phone call lasts minutes) and must not take the general loops' slots.
   */
  ownLoop?: number;
  handler: (payload: Static<S>, ctx: JobContext) => Promise<JobResult>;
}

/**
 * A job kind whose rows are its own queue: a feature's table (webhook deliveries) with a due time,
 * a lease and an attempt count of its own, claimed straight from there, so a unit of work is one
 * row, not a row plus a job. The worker runs it (concurrency, lease renewal, wake-ups, stopping);
 * `run` records the outcome in the row itself and returns it for the worker's metrics and logs.
 * A row whose lease ends without an outcome (its worker died) must be due again by itself.
 */
export interface ClaimedJobDefinition<Item extends { id: string } = { id: string }> {
  name: string;
  timeoutMs?: number;
  /** Takes up to `limit` due rows for this worker until `leaseUntil`, each counted as an attempt. */
  claim(workerId: string, now: Date, leaseUntil: Date, limit: number): Promise<Item[]>;
  /**
   * `ctx.freeSlot()`: the part that needs the worker's concurrency (e.g. the HTTP request) is
   * over; the rest (recording the outcome) goes on without holding back the next row.
   */
  run(item: Item, ctx: { workerId: string; signal: AbortSignal; freeSlot: () => void }): Promise<JobResult>;
  /** Moves the lease of rows this worker still holds. */
  renew(workerId: string, ids: string[], leaseUntil: Date): Promise<void>;
  /** Gives back rows this worker holds but will not finish (stopping): due at once, not an attempt. */
  release(workerId: string, ids: string[], now: Date): Promise<void>;
  stats(now: Date): Promise<JobStats>;
}

export type JobDefinition = QueuedJobDefinition<TSchema> | ClaimedJobDefinition<{ id: string }>;
export const isClaimed = (d: JobDefinition): d is ClaimedJobDefinition => 'claim' in d;

/** For a feature's list of definitions: keeps the payload type for the handler. */
export const queuedJob = <S extends TSchema>(definition: QueuedJobDefinition<S>) => definition as unknown as JobDefinition;
export const claimedJob = <Item extends { id: string }>(definition: ClaimedJobDefinition<Item>) => definition as unknown as JobDefinition;

export interface EnqueueOptions {
  runAt?: Date;
  /** Jobs with one key run one at a time, in the order they were enqueued. */
  key?: string;
  /** A second enqueue with the same key is ignored (returns null). */
  idempotencyKey?: string;
  /** Jobs of this rate key start one per interval, across all workers (`pace()` makes it from a rate a second). */
  rate?: { key: string; intervalMs: number };
}

/** A paced job may start this long after its slot; later, it takes a new slot. */
export const RATE_LATE_MS = 25;
/**
 * What a handler's own work before its request leaves may vary by (reading its row, a pool
 * connection): the pace leaves room for it, so the provider — not only the queue — never sees
 * more than the pace in a second (80/s measured 81 arrivals in a second at the fake Graph API when
 * the whole allowance went to starts).
 */
export const RATE_SPREAD_MS = 25;
/** A paced job whose slot is nearer than this waits for it in the worker; further, it goes back to the queue with its slot… */
export const RATE_HOLD_MS = 250;
/** … due this long before the slot, so the worker that claims it has time to and waits the rest. */
export const RATE_LEAD_MS = 200;

/**
 * The rate of at most `perSecond` starts in any one-second window, for `key`, and of arrivals when
 * handlers vary by at most RATE_SPREAD_MS before their request: slots one interval apart, each good
 * for RATE_LATE_MS (and the clock's last millisecond), so the interval is
 * (1000 + RATE_LATE_MS + 1 + RATE_SPREAD_MS) / perSecond — 80/s → 13.1 ms (76/s sustained), 1,000/s → 1.05 ms.
 */
export const pace = (key: string, perSecond: number) => ({ key, intervalMs: (1000 + RATE_LATE_MS + 1 + RATE_SPREAD_MS) / perSecond });

/** 1 s, 2 s, 4 s … capped at 1 h, each ±20 %: retries of many failed jobs do not arrive together. */
export const exponentialBackoff = (attempt: number) => {
  const base = Math.min(3_600_000, 1000 * 2 ** (attempt - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
};

/** The shortest time between two wake-up NOTIFYs of one process: many commits, one NOTIFY. */
const NOTIFY_SPACING_MS = 10;

export function createJobQueue(deps: {
  repo: JobsRepo;
  clock: Clock;
  /** The transactor's: runs `fn` after `trx` commits, false for a transaction it did not open. */
  afterCommit: (trx: Db, fn: () => void) => boolean;
}) {
  const { repo, clock } = deps;
  const definitions = new Map<string, JobDefinition>();
  // Payload checks compiled once per job kind: the interpreted check cost ~45 µs an enqueue
  // (every send enqueues), the compiled one ~1 µs (BENCHMARKS.md "WhatsApp").
  const validators = new Map<string, Validator>();
  const localWorkers = new Set<() => void>();
  const woken = new WeakSet<Db>();

  // Wake-ups leave after the commit, never inside the transaction: a NOTIFY takes a database-wide
  // lock from its commit to the end of it, which made concurrent committing transactions queue.
  // Workers of this process are woken at once; one NOTIFY at a time tells the other nodes.
  const notifyNodes = coalesced(
    async () => void (await repo.notify().catch(() => {})), // a lost wake-up costs at most a poll interval
    { holdMs: NOTIFY_SPACING_MS },
  );
  /** A job's row, its payload checked against its definition. */
  function newJob(name: string, payload: unknown, options: EnqueueOptions): NewJob {
    const definition = definitions.get(name);
    if (!definition || isClaimed(definition)) throw new Error(`unknown job ${name}`);
    const validator = validators.get(name)!;
    if (!validator.Check(payload)) {
      const first = validator.Errors(payload)[0];
      throw new Error(`job ${name}: payload does not fit its schema (${first?.instancePath ?? ''} ${first?.message ?? ''})`);
    }
    const now = clock.now();
    return { name, payload, runAt: options.runAt ?? now, maxAttempts: definition.maxAttempts, key: options.key ?? null, idempotencyKey: options.idempotencyKey ?? null, rate: options.rate ?? null, now };
  }

  const wakeAll = () => {
    for (const wake of localWorkers) wake();
    void notifyNodes();
  };

  return {
    /** Adds a feature's job definitions (container.ts lists them). */
    define(...list: JobDefinition[]) {
      for (const definition of list) {
        if (definitions.has(definition.name)) throw new Error(`job ${definition.name} is defined twice`);
        definitions.set(definition.name, definition);
        if (!isClaimed(definition)) validators.set(definition.name, Compile(definition.payload));
      }
    },

    definitions: () => definitions as ReadonlyMap<string, JobDefinition>,

    /**
     * Enqueues a job inside `trx`, the transaction of the change that causes it: both commit or
     * neither does. Returns the job id, or null when the idempotency key was already used.
     */
    async enqueue(trx: Db, name: string, payload: unknown, options: EnqueueOptions = {}): Promise<string | null> {
      const id = await repo.insert(trx, newJob(name, payload, options));
      if (id) await this.wakeWorkers(trx);
      return id;
    },

    /**
     * `enqueue` as a statement the caller sends with `trx`'s COMMIT (`transaction.beforeCommit`:
     * no round trip of its own). Not with an idempotency key (its answer would be needed).
     */
    async staged(trx: Db, name: string, payload: unknown, options: Omit<EnqueueOptions, 'idempotencyKey'> = {}) {
      const statement = repo.insertStatement(newJob(name, payload, options));
      await this.wakeWorkers(trx);
      return statement;
    },

    /**
     * Wakes the workers of every node once `trx` commits: after `enqueue` (which calls it), or
     * after a change that made rows of a claimed job kind due. Once per transaction.
     */
    async wakeWorkers(trx: Db) {
      if (woken.has(trx)) return;
      woken.add(trx);
      if (!deps.afterCommit(trx, wakeAll)) await repo.notify(trx); // not the transactor's: delivered at its commit
    },

    /** Workers of this process register here to be woken without a round trip through the database. */
    onWake(wake: () => void) {
      localWorkers.add(wake);
      return () => void localWorkers.delete(wake);
    },

    /** Per job name: open jobs (or rows) by status, the oldest due one's age, dead letters. */
    async stats(now: Date): Promise<(JobStats & { name: string })[]> {
      const claimed = [...definitions.values()].filter(isClaimed);
      const own = await Promise.all(claimed.map(async (d) => ({ ...(await d.stats(now)), name: d.name })));
      return [...(await repo.stats(now)), ...own];
    },
  };
}
export type JobQueue = ReturnType<typeof createJobQueue>;
