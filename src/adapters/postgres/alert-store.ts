import { and, asc, eq, gte, isNull, sql as dsql } from 'drizzle-orm';
import type { AlertRow, AlertStore, AlertTx, NewAlertRecord } from '../../app/ports/alert-store.js';
import type { Clock } from '../../app/ports/clock.js';
import type { WorkItem } from '../../app/jobs/catalog.js';
import type { AuditEntry } from '../../app/ports/audit.js';
import type { Db } from './database.js';
import { appendAudit } from './audit-log.js';
import { enqueueWork, withOutbox, type OnCommitted } from './outbox.js';
import { scoped } from './scoped-db.js';
import { alerts, incidents } from './schema.js';

/** Advisory lock class 4 (2 is the incident view, 3 a deploy request): an alert group (key: hashtext of the group key). */
const GROUP_LOCK = 4;

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
        async settle(id, action, incidentId) {
          await tx.update(alerts).set({ action, incidentId }).where(eq(alerts.id, id));
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
            .select({ incidentId: alerts.incidentId, groupKey: alerts.groupKey, route: alerts.route })
            .from(alerts)
            .where(and(eq(alerts.source, source), eq(alerts.dedupKey, dedupKey), eq(alerts.occurrence, occurrence), eq(alerts.status, 'firing')))
            .limit(1);
          return row ?? null;
        },
        groupState: (incidentId, groupKey) => groupState(tx as unknown as Db, incidentId, groupKey),
        audit: (entry: AuditEntry) => appendAudit(tx, entry, clock.now()),
        enqueue: (item: WorkItem) => enqueueWork(tx, item, enqueued),
      }),
    );
  }

  async unposted(incidentId: number, limit: number) {
    const rows = await scoped(this.db)
      .select()
      .from(alerts)
      .where(and(eq(alerts.incidentId, incidentId), isNull(alerts.postedAt)))
      .orderBy(asc(alerts.id))
      .limit(limit);
    return rows.map(toRow);
  }

  async markPosted(ids: number[], at: Date) {
    if (ids.length === 0) return;
    await scoped(this.db).update(alerts).set({ postedAt: at }).where(dsql`${alerts.id} in ${ids}`);
  }

  groupState(incidentId: number, groupKey: string) {
    return groupState(scoped(this.db), incidentId, groupKey);
  }

  async counts(incidentId: number) {
    const rows = await scoped(this.db).execute<{ firing: number; resolved: number }>(dsql`
      select count(*) filter (where status = 'firing')::int as firing, count(*) filter (where status = 'resolved')::int as resolved from (
        select distinct on (source, dedup_key) status from alerts where incident_id = ${incidentId} order by source, dedup_key, id desc
      ) latest`);
    const r = (rows as unknown as Array<{ firing: number; resolved: number }>)[0];
    return { firing: r?.firing ?? 0, resolved: r?.resolved ?? 0 };
  }
}
