import type { Db } from '../../db/store.js';
import type { Transaction } from '../../db/transaction.js';
import type { Clock } from '../../lib/clock.js';
import { sha256Hex } from '../../lib/crypto.js';
import { errors } from '../../lib/errors.js';
import { atMostEvery } from '../../lib/throttle.js';
import { DONE, type IdempotencyRepo } from './idempotency.repo.js';

const KEEP_MS = 24 * 3_600_000;
const PURGE_EVERY_MS = 60_000;
const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` (decisions.md "WhatsApp sends"), per workspace, for 24 hours, all in the
 * work's own transaction: the key's lock (held while the request runs, by any node: another
 * request with it → 409), then its kept answer (same body → that answer, replayed; another body →
 * 422), then the work and its answer, committed together — so the answer exists exactly when the
 * work does, a refused request (any error) keeps nothing, and a node killed mid-request leaves
 * nothing behind: the key is free again at once.
 */
export function createIdempotencyService(deps: { repo: IdempotencyRepo; transaction: Transaction; clock: Clock }) {
  const { repo, transaction, clock } = deps;
  const purge = atMostEvery(PURGE_EVERY_MS, (now) => repo.purge(new Date(now.getTime() - KEEP_MS)));

  return {
    /**
     * Runs `work` (in the transaction it is given) once per key: `key` null runs it plainly.
     * `replayed` tells the route to say so (`Idempotent-Replayed: true`).
     */
    async run<T>(workspaceId: string, key: string | null, request: { route: string; body: unknown }, work: (trx?: Db) => Promise<T>): Promise<{ result: T; replayed: boolean }> {
      if (key === null) return { result: await work(), replayed: false };
      if (!KEY.test(key)) throw errors.invalidField('Idempotency-Key', 'Idempotency-Key must be 1–255 printable ASCII characters (a UUID is a good choice).');
      const now = clock.now();
      purge(now);
      const fingerprint = sha256Hex(`${request.route}\n${JSON.stringify(request.body)}`);
      return transaction(async (trx) => {
        if (!(await repo.lock(workspaceId, key, trx))) throw errors.idempotencyInProgress(key);
        const seen = await repo.find(workspaceId, key, trx);
        const live = seen?.state === DONE && now.getTime() - seen.created_at.getTime() < KEEP_MS;
        if (live && seen.fingerprint !== fingerprint) throw errors.idempotencyKeyReused(key);
        if (live) return { result: seen.response as T, replayed: true };
        const result = await work(trx);
        await repo.save({ workspace_id: workspaceId, key, fingerprint, created_at: now }, result, trx);
        return { result, replayed: false };
      });
    },
  };
}
export type IdempotencyService = ReturnType<typeof createIdempotencyService>;
