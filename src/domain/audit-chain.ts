import { createHash } from 'node:crypto';

/**
 * The tamper-evident chain: each event's hash covers its own canonical encoding and the previous
 * event's hash, so changing, removing or reordering any row breaks every hash after it.
 */
export interface AuditRecord {
  seq: number;
  occurredAt: Date;
  actor: string;
  action: string;
  incidentId: number | null;
  subject: string;
  data: unknown;
}

export interface ChainedAuditRecord extends AuditRecord {
  prevHash: string;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every depth: the same data always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * The canonical encoding of a record: the same bytes as `canonicalJson` of its fields (keys in
 * sorted order), written out by hand because verifying millions of rows spends its time here.
 */
export function encodeAuditRecord(r: AuditRecord, prevHash: string): string {
  return (
    `{"action":${JSON.stringify(r.action)},"actor":${JSON.stringify(r.actor)},"data":${canonicalJson(r.data ?? null)}` +
    `,"incident_id":${r.incidentId === null ? 'null' : JSON.stringify(r.incidentId)},"occurred_at":"${r.occurredAt.toISOString()}"` +
    `,"prev_hash":${JSON.stringify(prevHash)},"seq":${JSON.stringify(r.seq)},"subject":${JSON.stringify(r.subject)}}`
  );
}

export function hashAuditRecord(r: AuditRecord, prevHash: string): string {
  return createHash('sha256').update(encodeAuditRecord(r, prevHash)).digest('hex');
}

export function chain(r: AuditRecord, prevHash: string): ChainedAuditRecord {
  return { ...r, prevHash, hash: hashAuditRecord(r, prevHash) };
}

export type VerifyFailure =
  | { seq: number; problem: 'gap'; expectedSeq: number }
  | { seq: number; problem: 'prev_hash_mismatch'; expected: string; found: string }
  | { seq: number; problem: 'hash_mismatch'; expected: string; found: string };

/**
 * Walks rows in `seq` order and reports the first one that does not verify. Feed it in pages; it
 * keeps only the running head.
 */
export class ChainVerifier {
  private head = GENESIS_HASH;
  private nextSeq = 1;
  count = 0;

  check(row: ChainedAuditRecord): VerifyFailure | null {
    if (row.seq !== this.nextSeq) return { seq: row.seq, problem: 'gap', expectedSeq: this.nextSeq };
    if (row.prevHash !== this.head) return { seq: row.seq, problem: 'prev_hash_mismatch', expected: this.head, found: row.prevHash };
    const expected = hashAuditRecord(row, row.prevHash);
    if (expected !== row.hash) return { seq: row.seq, problem: 'hash_mismatch', expected, found: row.hash };
    this.head = row.hash;
    this.nextSeq += 1;
    this.count += 1;
    return null;
  }
}

export function describeFailure(f: VerifyFailure): string {
  switch (f.problem) {
    case 'gap':
      return `audit event #${f.seq}: expected #${f.expectedSeq} next — a row is missing or out of order`;
    case 'prev_hash_mismatch':
      return `audit event #${f.seq}: prev_hash ${f.found.slice(0, 12)}… does not match the previous row's hash ${f.expected.slice(0, 12)}… — a row before it was removed, reordered or rewritten`;
    case 'hash_mismatch':
      return `audit event #${f.seq}: its content does not match its hash — the row was altered`;
  }
}
