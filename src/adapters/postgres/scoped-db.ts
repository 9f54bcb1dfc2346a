import { AsyncLocalStorage } from 'node:async_hooks';
import { sql as dsql } from 'drizzle-orm';
import type { Db } from './database.js';
import type { Tx } from './outbox.js';

/**
 * One connection per job. While a store transaction (or an `exclusive` section) runs, every
 * store query made inside it — by any Postgres store — runs on that transaction's connection
 * instead of taking a second one from the pool. A job therefore never holds one pooled
 * connection while waiting for another, so a full pool cannot deadlock: N jobs need N
 * connections, not 2N. (Nested transactions become savepoints on the same connection.)
 *
 * Work handed to the queue and timers woken by a nested transaction are released only when the
 * outermost transaction commits (`afterCommit`), never before the rows they point at are visible.
 *
 * Mind that a write inside an `exclusive` section commits with the section: an audit event written
 * there is sealed only after the section's Slack calls, and holds the sealer's horizon until then.
 */
interface Scope {
  tx: Tx;
  afterCommit: Array<() => void>;
}

const scopes = new AsyncLocalStorage<Scope>();

/** The connection to query on: the running transaction's inside a scope, else the pool. */
export function scoped(db: Db): Db {
  const scope = scopes.getStore();
  // A transaction has the query-builder API of the database (select, insert, update, execute, transaction).
  return scope ? (scope.tx as unknown as Db) : db;
}

/** Inside a store transaction (scoped-db)? */
export function inTransaction(): boolean {
  return scopes.getStore() !== undefined;
}

/** Runs `cb` once the outermost transaction has committed (at once when there is none). */
export function afterCommit(cb: () => void): void {
  const scope = scopes.getStore();
  if (scope) scope.afterCommit.push(cb);
  else cb();
}

/** A transaction on one connection; store queries inside it (any store) reuse that connection. */
export async function scopedTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if (scopes.getStore()) return scoped(db).transaction((tx) => fn(tx)); // a savepoint, same connection
  const scope: Scope = { tx: undefined as unknown as Tx, afterCommit: [] };
  const result = await db.transaction((tx) => {
    scope.tx = tx;
    return scopes.run(scope, () => fn(tx));
  });
  for (const cb of scope.afterCommit) cb();
  return result;
}

/**
 * Runs `fn` holding the transaction-level advisory lock (`lockClass`, `key`), on one connection
 * for everything `fn` reads or writes through the stores. Released at commit or on error.
 */
export function exclusiveSection<T>(db: Db, lockClass: number, key: number, fn: () => Promise<T>): Promise<T> {
  return scopedTransaction(db, async (tx) => {
    await tx.execute(dsql`select pg_advisory_xact_lock(${lockClass}, ${key})`);
    return fn();
  });
}
