import { and, count, desc, eq, inArray, isNull, lte, ne, or } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { PlannedRun, RunState } from '../../domain/compliance-schedule.js';
import type { AuditEntry } from '../../app/ports/audit.js';
import type { Clock } from '../../app/ports/clock.js';
import type { ComplianceRun, ComplianceStore, ComplianceTx } from '../../app/ports/compliance-store.js';
import type { TimerSpec, WorkItem } from '../../app/jobs/catalog.js';
import type { Db } from './database.js';
import { appendAudit } from './audit-log.js';
import { afterCommit, scoped } from './scoped-db.js';
import type { OnTimers } from './incident-store.js';
import { enqueueWork, withOutbox, type OnCommitted } from './outbox.js';
import { complianceDigests, complianceRuns } from './schema.js';

type Row = typeof complianceRuns.$inferSelect;

function toRun(r: Row): ComplianceRun {
  return { ...r, status: r.status as RunState };
}

export class PostgresComplianceStore implements ComplianceStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly onCommitted: OnCommitted,
    private readonly onTimers: OnTimers,
  ) {}

  /** The running store transaction's connection when inside one (scoped-db.ts), else the pool. */
  private get q(): Db {
    return scoped(this.db);
  }

  async transaction<T>(fn: (tx: ComplianceTx) => Promise<T>): Promise<T> {
    const timers: TimerSpec[] = [];
    const clock = this.clock;
    const result = await withOutbox(this.db, this.onCommitted, (tx, enqueued) =>
      fn({
        async lockRun(id) {
          const [row] = await tx.select().from(complianceRuns).where(eq(complianceRuns.id, id)).for('update');
          return row ? toRun(row) : null;
        },
        async saveRun(r) {
          const { id: _id, taskId: _t, date: _d, ...rest } = r;
          await tx.update(complianceRuns).set(rest).where(eq(complianceRuns.id, r.id));
        },
        audit: (entry: AuditEntry) => appendAudit(tx, entry, clock.now()),
        enqueue: (item: WorkItem) => enqueueWork(tx, item, enqueued),
        wake(timer) {
          timers.push(timer);
        },
        async claimDigest(date, at) {
          const rows = await tx
            .update(complianceDigests)
            .set({ postedAt: at })
            .where(and(eq(complianceDigests.date, date), isNull(complianceDigests.postedAt)))
            .returning();
          return rows.length > 0;
        },
      }),
    );
    if (timers.length) afterCommit(() => void this.onTimers(timers));
    return result;
  }

  async materialize(runs: PlannedRun[], digests: Array<{ date: string; dueAt: Date }>): Promise<ComplianceRun[]> {
    if (digests.length) await this.q.insert(complianceDigests).values(digests).onConflictDoNothing();
    if (runs.length === 0) return [];
    const rows = await this.q.insert(complianceRuns).values(runs).onConflictDoNothing().returning();
    return rows.map(toRun);
  }

  async liveRuns() {
    const rows = await this.q.select().from(complianceRuns).where(inArray(complianceRuns.status, ['scheduled', 'open']));
    return rows.map(toRun);
  }

  async pendingDigests() {
    const rows = await this.q.select().from(complianceDigests).where(isNull(complianceDigests.postedAt));
    return rows.map((r) => ({ date: r.date, dueAt: r.dueAt }));
  }

  async get(id: number) {
    const [row] = await this.q.select().from(complianceRuns).where(eq(complianceRuns.id, id));
    return row ? toRun(row) : null;
  }

  async find(taskId: string, date: string) {
    const [row] = await this.q.select().from(complianceRuns).where(and(eq(complianceRuns.taskId, taskId), eq(complianceRuns.date, date)));
    return row ? toRun(row) : null;
  }

  async runsOn(date: string) {
    const rows = await this.q.select().from(complianceRuns).where(eq(complianceRuns.date, date)).orderBy(complianceRuns.opensAt);
    return rows.map(toRun);
  }

  /** The latest `n` runs that have begun (opened, or past their opening time), newest first: not the planned ones ahead. */
  async lastRuns(taskId: string, n: number) {
    const begun = or(lte(complianceRuns.opensAt, this.clock.now()), ne(complianceRuns.status, 'scheduled'));
    const rows = await this.q.select().from(complianceRuns).where(and(eq(complianceRuns.taskId, taskId), begun)).orderBy(desc(complianceRuns.date)).limit(n);
    return rows.map(toRun);
  }

  /** How many of today's runs (local date in `zone`, by the injected clock) are in each state: the metrics gauge. */
  async todaysRunCounts(zone: string): Promise<Array<{ status: string; n: number }>> {
    const today = DateTime.fromJSDate(this.clock.now(), { zone }).toISODate() ?? '';
    return this.q
      .select({ status: complianceRuns.status, n: count() })
      .from(complianceRuns)
      .where(eq(complianceRuns.date, today))
      .groupBy(complianceRuns.status);
  }

  async recordCard(id: number, channelId: string, ts: string) {
    await this.q.update(complianceRuns).set({ channelId, cardTs: ts }).where(eq(complianceRuns.id, id));
  }

  async audit(entry: AuditEntry) {
    await this.q.transaction((tx) => appendAudit(tx, entry, this.clock.now()).then(() => undefined));
  }
}
