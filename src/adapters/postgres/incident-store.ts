import { asc, eq, sql as dsql } from 'drizzle-orm';
import type { Incident, RoleHolder } from '../../domain/incident.js';
import type { AuditEntry, AuditView, Clock, IncidentStore, IncidentTx, NewIncident, WarRoomState, WorkItem } from '../../app/ports.js';
import type { Db } from './database.js';
import { appendAudit } from './audit-log.js';
import { auditEvents, incidents } from './schema.js';
import { enqueueWork, withOutbox, type Enqueued, type OnCommitted, type Tx } from './outbox.js';

export type { OnCommitted } from './outbox.js';

type Row = typeof incidents.$inferSelect;

function toIncident(r: Row): Incident {
  const roles: Record<string, RoleHolder> = {};
  for (const [role, h] of Object.entries(r.roles as Record<string, { userId: string; assignedBy: string; assignedAt: string }>)) {
    roles[role] = { userId: h.userId, assignedBy: h.assignedBy, assignedAt: new Date(h.assignedAt) };
  }
  return {
    id: r.id,
    title: r.title,
    severity: r.severity,
    status: r.status === 'resolved' ? 'resolved' : 'open',
    customerImpact: r.customerImpact,
    service: r.service,
    isPrivate: r.isPrivate,
    declaredBy: r.declaredBy,
    declaredAt: r.declaredAt,
    channelId: r.channelId,
    channelName: r.channelName,
    roles,
    lastStatus: r.lastStatus,
    resolvedAt: r.resolvedAt,
    resolvedBy: r.resolvedBy,
    resolution: r.resolution,
    version: r.version,
  };
}

function toWarRoom(r: Row): WarRoomState {
  return {
    originChannel: r.originChannel,
    channelName: r.channelName,
    channelId: r.channelId,
    topicSet: r.topicSet,
    invited: r.invited,
    headerTs: r.headerTs,
    pinned: r.pinned,
    announceChannelId: r.announceChannelId,
    announceTs: r.announceTs,
    readyAt: r.readyAt,
    failedAt: r.failedAt,
    renderedVersion: r.renderedVersion,
  };
}

export class PostgresIncidentStore implements IncidentStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly onCommitted: OnCommitted,
  ) {}

  async transaction<T>(fn: (tx: IncidentTx) => Promise<T>): Promise<T> {
    return withOutbox(this.db, this.onCommitted, (tx, enqueued) => fn(this.txApi(tx, enqueued)));
  }

  private txApi(tx: Tx, enqueued: Enqueued): IncidentTx {
    const clock = this.clock;
    return {
      async insertIncident(d: NewIncident) {
        // Look first, so a retried request does not burn a sequence number (INC numbers stay gap-free in practice).
        const [seen] = await tx.select().from(incidents).where(eq(incidents.requestKey, d.requestKey));
        if (seen) return { incident: toIncident(seen), created: false };
        const [row] = await tx
          .insert(incidents)
          .values({ ...d })
          .onConflictDoNothing({ target: incidents.requestKey })
          .returning();
        if (row) return { incident: toIncident(row), created: true };
        const [other] = await tx.select().from(incidents).where(eq(incidents.requestKey, d.requestKey));
        return { incident: toIncident(other!), created: false };
      },
      async lockIncident(id: number) {
        const [row] = await tx.select().from(incidents).where(eq(incidents.id, id)).for('update');
        return row ? toIncident(row) : null;
      },
      async lockIncidentByChannel(channelId: string) {
        const [row] = await tx.select().from(incidents).where(eq(incidents.channelId, channelId)).for('update');
        return row ? toIncident(row) : null;
      },
      async saveIncident(i: Incident) {
        const roles = Object.fromEntries(Object.entries(i.roles).map(([k, h]) => [k, { ...h, assignedAt: h.assignedAt.toISOString() }]));
        await tx
          .update(incidents)
          .set({
            title: i.title,
            severity: i.severity,
            status: i.status,
            roles,
            lastStatus: i.lastStatus,
            resolvedAt: i.resolvedAt,
            resolvedBy: i.resolvedBy,
            resolution: i.resolution,
            version: i.version,
          })
          .where(eq(incidents.id, i.id));
      },
      audit(entry: AuditEntry) {
        return appendAudit(tx, entry, clock.now());
      },
      enqueue: (item: WorkItem) => enqueueWork(tx, item, enqueued),
    };
  }

  async get(id: number) {
    const [row] = await this.db.select().from(incidents).where(eq(incidents.id, id));
    return row ? toIncident(row) : null;
  }

  async findByChannel(channelId: string) {
    const [row] = await this.db.select().from(incidents).where(eq(incidents.channelId, channelId));
    return row ? toIncident(row) : null;
  }

  async warRoom(id: number) {
    const [row] = await this.db.select().from(incidents).where(eq(incidents.id, id));
    return row ? toWarRoom(row) : null;
  }

  async recordWarRoom(id: number, patch: Partial<WarRoomState>, audit?: AuditEntry) {
    const { originChannel: _ignored, ...rest } = patch;
    await this.db.transaction(async (tx) => {
      if (Object.keys(rest).length) await tx.update(incidents).set(rest).where(eq(incidents.id, id));
      if (audit) await appendAudit(tx, audit, this.clock.now());
    });
  }

  async timeline(incidentId: number): Promise<AuditView[]> {
    const rows = await this.db.select().from(auditEvents).where(eq(auditEvents.incidentId, incidentId)).orderBy(asc(auditEvents.seq));
    return rows.map((r) => ({
      seq: r.seq,
      occurredAt: r.occurredAt,
      actor: r.actor,
      action: r.action,
      incidentId: r.incidentId,
      subject: r.subject,
      data: (r.data ?? {}) as Record<string, unknown>,
    }));
  }

  async exclusive<T>(incidentId: number, fn: () => Promise<T>): Promise<T> {
    // Class 2 of the two-key advisory locks is "incident view"; released at commit or on error.
    return this.db.transaction(async (tx) => {
      await tx.execute(dsql`select pg_advisory_xact_lock(2, ${incidentId})`);
      return fn();
    });
  }

  async audit(entry: AuditEntry) {
    await this.db.transaction((tx) => appendAudit(tx, entry, this.clock.now()).then(() => undefined));
  }
}

