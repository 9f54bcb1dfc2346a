/**
 * One range of `audit_events` streamed with COPY and checked row by row (audit-verify.ts splits the
 * chain into ranges and joins their reports). COPY's text format instead of a cursor: reading
 * alone measured here at about three times the rows per second, and the timestamp comes as
 * Postgres prints it, which costs the server less than computing epoch milliseconds for every row.
 */
import { StringDecoder } from 'node:string_decoder';
import { RangeVerifier, type RangeReport, type StoredAuditRow } from '../../domain/audit-chain.js';
import type postgres from 'postgres';

/** The ranges are read in a read-only transaction: one snapshot, session settings local to it. */
export type ReadTx = postgres.TransactionSql;

/** seq bounds: `after < seq <= upTo`; null leaves that side open (seq 0 or less belongs to the first stretch). */
export interface SeqRange {
  after: number | null;
  upTo: number | null;
}

/**
 * What audit-verify.ts and a worker thread (audit-verify-worker.ts) say to each other: the worker
 * opens its transaction in the snapshot (workerData: url, snapshot) and says it is ready; it is
 * given a range, posts its report as soon as it has one, says it is ready again once the range is
 * fully read, and so on until it is told it is done.
 */
export type ToWorker = { index: number; range: SeqRange } | { done: true };
export type FromWorker = { ready: true } | { index: number; report: RangeReport } | { error: string };

const COLUMNS = 'seq, occurred_at, actor, action, incident_id, subject, data, prev_hash, hash';

/** COPY takes no bind parameters: the bounds are integers written into the text. */
export function rangeCopyQuery(range: SeqRange): string {
  const bounds = [range.after === null ? null : `seq > ${integer(range.after)}`, range.upTo === null ? null : `seq <= ${integer(range.upTo)}`].filter(Boolean);
  return `copy (select ${COLUMNS} from audit_events${bounds.length ? ` where ${bounds.join(' and ')}` : ''} order by seq) to stdout`;
}

function integer(n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`audit verify: a seq bound must be an integer, got ${n}`);
  return String(n);
}

/**
 * Session settings the parser relies on: occurred_at printed in UTC, ISO style. `SET LOCAL`, so they
 * end with the (read-only) transaction the range is read in.
 */
export async function prepareSession(tx: ReadTx): Promise<void> {
  await tx`set local timezone = 'UTC'`;
  await tx`set local datestyle = 'ISO, MDY'`;
}

/**
 * Streams the range and checks it; `tx` is in a transaction prepared by {@link prepareSession}.
 * Returns once the report is known: at the end, or at the range's first failure. The connection
 * must read the rest of the COPY before it can run anything else (postgres.js cannot stop one
 * halfway), so `drained` settles when it has; await it before using `tx` again.
 */
export async function verifyRange(tx: ReadTx, range: SeqRange): Promise<{ report: RangeReport; drained: Promise<void> }> {
  const verifier = new RangeVerifier();
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let problem: unknown = null;
  const stream = await tx.unsafe(rangeCopyQuery(range)).readable();
  return new Promise((resolve, reject) => {
    let reported = false;
    const drained = new Promise<void>((done, failed) => {
      stream.on('end', done);
      stream.on('error', failed);
    });
    drained.catch(() => {}); // a caller that has its report may not wait for the rest
    const settle = (report: RangeReport) => {
      reported = true;
      resolve({ report, drained });
    };
    // 'data' events, each chunk checked before the handler returns: the stream's buffer never
    // fills, so postgres.js never pauses the socket (see scripts/patch-postgres.mjs for what a
    // pause could leave behind), and the rest of the range after a failure is read and dropped.
    stream.on('data', (chunk: Buffer) => {
      if (reported || problem) return;
      try {
        const text = carry + decoder.write(chunk);
        let start = 0;
        for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
          const failed = verifier.check(parseCopyRow(text.slice(start, nl)));
          start = nl + 1;
          if (failed) return settle(verifier.report());
        }
        carry = text.slice(start);
      } catch (err) {
        problem = err; // reported at the end: the transaction cannot end while the COPY streams
      }
    });
    stream.on('end', () => {
      if (reported) return;
      if (!problem && carry + decoder.end() !== '') problem = new Error('audit verify: the COPY stream ended in the middle of a row');
      if (problem) reject(problem as Error);
      else settle(verifier.report());
    });
    stream.on('error', (err) => reported || reject(err));
  });
}

/** The rows of a range, counted and not parsed: the reading half of {@link verifyRange} (the bench's floor). */
export async function countRange(tx: ReadTx, range: SeqRange): Promise<number> {
  const stream = await tx.unsafe(rangeCopyQuery(range)).readable();
  return new Promise((resolve, reject) => {
    let rows = 0;
    stream.on('data', (chunk: Buffer) => {
      for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, nl + 1)) rows += 1;
    });
    stream.on('end', () => resolve(rows));
    stream.on('error', reject);
  });
}

/**
 * A row of {@link rangeCopyQuery} as the record the chain hashed: the same values the previous
 * cursor-based reader produced (postgres.js parses jsonb with JSON.parse, int and bigint with Number).
 */
export function parseCopyRow(line: string): StoredAuditRow {
  const f = line.split('\t');
  if (f.length !== 9) throw new Error(`audit verify: a COPY row has ${f.length} fields, expected 9`);
  const data = f[6]!;
  const incidentId = f[4]!;
  return {
    seq: Number(f[0]),
    occurredAtIso: isoTimestamp(f[1]!),
    actor: copyText(f[2]!),
    action: copyText(f[3]!),
    incidentId: incidentId === '\\N' ? null : Number(incidentId),
    subject: copyText(f[5]!),
    data: data === '\\N' ? null : (JSON.parse(copyText(data)) as unknown),
    prevHash: copyText(f[7]!),
    hash: copyText(f[8]!),
  };
}

const ESCAPES: Record<string, string> = { '\\': '\\', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** A COPY text-format field: COPY TO writes these backslash sequences and no others (no octal, no hex). */
export function copyText(field: string): string {
  if (field.indexOf('\\') < 0) return field;
  return field.replace(/\\(.)/gs, (_, c: string) => {
    const r = ESCAPES[c];
    if (r === undefined) throw new Error(`audit verify: unexpected escape \\${c} in a COPY field`);
    return r;
  });
}

const ISO = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,3}))?\+00$/;

/**
 * occurred_at as `toISOString()` writes the Date {@link parseTimestamptz} gives. Years 1 to 9999
 * with at most milliseconds (every occurred_at(3) of our era) are rewritten in place: Postgres has
 * already checked the date and time, and toISOString writes those same digits, 4 for the year.
 */
export function isoTimestamp(text: string): string {
  const m = ISO.exec(text);
  return m ? `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(3, '0')}Z` : parseTimestamptz(text).toISOString();
}

const FULL = /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?\+00( BC)?$/;

/**
 * A timestamptz as Postgres prints it in UTC with DateStyle ISO ("2026-01-05 14:30:00.25+00"), as
 * the Date the chain hashed: the one `new Date((extract(epoch from t) * 1000)::float8)` gives,
 * which is what the sealer computes and the previous reader read. Whole milliseconds (all that
 * occurred_at(3) holds) are exact; finer fractions are truncated toward zero as Date does.
 */
export function parseTimestamptz(text: string): Date {
  const g = FULL.exec(text);
  if (!g) throw new Error(`audit verify: occurred_at ${JSON.stringify(text)} is not a finite UTC timestamp`);
  const d = new Date(0);
  // setUTCFullYear, not Date.UTC: that reads years 0–99 as 1900–1999.
  d.setUTCFullYear(g[8] ? 1 - Number(g[1]) : Number(g[1]), Number(g[2]) - 1, Number(g[3]));
  d.setUTCHours(Number(g[4]), Number(g[5]), Number(g[6]), 0);
  const digits = (g[7] ?? '').padEnd(6, '0');
  const whole = d.getTime() + Number(digits.slice(0, 3));
  const micros = Number(digits.slice(3));
  if (micros === 0) return new Date(whole);
  // The exact value is whole + micros/1000 ms; as float8 then truncated toward zero, as before.
  const exact = whole >= 0 ? `${whole}.${String(micros).padStart(3, '0')}` : `-${-whole - 1}.${String(1000 - micros).padStart(3, '0')}`;
  return new Date(Number(exact));
}
