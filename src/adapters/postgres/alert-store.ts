import { and, asc, eq, gte, inArray, isNotNull, isNull, sql as dsql } from 'drizzle-orm';
import type { AlertRow, AlertStore, AlertTx, NewAlertRecord, TriageRow, TriageStatus, TriageTouch } from '../../app/ports/alert-store.js';
import type { AlertCounts } from '../../app/ports/chat.js';
import type { Clock } from '../../app/ports/clock.js';
import type { WorkItem } from '../../app/jobs/catalog.js';
import type { AuditEntry } from '../../app/ports/audit.js';
import { Deferral } from '../../domain/errors.js';
import type { Db } from './database.js';
import { appendAudit } from './audit-log.js';
import { enqueueWork, withOutbox, type OnCommitted } from './outbox.js';
import { scoped, scopedTransaction } from './scoped-db.js';
import { alerts, alertTriage, incidents } from './schema.js';

/** Advisory lock class 4 (2 is the incident view, 3 a deploy request): an alert group (key: hashtext of the group key). */
const GROUP_LOCK = 4;
/** Alerts listed on a triage post. */
const TRIAGE_RECENT = 10;
/** A static_select holds at most 100 options. */
const TRIAGE_ATTACH_OPTIONS = 100;
/** Advisory lock class 5: an incident's alert posts (shared by batches, exclusive for a claim). */
const POST_LOCK = 5;

/** Changes only when a post claims alerts: batches in between share one post. */
async function postKey(q: Db, incidentId: number): Promise<string> {
  const [row] = await q.select({ n: dsql<number>`count(*)::int` }).from(alerts).where(and(eq(alerts.incidentId, incidentId), isNotNull(alerts.postedAt)));
  return `alerts-post-${incidentId}-${row?.n ?? 0}`;
}

function toRow(r: typeof alerts.$inferSelect): AlertRow {
  return {
    id: r.id,
    source: r.source,
    dedupKey: r.dedupKey,
    status: r.status === 'resolved' ? 'resolved' : 'firing',
    title: r.title,
    severity: r.severity,
    service: r.service,
    link: r.link,
    labels: r.labels as Record<string, string>,
    receivedAt: r.receivedAt,
    groupKey: r.groupKey,
  };
}

/** Of the group's alerts in the incident, how many still fire (the latest record of each) and how many in all. */
async function groupState(q: Db, incidentId: number, groupKey: string): Promise<{ firing: number; total: number }> {
  const rows = await q.execute<{ firing: number; total: number }>(dsql`
    select count(*) filter (where status = 'firing')::int as firing, count(*)::int as total from (
      select distinct on (source, dedup_key) status from alerts
      where incident_id = ${incidentId} and group_key = ${groupKey}
      order by source, dedup_key, id desc
    ) latest`);
  const r = (rows as unknown as Array<{ firing: number; total: number }>)[0];
  return { firing: r?.firing ?? 0, total: r?.total ?? 0 };
}

/** Firing / resolved among the incident's alerts, by the latest record of each (source, dedup key). */
export async function alertCounts(q: Db, incidentId: number): Promise<AlertCounts> {
  const rows = await q.execute<{ firing: number; resolved: number }>(dsql`
    select count(*) filter (where status = 'firing')::int as firing, count(*) filter (where status = 'resolved')::int as resolved from (
      select distinct on (source, dedup_key) status from alerts where incident_id = ${incidentId} order by source, dedup_key, id desc
    ) latest`);
  const r = (rows as unknown as Array<{ firing: number; resolved: number }>)[0];
  return { firing: r?.firing ?? 0, resolved: r?.resolved ?? 0 };
}

function toTriage(r: typeof alertTriage.$inferSelect): TriageRow {
  return {
    id: r.id,
    groupKey: r.groupKey,
    route: r.route,
    channel: r.channel,
    channelId: r.channelId,
    ts: r.ts,
    title: r.title,
    severity: r.severity,
    service: r.service,
    status: r.status as TriageStatus,
    incidentId: r.incidentId,
    decidedBy: r.decidedBy,
    decidedAt: r.decidedAt,
    createdAt: r.createdAt,
    lastAlertAt: r.lastAlertAt,
  };
}

/** The render that will show a change: one pending per post, a new one once a render has claimed the post. */
const touched = (r: { id: number; status: string; renderedVersion: number }): TriageTouch => ({
  id: r.id,
  status: r.status as TriageStatus,
  renderKey: `triage-render-${r.id}-${r.renderedVersion}`,
});
const touchCols = { id: alertTriage.id, status: alertTriage.status, renderedVersion: alertTriage.renderedVersion };

export class PostgresAlertStore implements AlertStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly onCommitted: OnCommitted,
  ) {}

  transaction<T>(fn: (tx: AlertTx) => Promise<T>): Promise<T> {
    const clock = this.clock;
    return withOutbox(this.db, this.onCommitted, (tx, enqueued) =>
      fn({
        async lockGroups(keys) {
          for (const k of [...keys].sort()) await tx.execute(dsql`select pg_advisory_xact_lock(${GROUP_LOCK}, hashtext(${k}))`);
        },
        async insert({ alert: a, receivedAt, route, groupKey }: NewAlertRecord) {
          const [row] = await tx
            .insert(alerts)
            .values({
              source: a.source,
              dedupKey: a.dedupKey,
              occurrence: a.occurrence,
              status: a.status,
              title: a.title,
              severity: a.severity,
              service: a.service,
              labels: a.labels,
              link: a.link,
              startsAt: a.startsAt,
              endsAt: a.endsAt,
              raw: a.raw ?? {},
              receivedAt,
              route,
              action: 'pending',
              groupKey,
            })
            .onConflictDoNothing()
            .returning({ id: alerts.id });
          return row?.id ?? null;
        },
        async postKeyFor(incidentId) {
          await tx.execute(dsql`select pg_advisory_xact_lock_shared(${POST_LOCK}, ${incidentId})`);
          return postKey(tx as unknown as Db, incidentId);
        },
        async settle(id, action, incidentId, triageId = null) {
          await tx.update(alerts).set({ action, incidentId, triageId }).where(eq(alerts.id, id));
        },
        async joinTriage(groupKey, since, at) {
          const latest = tx
            .select({ id: alertTriage.id })
            .from(alertTriage)
            .where(and(eq(alertTriage.groupKey, groupKey), inArray(alertTriage.status, ['open', 'dismissed']), gte(alertTriage.lastAlertAt, since)))
            .orderBy(dsql`${alertTriage.id} desc`)
            .limit(1);
          const [row] = await tx
            .update(alertTriage)
            .set({ version: dsql`${alertTriage.version} + 1`, lastAlertAt: at })
            .where(eq(alertTriage.id, latest))
            .returning(touchCols);
          return row ? touched(row) : null;
        },
        async openTriage(t) {
          const [row] = await tx
            .insert(alertTriage)
            .values({ groupKey: t.groupKey, route: t.route, channel: t.channel, title: t.title, severity: t.severity, service: t.service, createdAt: t.at, lastAlertAt: t.at })
            .returning(touchCols);
          return touched(row!);
        },
        async touchTriage(id) {
          const [row] = await tx.update(alertTriage).set({ version: dsql`${alertTriage.version} + 1` }).where(eq(alertTriage.id, id)).returning(touchCols);
          return touched(row!);
        },
        async lockTriage(id) {
          const [row] = await tx.select().from(alertTriage).where(eq(alertTriage.id, id)).for('update');
          return row ? toTriage(row) : null;
        },
        async decideTriage(id, d) {
          const [row] = await tx
            .update(alertTriage)
            .set({ status: d.status, incidentId: d.incidentId, decidedBy: d.decidedBy, decidedAt: d.at, version: dsql`${alertTriage.version} + 1` })
            .where(eq(alertTriage.id, id))
            .returning(touchCols);
          if (d.incidentId !== null) await tx.update(alerts).set({ incidentId: d.incidentId }).where(and(eq(alerts.triageId, id), isNull(alerts.incidentId)));
          return touched(row!);
        },
        async openGroupIncident(groupKey, since) {
          const [row] = await tx
            .select({ id: alerts.incidentId })
            .from(alerts)
            .innerJoin(incidents, eq(incidents.id, alerts.incidentId))
            .where(and(eq(alerts.groupKey, groupKey), gte(alerts.receivedAt, since), eq(incidents.status, 'open')))
            .orderBy(dsql`${alerts.receivedAt} desc`)
            .limit(1);
          return row?.id ?? null;
        },
        async openIncidentOfService(service) {
          const [row] = await tx
            .select({ id: incidents.id })
            .from(incidents)
            .where(and(eq(incidents.service, service), eq(incidents.status, 'open')))
            .orderBy(dsql`${incidents.declaredAt} desc`)
            .limit(1);
          return row?.id ?? null;
        },
        async firingRecord(source, dedupKey, occurrence) {
          const [row] = await tx
            .select({ incidentId: alerts.incidentId, triageId: alerts.triageId, groupKey: alerts.groupKey, route: alerts.route })
            .from(alerts)
            .where(
              and(
                eq(alerts.source, source),
                eq(alerts.dedupKey, dedupKey),
                eq(alerts.status, 'firing'),
                dsql`(${alerts.occurrence} = ${occurrence} or starts_with(${alerts.occurrence}, ${`${occurrence}/`}))`,
              ),
            )
            .orderBy(dsql`${alerts.incidentId} is null`, dsql`${alerts.id} desc`)
            .limit(1);
          return row ?? null;
        },
        groupState: (incidentId, groupKey) => groupState(tx as unknown as Db, incidentId, groupKey),
        audit: (entry: AuditEntry) => appendAudit(tx, entry, clock.now()),
        enqueue: (item: WorkItem) => enqueueWork(tx, item, enqueued),
      }),
    );
  }

  async claimForPost(incidentId: number, key: string, at: Date, limit: number) {
    return scopedTransaction(this.db, async (tx) => {
      const mine = () => tx.select().from(alerts).where(eq(alerts.postKey, key)).orderBy(asc(alerts.id));
      const earlier = await mine();
      if (earlier.length) return earlier.map(toRow); // a retry lists what the first attempt claimed
      // Batches of this incident still being written hold the lock shared: come back when they
      // have committed. Never wait in the lock's queue: a waiting exclusive lock would hold up the
      // next batch's shared one, which may hold the audit lock another batch waits for.
      const [got] = await tx.execute<{ ok: boolean }>(dsql`select pg_try_advisory_xact_lock(${POST_LOCK}, ${incidentId}) as ok`);
      if (!(got as { ok: boolean } | undefined)?.ok) throw new Deferral(`alerts of INC-${incidentId} still being recorded`, 200);
      const ids = tx
        .select({ id: alerts.id })
        .from(alerts)
        .where(and(eq(alerts.incidentId, incidentId), isNull(alerts.postedAt)))
        .orderBy(asc(alerts.id))
        .limit(limit);
      await tx.update(alerts).set({ postedAt: at, postKey: key }).where(inArray(alerts.id, ids));
      return (await mine()).map(toRow);
    });
  }

  nextPostKey(incidentId: number) {
    return postKey(scoped(this.db), incidentId);
  }

  groupState(incidentId: number, groupKey: string) {
    return groupState(scoped(this.db), incidentId, groupKey);
  }

  async lastPostAt(incidentId: number) {
    const [row] = await scoped(this.db).select({ at: dsql<Date | null>`max(${alerts.postedAt})`.mapWith(alerts.postedAt) }).from(alerts).where(eq(alerts.incidentId, incidentId));
    return row?.at ?? null;
  }

  counts(incidentId: number) {
    return alertCounts(scoped(this.db), incidentId);
  }

  async claimTriageRender(id: number) {
    return scopedTransaction(this.db, async (tx) => {
      // The row lock: a batch still joining this post commits first, so the render shows it.
      const [row] = await tx.update(alertTriage).set({ renderedVersion: dsql`${alertTriage.version}` }).where(eq(alertTriage.id, id)).returning();
      if (!row) return null;
      const [c] = (await tx.execute<{ firing: number; resolved: number; total: number }>(dsql`
        select count(*) filter (where status = 'firing')::int as firing, count(*) filter (where status = 'resolved')::int as resolved,
               (select count(*)::int from alerts where triage_id = ${id}) as total
        from (select distinct on (source, dedup_key) status from alerts where triage_id = ${id} order by source, dedup_key, id desc) latest`)) as unknown as Array<{ firing: number; resolved: number; total: number }>;
      const recent = await tx.select().from(alerts).where(eq(alerts.triageId, id)).orderBy(dsql`${alerts.id} desc`).limit(TRIAGE_RECENT);
      const open = await tx
        .select({ id: incidents.id, title: incidents.title, severity: incidents.severity })
        .from(incidents)
        .where(eq(incidents.status, 'open'))
        .orderBy(dsql`${incidents.id} desc`)
        .limit(TRIAGE_ATTACH_OPTIONS);
      return { triage: toTriage(row), counts: { firing: c?.firing ?? 0, resolved: c?.resolved ?? 0 }, total: c?.total ?? 0, recent: recent.map(toRow), openIncidents: open };
    });
  }

  async recordTriagePost(id: number, channelId: string, ts: string) {
    await scoped(this.db).update(alertTriage).set({ channelId, ts }).where(eq(alertTriage.id, id));
  }

  async incidentOfAlert(source: string, dedupKey: string) {
    const [row] = await scoped(this.db)
      .select({ id: alerts.incidentId })
      .from(alerts)
      .where(and(eq(alerts.source, source), eq(alerts.dedupKey, dedupKey), isNotNull(alerts.incidentId)))
      .orderBy(dsql`${alerts.id} desc`)
      .limit(1);
    return row?.id ?? null;
  }

  async triage(id: number) {
    const [row] = await scoped(this.db).select().from(alertTriage).where(eq(alertTriage.id, id));
    return row ? toTriage(row) : null;
  }
}
