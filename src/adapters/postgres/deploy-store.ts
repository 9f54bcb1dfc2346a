import { and, eq, inArray, sql as dsql } from 'drizzle-orm';
import type { Capacity, DeployType, Freeze, Grant } from '../../domain/deploy-rules.js';
import type { AuditEntry } from '../../app/ports/audit.js';
import type { Clock } from '../../app/ports/clock.js';
import type { DeployRequest, DeployStore, DeployTx, NewDeployRequest } from '../../app/ports/deploy-store.js';
import type { WorkItem } from '../../app/jobs/catalog.js';
import type { Db } from './database.js';
import { appendAudit, AuditBatcher } from './audit-log.js';
import { exclusiveSection, inTransaction, scoped } from './scoped-db.js';
import { enqueueWork, withOutbox, type OnCommitted } from './outbox.js';
import { deployRequests, incidents } from './schema.js';

type Row = typeof deployRequests.$inferSelect;

function toRequest(r: Row): DeployRequest {
  return {
    id: r.id,
    type: r.type as DeployType,
    service: r.service,
    summary: r.summary,
    requestedBy: r.requestedBy,
    requestedAt: r.requestedAt,
    forAt: r.forAt,
    session: r.session,
    risk: r.risk,
    windowName: r.windowName,
    windowEnds: r.windowEnds,
    capacities: r.capacities as Capacity[],
    grants: r.grants as DeployRequest['grants'],
    freezeIncidentId: r.freezeIncidentId,
    status: r.status as DeployRequest['status'],
    decidedBy: r.decidedBy,
    decidedAt: r.decidedAt,
    validFrom: r.validFrom,
    expiresAt: r.expiresAt,
    cardChannelId: r.cardChannelId,
    cardTs: r.cardTs,
  };
}

export class PostgresDeployStore implements DeployStore {
  private readonly batcher: AuditBatcher;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly onCommitted: OnCommitted,
  ) {
    this.batcher = new AuditBatcher(db);
  }

  /** The running store transaction's connection when inside one (scoped-db.ts), else the pool. */
  private get q(): Db {
    return scoped(this.db);
  }

  async transaction<T>(fn: (tx: DeployTx) => Promise<T>): Promise<T> {
    const clock = this.clock;
    return withOutbox(this.db, this.onCommitted, (tx, enqueued) =>
      fn({
        async insertRequest(r: NewDeployRequest) {
          const [row] = await tx.insert(deployRequests).values({ ...r, capacities: r.capacities }).returning();
          return toRequest(row!);
        },
        async lockRequest(id: number) {
          const [row] = await tx.select().from(deployRequests).where(eq(deployRequests.id, id)).for('update');
          return row ? toRequest(row) : null;
        },
        async saveRequest(r: DeployRequest) {
          await tx
            .update(deployRequests)
            .set({ status: r.status, grants: r.grants, decidedBy: r.decidedBy, decidedAt: r.decidedAt, validFrom: r.validFrom, expiresAt: r.expiresAt })
            .where(eq(deployRequests.id, r.id));
        },
        audit: (entry: AuditEntry) => appendAudit(tx, entry, clock.now()),
        enqueue: (item: WorkItem) => enqueueWork(tx, item, enqueued),
      }),
    );
  }

  async freezes(severities: string[]): Promise<Freeze[]> {
    if (severities.length === 0) return [];
    const rows = await this.q
      .select({ id: incidents.id, severity: incidents.severity, channelId: incidents.channelId, roles: incidents.roles })
      .from(incidents)
      .where(and(eq(incidents.status, 'open'), inArray(incidents.severity, severities)))
      .orderBy(incidents.severity, incidents.id);
    return rows.map((r) => ({
      incidentId: r.id,
      severity: r.severity,
      channelId: r.channelId,
      commander: (r.roles as Record<string, { userId: string }>)['incident_commander']?.userId ?? null,
    }));
  }

  async gateFacts(severities: string[], service: string, type: DeployType, at: Date): Promise<{ freezes: Freeze[]; grants: Grant[]; requestId: number | null }> {
    // One statement, one snapshot, one round trip: the freeze that decides (freezes()'s first) and the latest approval valid at `at`.
    const iso = at.toISOString();
    const rows = (await this.q.execute(dsql`
      select
        coalesce((select json_agg(json_build_object('id', f.id, 'severity', f.severity, 'channel', f.channel_id, 'ic', f.roles->'incident_commander'->>'userId'))
          from (select * from incidents i where i.status = 'open' and i.severity = any(string_to_array(${severities.join(',')}, ','))
            -- The answer names one freeze, the first in this order: a storm of open Sev1s is not read whole per answer.
            order by i.severity, i.id limit 1) f), '[]'::json) as freezes,
        (select json_build_object('id', d.id, 'grants', d.grants) from deploy_requests d
          where d.service = ${service} and d.type = ${type} and d.status = 'approved' and d.valid_from <= ${iso}::timestamptz and d.expires_at > ${iso}::timestamptz
          order by d.expires_at desc limit 1) as approved`)) as unknown as Array<{
      freezes: Array<{ id: number; severity: string; channel: string | null; ic: string | null }> | string;
      approved: { id: number; grants: Array<Grant & { at: string }> } | string | null;
    }>;
    const r = rows[0]!;
    // postgres.js parses json results; a client without that parser hands over the text.
    const freezes = typeof r.freezes === 'string' ? (JSON.parse(r.freezes) as Exclude<typeof r.freezes, string>) : r.freezes;
    const approved = typeof r.approved === 'string' ? (JSON.parse(r.approved) as Exclude<typeof r.approved, string | null>) : r.approved;
    return {
      freezes: severities.length === 0 ? [] : freezes.map((f) => ({ incidentId: f.id, severity: f.severity, channelId: f.channel, commander: f.ic })),
      grants: approved ? approved.grants.map(({ capacity, by }) => ({ capacity, by })) : [],
      requestId: approved?.id ?? null,
    };
  }

  async get(id: number) {
    const [row] = await this.q.select().from(deployRequests).where(eq(deployRequests.id, id));
    return row ? toRequest(row) : null;
  }

  async recordCard(id: number, channelId: string, ts: string) {
    await this.q.update(deployRequests).set({ cardChannelId: channelId, cardTs: ts }).where(eq(deployRequests.id, id));
  }

  async audit(entry: AuditEntry) {
    // Inside a caller's transaction it is part of that change; on its own it joins a batch.
    if (inTransaction()) await appendAudit(this.q, entry, this.clock.now());
    else await this.batcher.append(entry, this.clock.now());
  }

  async exclusive<T>(requestId: number, fn: () => Promise<T>): Promise<T> {
    // Class 3: "deploy card"; everything fn does through the stores uses this same connection.
    return exclusiveSection(this.db, 3, requestId, fn);
  }
}
