import type { TSchema, Static } from 'typebox';
import { Value } from 'typebox/value';
import type { Db } from '../db/store.js';
import type { Clock } from '../lib/clock.js';
import type { JobsRepo } from './jobs.repo.js';

export interface JobContext {
  jobId: string;
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
  /** Aborted when the job's time is up or the worker is stopping. */
  signal: AbortSignal;
}

/** A named, typed job. Handlers must be safe to run twice: a crashed worker's job runs again. */
export interface JobDefinition<S extends TSchema = TSchema> {
  name: string;
  payload: S;
  maxAttempts: number;
  /** Delay before the retry that follows attempt `attempt` (1-based). Default: exponential with jitter. */
  backoff?: (attempt: number) => number;
  timeoutMs?: number;
  handler: (payload: Static<S>, ctx: JobContext) => Promise<void>;
}

export interface EnqueueOptions {
  runAt?: Date;
  /** Jobs with one key run one at a time, in the order they were enqueued. */
  key?: string;
  /** A second enqueue with the same key is ignored (returns null). */
  idempotencyKey?: string;
  /** At most one job of this rate key starts per interval, across all workers. */
  rate?: { key: string; intervalMs: number };
}

/** How a handler asks for something other than the default retry. */
export class JobOutcome extends Error {
  constructor(
    readonly kind: 'retry-at' | 'give-up',
    message: string,
    readonly at?: Date,
  ) {
    super(message);
  }
}
export const retryAt = (at: Date, message: string) => new JobOutcome('retry-at', message, at);
export const giveUp = (message: string) => new JobOutcome('give-up', message);

/** 1 s, 2 s, 4 s … capped at 1 h, each ±20 %: retries of many failed jobs do not arrive together. */
export const exponentialBackoff = (attempt: number) => {
  const base = Math.min(3_600_000, 1000 * 2 ** (attempt - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
};

export function createJobQueue({ repo, clock }: { repo: JobsRepo; clock: Clock }) {
  const definitions = new Map<string, JobDefinition>();

  return {
    define<S extends TSchema>(definition: JobDefinition<S>) {
      if (definitions.has(definition.name)) throw new Error(`job ${definition.name} is defined twice`);
      definitions.set(definition.name, definition as unknown as JobDefinition);
    },

    definitions: () => definitions,

    /**
     * Enqueues a job inside `trx`, the transaction of the change that causes it: both commit or
     * neither does. Returns the job id, or null when the idempotency key was already used.
     */
    async enqueue(trx: Db, name: string, payload: unknown, options: EnqueueOptions = {}): Promise<string | null> {
      const definition = definitions.get(name);
      if (!definition) throw new Error(`unknown job ${name}`);
      if (!Value.Check(definition.payload, payload)) {
        const first = Value.Errors(definition.payload, payload)[0];
        throw new Error(`job ${name}: payload does not fit its schema (${first?.instancePath ?? ''} ${first?.message ?? ''})`);
      }
      const now = clock.now();
      return repo.insert(trx, {
        name,
        payload,
        runAt: options.runAt ?? now,
        maxAttempts: definition.maxAttempts,
        key: options.key ?? null,
        idempotencyKey: options.idempotencyKey ?? null,
        rate: options.rate ?? null,
        now,
      });
    },
  };
}
export type JobQueue = ReturnType<typeof createJobQueue>;
