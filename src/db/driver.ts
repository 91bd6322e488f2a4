import { CompiledQuery, PostgresDialect, PostgresDriver, type DatabaseConnection, type TransactionSettings } from 'kysely';
import type pg from 'pg';
import { preparingPool } from './prepared.js';

/**
 * Kysely's PostgreSQL dialect over our pool, with two savings on every transaction:
 * - statements marked `PREPARED` run as named prepared statements (prepared.ts);
 * - on a pipelined pool (node-postgres `pipeline: true`: a statement is written at once, not after
 *   the previous one's answer), `BEGIN` is not waited for: it travels with the transaction's first
 *   statement, one round trip fewer (as Npgsql does). Its answer is checked before `COMMIT`; if it
 *   failed, so did every statement behind it on the same connection, and the commit throws.
 * Statements a transaction sends without waiting (`Promise.all` of two writes) share a round trip
 * too; on a pool that is not pipelined (PGlite) they simply run one after the other.
 */
export function createDialect(pool: pg.Pool, options: { pipelined: boolean }) {
  const wrapped = preparingPool(pool, { coalesce: options.pipelined });
  if (!options.pipelined) return new PostgresDialect({ pool: wrapped });
  return new (class extends PostgresDialect {
    override createDriver() {
      return new LazyBeginDriver({ pool: wrapped });
    }
  })({ pool: wrapped });
}

class LazyBeginDriver extends PostgresDriver {
  readonly #begun = new WeakMap<DatabaseConnection, Promise<unknown>>();

  override async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    if (settings.isolationLevel || settings.accessMode) return super.beginTransaction(connection, settings);
    const begun = connection.executeQuery(CompiledQuery.raw('begin'));
    begun.catch(() => {}); // seen at commit (or rollback)
    this.#begun.set(connection, begun);
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await this.#settled(connection);
    return super.commitTransaction(connection);
  }

  override async rollbackTransaction(connection: Parameters<PostgresDriver['rollbackTransaction']>[0]): Promise<void> {
    await this.#settled(connection).catch(() => {});
    return super.rollbackTransaction(connection);
  }

  async #settled(connection: DatabaseConnection) {
    const begun = this.#begun.get(connection);
    this.#begun.delete(connection);
    await begun;
  }
}
