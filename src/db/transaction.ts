import type { Db } from './store.js';

/**
 * The one way a service opens a transaction. `transaction(fn)` runs `fn` in a new transaction;
 * `transaction(fn, trx)` joins the caller's, so a service called inside another's transaction
 * commits with it. Repos never open transactions: each of their functions takes `trx` last.
 */
export function createTransactor(db: Db) {
  const commitHooks = new WeakMap<Db, (() => void)[]>();
  async function transaction<T>(fn: (trx: Db) => Promise<T>, outer?: Db): Promise<T> {
    if (outer?.isTransaction) return fn(outer);
    const hooks: (() => void)[] = [];
    const result = await db.transaction().execute((trx) => {
      commitHooks.set(trx, hooks);
      return fn(trx);
    });
    for (const hook of hooks) hook();
    return result;
  }
  /**
   * Runs `fn` once `trx` has committed (never if it rolls back), or at once when `trx` is not a
   * transaction. False when `trx` is a transaction this transactor did not open: the caller must
   * then do its work inside it (e.g. the job queue's wake-up falls back to NOTIFY in `trx`).
   */
  function afterCommit(trx: Db, fn: () => void): boolean {
    if (!trx.isTransaction) {
      fn();
      return true;
    }
    const hooks = commitHooks.get(trx);
    hooks?.push(fn);
    return hooks !== undefined;
  }
  return Object.assign(transaction, { afterCommit });
}
export type Transaction = ReturnType<typeof createTransactor>;
