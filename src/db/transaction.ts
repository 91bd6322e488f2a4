import { AbortedTransactionError, CompiledQuery } from 'kysely';
import type { Db } from './store.js';

/** A statement sent with a transaction's COMMIT (`beforeCommit`): a text (often `prepared`) and its values. */
export interface Statement {
  text: string;
  values: readonly unknown[];
}
/** Made when the transaction's body has ended, so it can gather what the body added meanwhile. */
type Deferred = () => Statement | Statement[];

/**
 * The one way a service opens a transaction. `transaction(fn)` runs `fn` in a new transaction;
 * `transaction(fn, trx)` joins the caller's, so a service called inside another's transaction
 * commits with it. Repos never open transactions: each of their functions takes `trx` last.
 */
export function createTransactor(db: Db, options: { pipelined?: boolean } = {}) {
  const commitHooks = new WeakMap<Db, (() => void)[]>();
  const deferred = new WeakMap<Db, Deferred[]>();
  async function transaction<T>(fn: (trx: Db) => Promise<T>, outer?: Db): Promise<T> {
    if (outer?.isTransaction) return fn(outer);
    const hooks: (() => void)[] = [];
    const writes: Deferred[] = [];
    let sent: Promise<unknown> | undefined;
    try {
      const result = await db.transaction().execute(async (trx) => {
        commitHooks.set(trx, hooks);
        deferred.set(trx, writes);
        const value = await fn(trx);
        if (writes.length) sent = (await send(trx, writes.flatMap((write) => write()))).answers;
        return value;
      });
      await sent;
      for (const hook of hooks) hook();
      return result;
    } catch (err) {
      // A write sent with the commit failed, so the COMMIT was a ROLLBACK: its own error says why.
      if (err instanceof AbortedTransactionError && sent) await sent;
      throw err;
    } finally {
      sent?.catch(() => {});
    }
  }

  /**
   * Sends the statements on the transaction's connection one after another without waiting for
   * answers (Kysely would wait for each): on a pipelined pool they and the COMMIT that follows
   * leave in one socket write (db/driver.ts). Answers (wrapped) the promise of all their answers,
   * which the caller awaits after the COMMIT. Not pipelined (PGlite): one after the other, here.
   */
  async function send(trx: Db, statements: Statement[]): Promise<{ answers: Promise<unknown> }> {
    return trx.getExecutor().provideConnection(async (connection) => {
      const run = (s: Statement) => connection.executeQuery(CompiledQuery.raw(s.text, [...s.values]));
      if (!options.pipelined) {
        // One at a time (node-postgres queues no second statement on a connection that is not pipelined).
        for (const s of statements) await run(s);
        return { answers: Promise.resolve() };
      }
      const answers = Promise.all(statements.map(run));
      answers.catch(() => {}); // seen after the COMMIT
      return { answers }; // in an object: a promise returned bare would be waited for here
    });
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

  /**
   * Writes whose answers nobody waits for (the event and its send job, a row of the event
   * stream's log), sent when the body of `trx` has ended, just before its COMMIT and without
   * waiting in between: on PostgreSQL all of them and the COMMIT leave in one round trip. A write
   * must fail by an error of its own (a constraint), never by matching no row: a failure turns
   * the COMMIT into a ROLLBACK and is what the caller of `transaction` gets. `make` runs when the
   * body has ended (it may gather what the body added meanwhile). Outside a transaction of this
   * transactor, the statements run at once, in order.
   */
  async function beforeCommit(trx: Db, make: Deferred): Promise<void> {
    const writes = trx.isTransaction ? deferred.get(trx) : undefined;
    if (writes) return void writes.push(make);
    const made = make();
    for (const s of Array.isArray(made) ? made : [made]) await trx.executeQuery(CompiledQuery.raw(s.text, [...s.values]));
  }
  return Object.assign(transaction, { afterCommit, beforeCommit });
}
export type Transaction = ReturnType<typeof createTransactor>;
