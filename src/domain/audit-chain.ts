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
  return encode(r, r.occurredAt.toISOString(), prevHash);
}

function encode(r: Omit<AuditRecord, 'occurredAt'>, occurredAtIso: string, prevHash: string): string {
  return (
    `{"action":${JSON.stringify(r.action)},"actor":${JSON.stringify(r.actor)},"data":${canonicalJson(r.data ?? null)}` +
    `,"incident_id":${r.incidentId === null ? 'null' : JSON.stringify(r.incidentId)},"occurred_at":"${occurredAtIso}"` +
    `,"prev_hash":${JSON.stringify(prevHash)},"seq":${JSON.stringify(r.seq)},"subject":${JSON.stringify(r.subject)}}`
  );
}

/** crypto.hash (Node 20.12+) is one call instead of three objects per row; the same digest. */
const sha256Hex: (text: string) => string =
  typeof crypto.hash === 'function' ? (text) => crypto.hash('sha256', text, 'hex') : (text) => crypto.createHash('sha256').update(text).digest('hex');

export function hashAuditRecord(r: AuditRecord, prevHash: string): string {
  return sha256Hex(encodeAuditRecord(r, prevHash));
}

/**
 * A chained row as a verifier reads it back: occurred_at already written as Date#toISOString
 * writes it (a reader may get there without making a Date; the hash covers only that text).
 */
export interface StoredAuditRow extends Omit<ChainedAuditRecord, 'occurredAt'> {
  occurredAtIso: string;
}

export const storedRow = ({ occurredAt, ...rest }: ChainedAuditRecord): StoredAuditRow => ({ ...rest, occurredAtIso: occurredAt.toISOString() });

/** hashAuditRecord of the record the row was read from. */
export function hashStoredRow(r: StoredAuditRow, prevHash: string): string {
  return sha256Hex(encode(r, r.occurredAtIso, prevHash));
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

/**
 * One stretch of the chain, checked on its own (in parallel with the others): every row's hash, and
 * each row's seq and prev_hash against the row before it in the stretch. The first row's link to
 * the stretch before is left to {@link joinRanges}, which has both sides.
 */
export interface RangeReport {
  /** Rows that verified, all of them when `failure` is null, else those before it. */
  count: number;
  /** The stretch's first row; null when it has none. */
  first: { seq: number; prevHash: string } | null;
  /** The last row that verified; null when none did. */
  last: { seq: number; hash: string } | null;
  /** The first row in the stretch that does not verify, links to its first row aside. */
  failure: VerifyFailure | null;
}

export class RangeVerifier {
  private first: RangeReport['first'] = null;
  private lastSeq = 0;
  private head = '';
  private failure: VerifyFailure | null = null;
  count = 0;

  /** Returns the failure once one is found; later rows are not looked at. */
  check(row: StoredAuditRow): VerifyFailure | null {
    if (this.failure) return this.failure;
    if (this.first === null) this.first = { seq: row.seq, prevHash: row.prevHash };
    else if (row.seq !== this.lastSeq + 1) return (this.failure = { seq: row.seq, problem: 'gap', expectedSeq: this.lastSeq + 1 });
    else if (row.prevHash !== this.head) return (this.failure = { seq: row.seq, problem: 'prev_hash_mismatch', expected: this.head, found: row.prevHash });
    const expected = hashStoredRow(row, row.prevHash);
    if (expected !== row.hash) return (this.failure = { seq: row.seq, problem: 'hash_mismatch', expected, found: row.hash });
    this.lastSeq = row.seq;
    this.head = row.hash;
    this.count += 1;
    return null;
  }

  report(): RangeReport {
    return { count: this.count, first: this.first, last: this.count ? { seq: this.lastSeq, hash: this.head } : null, failure: this.failure };
  }
}

/**
 * The chain from its stretches, in seq order: what {@link ChainVerifier} reports walking all the
 * rows in one pass. Its first failure is at the first row that fails a check against the row
 * before it (or, for seq 1, against the genesis), and every such check is made either in a
 * stretch or here, at the stretch's first row, in the same order (seq, then prev_hash, then hash).
 */
export function joinRanges(ranges: readonly RangeReport[]): { count: number; failure: VerifyFailure | null } {
  let count = 0;
  let seq = 0;
  let head = GENESIS_HASH;
  for (const r of ranges) {
    if (r.first === null) continue;
    if (r.first.seq !== seq + 1) return { count, failure: { seq: r.first.seq, problem: 'gap', expectedSeq: seq + 1 } };
    if (r.first.prevHash !== head) return { count, failure: { seq: r.first.seq, problem: 'prev_hash_mismatch', expected: head, found: r.first.prevHash } };
    count += r.count;
    if (r.failure) return { count, failure: r.failure };
    seq = r.last!.seq;
    head = r.last!.hash;
  }
  return { count, failure: null };
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
