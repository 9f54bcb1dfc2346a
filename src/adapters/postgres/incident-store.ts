import { and, asc, eq, isNotNull, isNull, lt, or, sql as dsql } from 'drizzle-orm';
import type { Declarer } from '../../domain/declarer.js';
import type { Incident, RoleHolder } from '../../domain/incident.js';
import type { AuditEntry, AuditView } from '../../app/ports/audit.js';
import type { Clock } from '../../app/ports/clock.js';
import type { Checklist, ChecklistItemState, IncidentStore, IncidentTx, NewIncident, StepRow, StepStatus, WarRoomState } from '../../app/ports/incident-store.js';
import type { TimerSpec, WorkItem } from '../../app/jobs/catalog.js';
import type { EscalationAction } from '../../domain/escalation.js';
import type { Db } from './database.js';
import { alertCounts } from './alert-store.js';
import { appendAudit } from './audit-log.js';
import { afterCommit, exclusiveSection, scoped } from './scoped-db.js';
import { deliveries, escalationSteps, incidents, pagerdutyWebhooks, regulatoryChecklists } from './schema.js';
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
    declarer: toDeclarer(r),
    declaredAt: r.declaredAt,
    channelId: r.channelId,
    channelName: r.channelName,
    roles,
    lastStatus: r.lastStatus,
    resolvedAt: r.resolvedAt,
    resolvedBy: r.resolvedBy,
    resolution: r.resolution,
    version: r.version,
    acknowledgedAt: r.acknowledgedAt,
    acknowledgedBy: r.acknowledgedBy,
    responseMs: r.responseMs,
    generation: r.escGeneration,
    clockStart: r.clockStart,
    clockDeferredFrom: r.clockDeferredFrom,
    pagedServices: r.pagedServices as string[],
    lastStatusAt: r.lastStatusAt,
    statusSeq: r.statusSeq,
    nextNudgeAt: r.nextNudgeAt,
  };
}

function toDeclarer(r: Pick<Row, 'declaredBy' | 'declarerKind' | 'declarerName'> & { declarerLink?: string | null }): Declarer {
  if (r.declarerKind !== 'integration') return { kind: 'user', userId: r.declaredBy };
  return { kind: 'integration', source: r.declaredBy, name: r.declarerName ?? r.declaredBy, ...(r.declarerLink ? { link: r.declarerLink } : {}) };
}

/** declared_by holds the user id or the integration's source; the kind and name say which. */
function declarerColumns(d: Declarer): { declaredBy: string; declarerKind: Declarer['kind']; declarerName: string | null; declarerLink: string | null } {
  return d.kind === 'user'
    ? { declaredBy: d.userId, declarerKind: 'user', declarerName: null, declarerLink: null }
    : { declaredBy: d.source, declarerKind: 'integration', declarerName: d.name, declarerLink: d.link ?? null };
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

type StepDbRow = typeof escalationSteps.$inferSelect;

function toStep(r: StepDbRow): StepRow {
  return {
    id: r.id,
    incidentId: r.incidentId,
    generation: r.generation,
    stepIndex: r.stepIndex,
    severity: r.severity,
    dueAt: r.dueAt,
    always: r.always,
    actions: r.actions as EscalationAction[],
    status: r.status as StepStatus,
    claimedAt: r.claimedAt,
    firedAt: r.firedAt,
    latenessMs: r.latenessMs,
  };
}

function toChecklist(r: typeof regulatoryChecklists.$inferSelect): Checklist {
  return { incidentId: r.incidentId, dueAt: r.dueAt, items: r.items as ChecklistItemState[], channelId: r.channelId, ts: r.ts, remindedAt: r.remindedAt, completedAt: r.completedAt };
}

export type OnTimers = (timers: TimerSpec[]) => Promise<void>;

export class PostgresIncidentStore implements IncidentStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly onCommitted: OnCommitted,
    private readonly onTimers: OnTimers = async () => undefined,
  ) {}

  /** The running store transaction's connection when inside one (scoped-db.ts), else the pool. */
  private get q(): Db {
    return scoped(this.db);
  }

  async transaction<T>(fn: (tx: IncidentTx) => Promise<T>): Promise<T> {
    const timers: TimerSpec[] = [];
    const result = await withOutbox(this.db, this.onCommitted, (tx, enqueued) => fn(this.txApi(tx, enqueued, timers)));
    if (timers.length) afterCommit(() => void this.onTimers(timers)); // as with work: the reconciler covers a lost wake-up
    return result;
  }

  private txApi(tx: Tx, enqueued: Enqueued, timers: TimerSpec[]): IncidentTx {
    const clock = this.clock;
    return {
      async insertSteps(incidentId, generation, severity, steps) {
        if (steps.length === 0) return [];
        const rows = await tx
          .insert(escalationSteps)
          .values(steps.map((s) => ({ incidentId, generation, severity, stepIndex: s.index, dueAt: s.dueAt, always: s.always, actions: s.actions })))
          .onConflictDoNothing()
          .returning();
        return rows.map(toStep);
      },
      async cancelStaleSteps(incidentId, currentGeneration) {
        const rows = await tx
          .update(escalationSteps)
          .set({ status: 'cancelled', doneAt: clock.now() })
          .where(and(eq(escalationSteps.incidentId, incidentId), eq(escalationSteps.status, 'pending'), lt(escalationSteps.generation, currentGeneration)))
          .returning();
        return rows.map(toStep);
      },
      async lockStep(stepId) {
        const [row] = await tx.select().from(escalationSteps).where(eq(escalationSteps.id, stepId)).for('update');
        return row ? toStep(row) : null;
      },
      async updateStep(stepId, patch) {
        await tx.update(escalationSteps).set(patch).where(eq(escalationSteps.id, stepId));
      },
      wake(timer) {
        timers.push(timer);
      },
      async insertChecklist(c) {
        const rows = await tx.insert(regulatoryChecklists).values({ incidentId: c.incidentId, dueAt: c.dueAt, items: c.items }).onConflictDoNothing().returning();
        return rows.length > 0;
      },
      async lockChecklist(incidentId) {
        const [row] = await tx.select().from(regulatoryChecklists).where(eq(regulatoryChecklists.incidentId, incidentId)).for('update');
        return row ? toChecklist(row) : null;
      },
      async saveChecklist(c) {
        await tx.update(regulatoryChecklists).set({ items: c.items, remindedAt: c.remindedAt, completedAt: c.completedAt }).where(eq(regulatoryChecklists.incidentId, c.incidentId));
      },
      async insertIncident({ declarer, ...d }: NewIncident) {
        // Look first, so a retried request does not burn a sequence number (INC numbers stay gap-free in practice).
        const [seen] = await tx.select().from(incidents).where(eq(incidents.requestKey, d.requestKey));
        if (seen) return { incident: toIncident(seen), created: false };
        const [row] = await tx
          .insert(incidents)
          .values({ ...d, ...declarerColumns(declarer) })
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
            acknowledgedAt: i.acknowledgedAt,
            acknowledgedBy: i.acknowledgedBy,
            responseMs: i.responseMs,
            escGeneration: i.generation,
            clockStart: i.clockStart,
            clockDeferredFrom: i.clockDeferredFrom,
            pagedServices: i.pagedServices,
            lastStatusAt: i.lastStatusAt,
            statusSeq: i.statusSeq,
            nextNudgeAt: i.nextNudgeAt,
          })
          .where(eq(incidents.id, i.id));
      },
      audit(entry: AuditEntry) {
        return appendAudit(tx, entry, clock.now());
      },
      enqueue: (item: WorkItem) => enqueueWork(tx, item, enqueued),
      async recordPagerDutyWebhook(r) {
        const rows = await tx
          .insert(pagerdutyWebhooks)
          .values({ ...r, payload: r.payload as object })
          .onConflictDoNothing({ target: pagerdutyWebhooks.webhookId })
          .returning({ id: pagerdutyWebhooks.id });
        return rows.length > 0;
      },
      async setPagerDutyWebhookOutcome(webhookId, outcome) {
        await tx.update(pagerdutyWebhooks).set({ outcome }).where(eq(pagerdutyWebhooks.webhookId, webhookId));
      },
    };
  }

  async get(id: number) {
    const [row] = await this.q.select().from(incidents).where(eq(incidents.id, id));
    return row ? toIncident(row) : null;
  }

  async findByChannel(channelId: string) {
    const [row] = await this.q.select().from(incidents).where(eq(incidents.channelId, channelId));
    return row ? toIncident(row) : null;
  }

  async warRoom(id: number) {
    const [row] = await this.q.select().from(incidents).where(eq(incidents.id, id));
    return row ? toWarRoom(row) : null;
  }

  alertCounts(id: number) {
    return alertCounts(this.q, id);
  }

  async snapshot(id: number) {
    // One statement instead of three: the row gives both the incident and its room.
    const [r] = await this.q
      .select({
        row: incidents,
        firing: dsql<number>`(select count(*) filter (where l.status = 'firing') from (select distinct on (source, dedup_key) status from alerts where incident_id = ${id} order by source, dedup_key, id desc) l)`.mapWith(Number),
        resolved: dsql<number>`(select count(*) filter (where l.status = 'resolved') from (select distinct on (source, dedup_key) status from alerts where incident_id = ${id} order by source, dedup_key, id desc) l)`.mapWith(Number),
      })
      .from(incidents)
      .where(eq(incidents.id, id));
    return r ? { incident: toIncident(r.row), state: toWarRoom(r.row), alerts: { firing: r.firing, resolved: r.resolved } } : null;
  }

  async channelCreated(id: number, channelId: string, channelName: string, next: WorkItem) {
    await withOutbox(this.db, this.onCommitted, async (tx, enqueued) => {
      await tx.update(incidents).set({ channelId, channelName }).where(eq(incidents.id, id));
      await enqueueWork(tx, next, enqueued);
    });
  }

  async waitingForChannel() {
    const rows = await this.q
      .select({ id: incidents.id, declaredBy: incidents.declaredBy, declarerKind: incidents.declarerKind, declarerName: incidents.declarerName, declarerLink: incidents.declarerLink })
      .from(incidents)
      .where(and(isNull(incidents.channelId), isNull(incidents.failedAt), eq(incidents.status, 'open')))
      .orderBy(asc(incidents.id))
      .limit(1000);
    return rows.map((r) => ({ id: r.id, declarer: toDeclarer(r) }));
  }

  async enqueue(item: WorkItem) {
    await withOutbox(this.db, this.onCommitted, (tx, enqueued) => enqueueWork(tx, item, enqueued));
  }

  async recordWarRoom(id: number, patch: Partial<WarRoomState>, audit?: AuditEntry) {
    const { originChannel: _ignored, ...rest } = patch;
    const changes = Object.keys(rest).length > 0;
    // A lone update is atomic by itself: no BEGIN/COMMIT round trips for each setup step.
    if (!audit) {
      if (changes) await this.q.update(incidents).set(rest).where(eq(incidents.id, id));
      return;
    }
    await this.q.transaction(async (tx) => {
      if (changes) await tx.update(incidents).set(rest).where(eq(incidents.id, id));
      await appendAudit(tx, audit, this.clock.now());
    });
  }

  async timeline(incidentId: number): Promise<AuditView[]> {
    // One statement, one snapshot: an event being sealed meanwhile is read on one side only.
    // The chained events in chain order, then those still in the inbox in the order they will take.
    const rows = (await this.q.execute(dsql`
      select * from (
        select seq, null::bigint as ord, null::bigint as id, occurred_at, actor, action, incident_id, subject, data from audit_events where incident_id = ${incidentId}
        union all
        select null, ord, id, occurred_at, actor, action, incident_id, subject, data from audit_inbox where incident_id = ${incidentId}
      ) t order by seq nulls last, ord, id`)) as unknown as Array<{ seq: string | null; occurred_at: string | Date; actor: string; action: string; incident_id: number | null; subject: string; data: unknown }>;
    return rows.map((r) => ({
      seq: r.seq === null ? null : Number(r.seq),
      occurredAt: new Date(r.occurred_at),
      actor: r.actor,
      action: r.action,
      incidentId: r.incident_id,
      subject: r.subject,
      data: (r.data ?? {}) as Record<string, unknown>,
    }));
  }

  async step(stepId: number) {
    const [row] = await this.q.select().from(escalationSteps).where(eq(escalationSteps.id, stepId));
    return row ? toStep(row) : null;
  }

  async delivered(stepId: number, channel: string, recipient: string) {
    const [row] = await this.q.select({ id: deliveries.id }).from(deliveries).where(and(eq(deliveries.stepId, stepId), eq(deliveries.channel, channel), eq(deliveries.recipient, recipient)));
    return Boolean(row);
  }

  async recordDelivery(stepId: number, channel: string, recipient: string, status: 'sent' | 'failed', detail?: string) {
    await this.q.insert(deliveries).values({ stepId, channel, recipient, status, detail: detail ?? null }).onConflictDoNothing();
  }

  async stepsToWake(staleClaimBefore: Date) {
    const rows = await this.q
      .select({ step: escalationSteps })
      .from(escalationSteps)
      .innerJoin(incidents, eq(incidents.id, escalationSteps.incidentId))
      .where(
        and(
          eq(incidents.status, 'open'),
          eq(escalationSteps.generation, incidents.escGeneration),
          or(eq(escalationSteps.status, 'pending'), and(eq(escalationSteps.status, 'claimed'), lt(escalationSteps.claimedAt, staleClaimBefore))),
        ),
      )
      .limit(5000);
    return rows.map((r) => toStep(r.step));
  }

  async nudgesToWake() {
    const rows = await this.q
      .select({ id: incidents.id, seq: incidents.statusSeq, at: incidents.nextNudgeAt })
      .from(incidents)
      .where(and(eq(incidents.status, 'open'), isNotNull(incidents.nextNudgeAt)));
    return rows.map((r) => ({ incidentId: r.id, seq: r.seq, at: r.at! }));
  }

  async checklistsToWake() {
    const rows = await this.q
      .select({ id: regulatoryChecklists.incidentId, due: regulatoryChecklists.dueAt })
      .from(regulatoryChecklists)
      .where(and(isNull(regulatoryChecklists.completedAt), isNull(regulatoryChecklists.remindedAt)));
    return rows.map((r) => ({ incidentId: r.id, at: r.due }));
  }

  async checklist(incidentId: number) {
    const [row] = await this.q.select().from(regulatoryChecklists).where(eq(regulatoryChecklists.incidentId, incidentId));
    return row ? toChecklist(row) : null;
  }

  async recordChecklistCard(incidentId: number, channelId: string, ts: string) {
    await this.q.update(regulatoryChecklists).set({ channelId, ts }).where(eq(regulatoryChecklists.incidentId, incidentId));
  }

  async exclusive<T>(incidentId: number, fn: () => Promise<T>): Promise<T> {
    // Class 2 of the two-key advisory locks is "incident view"; released at commit or on error.
    // Everything fn reads and writes through the stores uses this same connection.
    return exclusiveSection(this.db, 2, incidentId, fn);
  }

  async audit(entry: AuditEntry) {
    await this.q.transaction((tx) => appendAudit(tx, entry, this.clock.now()).then(() => undefined));
  }
}

