import * as crypto from 'node:crypto';

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

/**
 * JSON with object keys sorted at every depth: the same data always gives the same bytes.
 *
 * Built as one string, because verifying millions of rows spends much of its time here. Its output
 * is that of the first version (kept in test/domain/audit-chain.test.ts and compared on random
 * values) for every input: `Object.keys` lists what `Object.entries` did, `sort()` without a
 * comparator orders strings by UTF-16 code units as `a < b` does, and arrays keep what
 * `map().join(',')` made of holes and of values JSON cannot write.
 */
export function canonicalJson(value: unknown): string {
  return write(value) as string;
}

/** Undefined where JSON.stringify gives undefined (a function, a symbol), as before. */
function write(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'number':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
  }
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const v: unknown = value[i];
      if (v === undefined && !(i in value)) continue; // a hole: map() skips it, join() writes nothing
      const s = write(v);
      if (s !== undefined) out += s; // join() writes nothing for undefined
    }
    return `${out}]`;
  }
  const keys = Object.keys(value);
  keys.sort();
  let out = '{';
  for (const k of keys) {
    const v = (value as Record<string, unknown>)[k];
    if (v === undefined) continue;
    if (out.length > 1) out += ',';
    // String concatenation writes an undefined member as "undefined", as the template literal did.
    out += `${quotedKey(k)}:${write(v)}`;
  }
  return `${out}}`;
}

/** JSON.stringify(key), remembered: the same few keys come back in every row. Bounded, whatever the data. */
const QUOTED_KEYS = new Map<string, string>();
function quotedKey(k: string): string {
  let q = QUOTED_KEYS.get(k);
  if (q === undefined) {
    q = JSON.stringify(k);
    if (QUOTED_KEYS.size >= 4096) QUOTED_KEYS.clear();
    QUOTED_KEYS.set(k, q);
  }
  return q;
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

/** crypto.hash (Node 20.12+) is one call instead of three objects per row; the same digest. */
const sha256Hex: (text: string) => string =
  typeof crypto.hash === 'function' ? (text) => crypto.hash('sha256', text, 'hex') : (text) => crypto.createHash('sha256').update(text).digest('hex');

export function hashAuditRecord(r: AuditRecord, prevHash: string): string {
  return sha256Hex(encodeAuditRecord(r, prevHash));
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
