import type { Db } from '../../db/store.js';
import type { Transaction } from '../../db/transaction.js';
import type { Clock } from '../../lib/clock.js';
import { sha256Hex } from '../../lib/crypto.js';
import { errors } from '../../lib/errors.js';
import { atMostEvery } from '../../lib/throttle.js';
import { DONE, type IdempotencyRepo } from './idempotency.repo.js';

const KEEP_MS = 24 * 3_600_000;
/** An in-progress key whose request has not finished in this long was abandoned (its node died). */
const ABANDONED_MS = 60_000;
const PURGE_EVERY_MS = 60_000;
const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` (decisions.md "WhatsApp sends"), per workspace, for 24 hours: the first
 * request with a key takes it (a committed row), does its work and keeps its answer in the work's
 * own transaction, so the answer exists exactly when the work does. The same key and body again →
 * that answer, replayed; another body → 422; while the first is still running → 409. A refused
 * request (any error) releases its key. A key whose request died mid-way is free again after 60 s.
 */
export function createIdempotencyService(deps: { repo: IdempotencyRepo; transaction: Transaction; clock: Clock }) {
  const { repo, transaction, clock } = deps;
  const purge = atMostEvery(PURGE_EVERY_MS, (now) => repo.purge(new Date(now.getTime() - KEEP_MS)));

  /** The key taken for this request, or the answer to replay. */
  async function take(workspaceId: string, key: string, fingerprint: string): Promise<{ replay: unknown } | null> {
    const now = clock.now();
    const row = { fingerprint, created_at: now, locked_until: new Date(now.getTime() + ABANDONED_MS) };
    if (await repo.take({ workspace_id: workspaceId, key, ...row })) return null;
    const seen = await repo.find(workspaceId, key);
    if (!seen) return take(workspaceId, key, fingerprint);
    const expired = now.getTime() - seen.created_at.getTime() >= KEEP_MS;
    if (!expired && seen.fingerprint !== fingerprint) throw errors.idempotencyKeyReused(key);
    if (!expired && seen.state === DONE) return { replay: seen.response };
    if (!expired && seen.locked_until > now) throw errors.idempotencyInProgress(key);
    if (await repo.takeOver(workspaceId, key, seen, row)) return null;
    throw errors.idempotencyInProgress(key);
  }

  return {
    /**
     * Runs `work` (in the transaction it is given) once per key: `key` null runs it plainly.
     * `replayed` tells the route to say so (`Idempotent-Replayed: true`).
     */
    async run<T>(workspaceId: string, key: string | null, request: { route: string; body: unknown }, work: (trx?: Db) => Promise<T>): Promise<{ result: T; replayed: boolean }> {
      if (key === null) return { result: await work(), replayed: false };
      if (!KEY.test(key)) throw errors.invalidField('Idempotency-Key', 'Idempotency-Key must be 1–255 printable ASCII characters (a UUID is a good choice).');
      purge(clock.now());
      const fingerprint = sha256Hex(`${request.route}\n${JSON.stringify(request.body)}`);
      const taken = await take(workspaceId, key, fingerprint);
      if (taken) return { result: taken.replay as T, replayed: true };
      try {
        const result = await transaction(async (trx) => {
          const answer = await work(trx);
          await repo.complete(workspaceId, key, answer, trx);
          return answer;
        });
        return { result, replayed: false };
      } catch (err) {
        await repo.release(workspaceId, key).catch(() => {});
        throw err;
      }
    },
  };
}
export type IdempotencyService = ReturnType<typeof createIdempotencyService>;
