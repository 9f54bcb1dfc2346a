import type { WorkItem } from '../../app/jobs/catalog.js';
import type { Db } from './database.js';
import { afterCommit, scopedTransaction } from './scoped-db.js';
import { workItems } from './schema.js';

export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type Enqueued = Array<{ id: number; item: WorkItem }>;

/** Receives the work committed by a transaction, to hand it to the queue at once. */
export type OnCommitted = (items: Enqueued) => Promise<void>;

/** Writes work into the outbox inside the caller's transaction; a repeated dedupe key is a no-op. */
export async function enqueueWork(tx: Tx, item: WorkItem, into: Enqueued): Promise<void> {
  const [row] = await tx
    .insert(workItems)
    .values({ kind: item.kind, dedupeKey: item.dedupeKey, payload: item.payload })
    .onConflictDoNothing({ target: workItems.dedupeKey })
    .returning({ id: workItems.id });
  if (row) into.push({ id: row.id, item });
}

/** Runs `fn` in a transaction and hands the work it enqueued to the queue after commit. */
export async function withOutbox<T>(db: Db, onCommitted: OnCommitted, fn: (tx: Tx, enqueued: Enqueued) => Promise<T>): Promise<T> {
  const enqueued: Enqueued = [];
  // On the caller's connection when nested in another store transaction (scoped-db.ts).
  const result = await scopedTransaction(db, (tx) => fn(tx, enqueued));
  // Not awaited: the ack must not wait for Redis. The work is committed (by the outermost
  // transaction); if this hand-off is lost, the reconciler queues it from Postgres.
  if (enqueued.length) afterCommit(() => void onCommitted(enqueued));
  return result;
}
