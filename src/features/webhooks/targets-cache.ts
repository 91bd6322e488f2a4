import type { Db } from '../../db/store.js';
import type { Transaction } from '../../db/transaction.js';
import type { TargetState, WebhooksRepo } from './webhooks.repo.js';

/**
 * Targets by (workspace, URL) as emitting reads them: the id never changes; whether one is
 * disabled is read again after `ttlMs`, and at once after this node disables or enables one. A
 * target is kept only once the transaction that read (or made) it commits, so a rolled-back one
 * is never used; until then a transaction that emits many events reads each target once.
 */
export function createTargetsCache(deps: { repo: Pick<WebhooksRepo, 'targets' | 'disableTarget' | 'enableTarget'>; transaction: Pick<Transaction, 'afterCommit'>; ttlMs?: number }) {
  const { repo, transaction, ttlMs = 1000 } = deps;
  const committed = new Map<string, { at: number; target: TargetState }>();
  const inTransaction = new WeakMap<Db, Map<string, TargetState>>();
  const keyOf = (workspaceId: string, url: string) => `${workspaceId} ${url}`;

  return {
    /** The targets of these URLs (made on first use), by URL. */
    async forEmit(workspaceId: string, urls: string[], now: Date, trx: Db) {
      const found = new Map<string, TargetState>();
      const mine = inTransaction.get(trx);
      for (const url of urls) {
        const key = keyOf(workspaceId, url);
        const own = mine?.get(key);
        const hit = committed.get(key);
        if (own) found.set(url, own);
        else if (hit && performance.now() - hit.at <= ttlMs) found.set(url, hit.target);
      }
      const stale = [...new Set(urls.filter((url) => !found.has(url)))];
      if (!stale.length) return found;
      const read = await repo.targets(workspaceId, stale, now, trx);
      const at = performance.now();
      if (trx.isTransaction) {
        const own = mine ?? new Map<string, TargetState>();
        for (const t of read) own.set(keyOf(workspaceId, t.url), t);
        inTransaction.set(trx, own);
      }
      transaction.afterCommit(trx, () => {
        if (committed.size > 10_000) committed.clear();
        for (const t of read) committed.set(keyOf(workspaceId, t.url), { at, target: t });
      });
      for (const t of read) found.set(t.url, t);
      return found;
    },

    async disable(targetId: string, reason: string, now: Date) {
      await repo.disableTarget(targetId, reason, now);
      committed.clear();
    },

    /** Re-enables a target (in `trx` when given: forgotten once it commits). */
    async enable(targetId: string, trx?: Db) {
      const target = await repo.enableTarget(targetId, trx);
      if (trx) transaction.afterCommit(trx, () => committed.clear());
      else committed.clear();
      return target;
    },
  };
}
