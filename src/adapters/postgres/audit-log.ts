import { desc, sql as dsql } from 'drizzle-orm';
import { ChainVerifier, chain, describeFailure, type ChainedAuditRecord } from '../../domain/audit-chain.js';
import type { AuditEntry } from '../../app/ports/audit.js';
import type { Db, Sql } from './database.js';
import { auditEvents } from './schema.js';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** Writers queue on this lock, so each append sees the real chain head. Held until commit. */
const CHAIN_HEAD_LOCK = 7_461_007_002;

/** Appends one event to the chain inside the caller's transaction; returns its sequence number. */
export async function appendAudit(tx: Tx | Db, entry: AuditEntry, at: Date): Promise<number> {
  // Two statements on purpose: under READ COMMITTED a statement reads from the snapshot taken when
  // it starts, so the head must be read by a statement that begins after the lock is held.
  await tx.execute(dsql`select pg_advisory_xact_lock(${CHAIN_HEAD_LOCK})`);
  const [head] = await tx.select({ seq: auditEvents.seq, hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
  const record = chain(
    { seq: (head?.seq ?? 0) + 1, occurredAt: at, actor: entry.actor, action: entry.action, incidentId: entry.incidentId, subject: entry.subject, data: entry.data ?? null },
    head?.hash ?? '0'.repeat(64),
  );
  await tx.insert(auditEvents).values({
    seq: record.seq,
    occurredAt: record.occurredAt,
    actor: record.actor,
    action: record.action,
    incidentId: record.incidentId,
    subject: record.subject,
    data: record.data,
    prevHash: record.prevHash,
    hash: record.hash,
  });
  return record.seq;
}

export interface VerifyResult {
  ok: boolean;
  rows: number;
  firstBad: { seq: number; problem: string } | null;
}

/** Walks the whole chain in seq order with a cursor; memory stays flat for millions of rows. */
export async function verifyAuditChain(sql: Sql, pageSize = 5000): Promise<VerifyResult> {
  const verifier = new ChainVerifier();
  const cursor = sql<
    { seq: string; occurred_at: Date; actor: string; action: string; incident_id: number | null; subject: string; data: unknown; prev_hash: string; hash: string }[]
  >`select seq, occurred_at, actor, action, incident_id, subject, data, prev_hash, hash from audit_events order by seq`.cursor(pageSize);
  for await (const rows of cursor) {
    for (const r of rows) {
      const row: ChainedAuditRecord = {
        seq: Number(r.seq),
        occurredAt: r.occurred_at,
        actor: r.actor,
        action: r.action,
        incidentId: r.incident_id,
        subject: r.subject,
        data: r.data,
        prevHash: r.prev_hash,
        hash: r.hash,
      };
      const failure = verifier.check(row);
      if (failure) return { ok: false, rows: verifier.count, firstBad: { seq: failure.seq, problem: describeFailure(failure) } };
    }
  }
  return { ok: true, rows: verifier.count, firstBad: null };
}
