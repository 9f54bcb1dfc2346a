import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { describeFailure, joinRanges, type RangeReport } from '../../domain/audit-chain.js';
import { unsealedTail } from './audit-log.js';
import { prepareSession, verifyRange, type ReadTx, type SeqRange, type ToWorker, type FromWorker } from './audit-verify-range.js';
import type { Sql } from './database.js';
import { startThread } from './threads.js';

export interface VerifyResult {
  ok: boolean;
  rows: number;
  firstBad: { seq: number; problem: string } | null;
  /** Events recorded but not sealed yet, and the age of the oldest (seconds; 0 when none). */
  unsealed: { count: number; oldestAgeS: number };
}

export interface VerifyOptions {
  /** The database's URL: worker threads open their own connections with it. Without it, this thread verifies alone. */
  url?: string;
  /** Threads verifying at once: this one and worker threads. Default: os.availableParallelism(). */
  workers?: number;
  /** Fewer rows than this per thread and fewer threads are used (default {@link MIN_ROWS_PER_WORKER}). */
  minRowsPerWorker?: number;
  /** Rows (of seq) per range; default: about 8 ranges per thread, from 5,000 to 100,000 rows each. */
  rangeRows?: number;
  /** Told the plan once the snapshot is taken, before any range is read (maxSeq: the snapshot's last). */
  onPlan?: (plan: { workers: number; ranges: number; maxSeq: number }) => void | Promise<void>;
  /** Hand out the first ranges only once every worker is ready, so that each thread gets one (tests). */
  waitForWorkers?: boolean;
  /** Told, for each range reported, which thread read it (0: this one, 1…: the workers). */
  onRange?: (range: { index: number; thread: number }) => void;
}

/**
 * Measured on 2 cores, where the threads share the CPU with their Postgres backends: a second
 * thread pays for itself from about 400,000 rows (a worker takes about 0.5 s to start from source
 * under tsx, 0.05 s compiled, and each row costs its Postgres backend about 2 µs to our 5 µs).
 */
export const MIN_ROWS_PER_WORKER = 200_000;

/**
 * Verifies the whole chain in ranges of seq, several threads at once (this one and worker threads,
 * each streaming a range at a time on a connection of its own and taking the next range when done,
 * so a thread that starts late or runs slowly simply does fewer), then the links between the
 * ranges. Every range is read in one snapshot, exported by this connection's transaction: rows
 * sealed meanwhile are seen by no range. Reports the first row in seq order that does not verify,
 * as a walk from seq 1 would (joinRanges).
 */
export async function verifyAuditChain(sql: Sql, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const wanted = Math.max(1, Math.floor(opts.workers ?? availableParallelism()));
  const reports = await sql.begin('isolation level repeatable read read only', async (tx) => {
    const [top] = await tx<Array<{ max: string | null }>>`select max(seq)::text as max from audit_events`;
    const max = Number(top?.max ?? 0);
    const threads = opts.url ? Math.max(1, Math.min(wanted, Math.floor(max / Math.max(1, opts.minRowsPerWorker ?? MIN_ROWS_PER_WORKER)))) : 1;
    // One thread reads the table in one go; several share ranges small enough to even out.
    const rangeRows = Math.max(1, Math.floor(opts.rangeRows ?? Math.min(100_000, Math.max(5_000, Math.ceil(max / (threads * 8))))));
    const ranges = threads === 1 ? [{ after: null, upTo: null }] : splitRange(max, Math.max(1, Math.ceil(max / rangeRows)));
    const snapshot = threads > 1 ? (await tx<Array<{ id: string }>>`select pg_export_snapshot() as id`)[0]!.id : '';
    // Workers write it into SET TRANSACTION SNAPSHOT, which takes no parameter.
    if (!/^[0-9A-F-]*$/i.test(snapshot)) throw new Error(`audit verify: unexpected snapshot id ${JSON.stringify(snapshot)}`);
    await prepareSession(tx);
    await opts.onPlan?.({ workers: threads, ranges: ranges.length, maxSeq: max });
    return verifyRanges(tx, ranges, threads - 1, { url: opts.url ?? '', snapshot }, opts);
  });
  const { count, failure } = joinRanges(reports);
  return { ok: failure === null, rows: count, firstBad: failure ? { seq: failure.seq, problem: describeFailure(failure) } : null, unsealed: await unsealedTail(sql) };
}

/** [1, max] in n ranges of about the same size; the first and last are open, so no row is left out (seq 0 or less, a seq past max). */
export function splitRange(max: number, n: number): SeqRange[] {
  const bound = (i: number) => Math.floor((max * i) / n);
  return Array.from({ length: n }, (_, i) => ({ after: i === 0 ? null : bound(i), upTo: i === n - 1 ? null : bound(i + 1) }));
}

/**
 * The ranges, in order of seq, handed out one at a time to this thread (on `tx`) and `workerCount`
 * worker threads. A failure in range i makes every range after it irrelevant (the first failure
 * in seq order is at or before it): those are not handed out, and the workers still reading one
 * are stopped. Returns the reports up to the first range with a failure.
 */
async function verifyRanges(
  tx: ReadTx,
  ranges: SeqRange[],
  workerCount: number,
  conn: { url: string; snapshot: string },
  opts: Pick<VerifyOptions, 'waitForWorkers' | 'onRange'>,
): Promise<RangeReport[]> {
  const reports: Array<RangeReport | null> = ranges.map(() => null);
  let next = 0;
  let cutoff = ranges.length;
  const take = () => (next < cutoff ? next++ : -1);
  type Thread = { worker: Worker; state: 'starting' | 'reading' | 'done'; reading: number };
  const workers: Thread[] = [];
  let stopped = false;
  const stop = (w: Thread) => void w.worker.terminate();
  const got = (i: number, report: RangeReport, thread: number) => {
    reports[i] = report;
    opts.onRange?.({ index: i, thread });
    if (!report.failure || i >= cutoff) return;
    cutoff = i + 1;
    // Whoever reads a range after it, or the rest of this one, has nothing left to tell.
    for (const w of workers) if (w.state === 'reading' && w.reading >= i) stop(w);
  };
  const stopAll = () => {
    stopped = true;
    cutoff = 0;
    allReady();
    workers.forEach(stop);
  };

  const give = (w: Thread) => {
    const i = take();
    Object.assign(w, i < 0 ? { state: 'done' } : { state: 'reading', reading: i });
    w.worker.postMessage((i < 0 ? { done: true } : { index: i, range: ranges[i]! }) satisfies ToWorker);
  };
  // With waitForWorkers, the workers that are ready wait here until all are (or have exited).
  const waiting: Thread[] = [];
  let allReady = () => {};
  const ready = opts.waitForWorkers && workerCount > 0 ? new Promise<void>((r) => (allReady = r)) : null;
  let arrived = 0;
  const arrive = () => ++arrived === workerCount && allReady();

  const inWorkers = Array.from({ length: workerCount }, (_, n) => {
    const w: Thread = { worker: rangeWorker(conn), state: 'starting', reading: -1 };
    workers.push(w);
    const where = `audit verify, worker ${n + 1} of ${workerCount}`;
    return new Promise<void>((resolve, reject) => {
      w.worker.on('message', (m: FromWorker) => {
        if ('error' in m) return reject(new Error(`${where}: ${m.error}`));
        if ('report' in m) return got(m.index, m.report, n + 1);
        // Ready: its transaction is open, or its last range is fully read.
        if (ready && w.state === 'starting' && !waiting.includes(w)) {
          waiting.push(w);
          return arrive();
        }
        give(w);
      });
      w.worker.on('error', (err) => reject(new Error(`${where}: ${err.message}`)));
      // Finished after `done`, or stopped by us because nothing it could still report is needed.
      const expected = () => stopped || w.state !== 'reading' || w.reading >= cutoff || reports[w.reading] !== null;
      w.worker.on('exit', (code) => {
        if (w.state === 'starting' && !waiting.includes(w)) arrive();
        if (expected()) resolve();
        else reject(new Error(`${where} stopped (exit code ${code}) while reading range ${w.reading + 1} of ${ranges.length}`));
      });
    });
  });
  const here = (async () => {
    let i = -1;
    if (ready) {
      await ready;
      i = take();
      waiting.forEach(give);
    } else i = take();
    for (; i >= 0; i = take()) {
      const { report, drained } = await verifyRange(tx, ranges[i]!);
      got(i, report, 0);
      await drained;
    }
    // Every range is taken: a worker still starting would only be told it is done.
    for (const w of workers) if (w.state === 'starting') stop(w);
  })();
  // This thread failing stops the workers too (and is thrown below).
  here.catch(stopAll);
  try {
    await Promise.all(inWorkers);
  } catch (err) {
    stopAll();
    // This thread's range still streams on `tx`; the transaction can end only after it.
    await here.catch(() => {});
    throw err;
  }
  await here;
  return reports.slice(0, cutoff).map((r, i) => {
    if (!r) throw new Error(`audit verify: range ${i + 1} of ${ranges.length} has no report`);
    return r;
  });
}

function rangeWorker(workerData: { url: string; snapshot: string }): Worker {
  return startThread(import.meta.url, 'audit-verify-worker', workerData);
}
