import type { AuditEntry } from '../../app/ports/audit.js';
import { sql as dsql } from 'drizzle-orm';
import type { Db, Sql } from './database.js';
import { auditInbox } from './schema.js';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * Records one event inside the caller's transaction, in the audit inbox: no lock, so concurrent
 * changes do not wait for each other; the sealer chains it once the transaction has committed
 * (audit-sealer.ts). Returns its id, unique for ever (work-item keys are made from it).
 */
export async function appendAudit(tx: Tx | Db, entry: AuditEntry, at: Date): Promise<number> {
  const [row] = await tx
    .insert(auditInbox)
    .values({ occurredAt: at, actor: entry.actor, action: entry.action, incidentId: entry.incidentId, subject: entry.subject, data: entry.data ?? null })
    .returning({ id: auditInbox.id });
  return row!.id;
}

/**
 * The inbox's tail: how many committed events wait for the sealer and for how long the oldest
 * has, counted from its commit (nothing can be sealed earlier; rows from before migration 0012
 * have no commit time and count from their insert).
 */
export async function unsealedTail(sql: Sql): Promise<{ count: number; oldestAgeS: number }> {
  const [r] = await sql<Array<{ n: number; age: number | null }>>`select count(*)::int as n, extract(epoch from clock_timestamp() - min(coalesce(committed_at, inserted_at)))::float8 as age from audit_inbox`;
  return { count: r?.n ?? 0, oldestAgeS: Math.max(0, r?.age ?? 0) };
}

interface Waiting {
  entry: AuditEntry;
  at: Date;
  done: (err?: unknown) => void;
}

/**
 * Audit events that are a change of their own (a deploy-gate answer, a refused decision), written
 * together: one insert and one commit for every event that arrived while the previous insert was
 * running. Each caller still waits until its event is committed, so nothing is answered unaudited;
 * under load the commits (and their fsyncs) are shared, at rest each event goes at once.
 */
export class AuditBatcher {
  private waiting: Waiting[] = [];
  private inFlight = false;

  constructor(
    private readonly db: Db,
    private readonly maxBatch = 500,
  ) {}

  append(entry: AuditEntry, at: Date): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ entry, at, done: (err) => (err ? reject(err) : resolve()) });
      if (!this.inFlight) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.inFlight = true;
    while (this.waiting.length) {
      const batch = this.waiting.splice(0, this.maxBatch);
      try {
        // One parameter however many rows: the same prepared statement for every batch size.
        const rows = batch.map(({ entry, at }) => ({ occurred_at: at.toISOString(), actor: entry.actor, action: entry.action, incident_id: entry.incidentId, subject: entry.subject, data: entry.data ?? null }));
        await this.db.execute(dsql`
          insert into audit_inbox (occurred_at, actor, action, incident_id, subject, data)
          select occurred_at, actor, action, incident_id, subject, data
          from rows from (jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb) as (occurred_at timestamptz, actor text, action text, incident_id integer, subject text, data jsonb)) with ordinality as r
          order by r.ordinality`);
        for (const w of batch) w.done();
      } catch (err) {
        for (const w of batch) w.done(err);
      }
    }
    this.inFlight = false;
  }
}
