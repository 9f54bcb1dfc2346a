import { and, asc, eq, inArray, lt, notInArray, sql as dsql } from 'drizzle-orm';
import type { StoredWorkItem } from '../../app/jobs/define.js';
import type { StoredWork, WorkStore } from '../../app/ports/work-store.js';
import type { Db } from './database.js';
import { workItems } from './schema.js';

export type { StoredWork };

/** The outbox's bookkeeping: Postgres says what is still owed; Redis only wakes workers. */
export class PostgresWorkStore implements WorkStore {
  constructor(private readonly db: Db) {}

  /**
   * One statement: reads the item and counts the start, so after a crash (no error ever
   * recorded) the next start still knows it is a retry and that a Slack post may already exist.
   */
  async start(id: number): Promise<StoredWork | null> {
    const [r] = await this.db
      .update(workItems)
      .set({ attempts: dsql`${workItems.attempts} + 1`, updatedAt: new Date() })
      .where(and(eq(workItems.id, id), eq(workItems.status, 'pending')))
      .returning();
    if (!r) return null;
    return { id: r.id, item: { kind: r.kind, dedupeKey: r.dedupeKey, payload: r.payload as unknown }, status: r.status as StoredWork['status'], attempts: r.attempts };
  }

  async attempted(id: number, error: string): Promise<void> {
    await this.db.update(workItems).set({ lastError: error.slice(0, 2000), updatedAt: new Date() }).where(eq(workItems.id, id));
  }

  async finish(id: number, status: 'done' | 'failed', error?: string): Promise<void> {
    await this.db.update(workItems).set({ status, lastError: error?.slice(0, 2000) ?? null, updatedAt: new Date() }).where(and(eq(workItems.id, id), eq(workItems.status, 'pending')));
  }

  /** Pending items created before `before`: what the reconciler re-offers to the queue. */
  async pending(before: Date, filter: { kinds?: string[] | undefined; excludeKinds?: string[] | undefined } = {}, limit = 1000): Promise<Array<{ id: number; item: StoredWorkItem }>> {
    const rows = await this.db
      .select()
      .from(workItems)
      .where(
        and(
          eq(workItems.status, 'pending'),
          lt(workItems.createdAt, before),
          filter.kinds ? inArray(workItems.kind, filter.kinds) : undefined,
          filter.excludeKinds ? notInArray(workItems.kind, filter.excludeKinds) : undefined,
        ),
      )
      .orderBy(asc(workItems.id))
      .limit(limit);
    return rows.map((r) => ({ id: r.id, item: { kind: r.kind, dedupeKey: r.dedupeKey, payload: r.payload as unknown } }));
  }

  async counts(): Promise<Record<string, number>> {
    const rows = await this.db.select({ status: workItems.status, n: dsql<number>`count(*)::int` }).from(workItems).groupBy(workItems.status);
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }
}
