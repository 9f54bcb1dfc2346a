/**
 * Benchmark 4, the audit trail.
 *
 * Appends: 8 writers, each appending one event per transaction with `appendAudit` (an insert into
 * the audit inbox) for a fixed time while the sealer chains them; the rate counts until the last
 * is sealed. Floor: the same
 * inserts, same drizzle calls, same transactions, into a copy of the table (same columns and
 * indexes, no triggers) without the chain: no lock, no head read, no hash. A one-writer chained
 * run shows how much the lock serializes.
 *
 * Verify: a chain of N rows is computed in JS with the domain's own `chain()` and loaded with
 * COPY (then VACUUM ANALYZE, as an old table would be), and `verifyAuditChain` checks it as
 * `npm run audit:verify` does: in parallel ranges (one per core), each streamed with COPY. Floor:
 * reading alone on one thread, the same COPY query, rows counted and not checked (issue 12: the
 * verifier should beat it by overlapping reading and hashing). Details: the same verifier on one
 * thread (`workers: 1`), and the single-thread breakdown (the cursor the verifier used before,
 * encoding + hashing without Postgres, SHA-256 alone).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import postgres from 'postgres';
import { bigint, char, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { availableParallelism } from 'node:os';
import { appendAudit } from '../src/adapters/postgres/audit-log.js';
import { MIN_ROWS_PER_WORKER, verifyAuditChain, type VerifyOptions, type VerifyResult } from '../src/adapters/postgres/audit-verify.js';
import { countRange, prepareSession } from '../src/adapters/postgres/audit-verify-range.js';
import { connect, connectSingle } from '../src/adapters/postgres/database.js';
import { AuditSealer } from '../src/adapters/postgres/audit-sealer.js';
import { canonicalJson, chain, encodeAuditRecord, GENESIS_HASH, hashAuditRecord, type AuditRecord } from '../src/domain/audit-chain.js';
import type { RunContext } from './lib/bot.js';
import { ratioOf, scalar, type Figure } from './lib/report.js';
import { createDatabase, dropDatabase } from './lib/services.js';
import { msSince, round } from './lib/stats.js';

export interface AuditSizes {
  writers: number;
  appendMs: number;
  verifyRows: number;
}

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });
/** The floor's table: audit_events' columns (CREATE TABLE … LIKE copies them and the indexes). */
const auditPlain = pgTable('audit_plain', {
  seq: bigint('seq', { mode: 'number' }).primaryKey(),
  occurredAt: ts('occurred_at').notNull(),
  actor: text('actor').notNull(),
  action: text('action').notNull(),
  incidentId: integer('incident_id'),
  subject: text('subject').notNull(),
  data: jsonb('data'),
  prevHash: char('prev_hash', { length: 64 }).notNull(),
  hash: char('hash', { length: 64 }).notNull(),
});

const ACTIONS = ['incident.declared', 'role.assigned', 'incident.status', 'escalation.step_fired', 'deploy.gate_queried', 'warroom.ready', 'incident.acknowledged'];
const SERVICES = ['order-routing', 'market-data', 'clearing', 'payments', null];
const ACTORS = ['UALICE01', 'UBOB0002', 'UCAROL03', 'warroom', 'token:ci'];

/** A realistic event, the same for the same `i` (the verify floor re-creates the bytes). */
function sampleRecord(i: number, base: number): AuditRecord {
  const action = ACTIONS[i % ACTIONS.length]!;
  const incidentId = i % 11 === 0 ? null : 1 + (i % 997);
  const data: Record<string, unknown> =
    action === 'escalation.step_fired'
      ? { step: i % 3, generation: 1, due_at: new Date(base + i * 250).toISOString(), lateness_ms: i % 97, status: 'sent', results: [{ action: 'page trading-oncall', sent: 1, failed: 0, details: [] }] }
      : action === 'deploy.gate_queried'
        ? { at: new Date(base + i * 250).toISOString(), allowed: i % 2 === 0, approval: 'auto', reason: 'off-hours: standard deploys are automatic' }
        : { title: `Order routing latency spike ${i}`, severity: `sev${1 + (i % 4)}`, customer_impact: i % 3 ? null : 'Some clients see rejected orders', service: SERVICES[i % SERVICES.length], private: false };
  return { seq: i + 1, occurredAt: new Date(base + i * 250), actor: ACTORS[i % ACTORS.length]!, action, incidentId, subject: incidentId ? `INC-${incidentId}` : 'standard:payments', data };
}

/** Runs `writers` loops of one-row transactions for `ms`; returns transactions per second. */
async function rate(writers: number, ms: number, once: (i: number) => Promise<unknown>): Promise<{ perSecond: number; count: number }> {
  let count = 0;
  let i = 0;
  const start = process.hrtime.bigint();
  const deadline = Date.now() + ms;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (Date.now() < deadline) {
        await once(i++);
        count += 1;
      }
    }),
  );
  return { perSecond: (count / msSince(start)) * 1000, count };
}

async function appendBench(ctx: RunContext, sizes: AuditSizes): Promise<Figure> {
  const name = `warroom_bench_${ctx.id}_audit`;
  const url = await createDatabase(name, ctx.template);
  const drop = ctx.cleanup.add(`drop database ${name}`, () => dropDatabase(name));
  const { sql, db } = connect(url, { max: sizes.writers + 2 });
  const end = ctx.cleanup.add('close audit pool', () => sql.end({ timeout: 5 }));
  try {
    await sql`create table audit_plain (like audit_events including defaults including indexes)`;
    const settings = await sql<Array<{ name: string; setting: string }>>`select name, setting from pg_settings where name in ('fsync', 'synchronous_commit', 'commit_delay')`;
    const base = Date.now();
    const chained = (i: number) => db.transaction((tx) => appendAudit(tx, entryOf(sampleRecord(i, base)), new Date()));
    // The sealer chains behind the writers, as in the bot: an append counts once it is in the chain.
    const lockConn = connectSingle(url);
    ctx.cleanup.add('close sealer lock', () => lockConn.end({ timeout: 5 }));
    const sealer = new AuditSealer(sql, lockConn, { log: { debug() {}, info() {}, warn() {}, error() {} }, everyMs: 50 });
    sealer.start();
    const unsealed = async () => (await sql<Array<{ n: number }>>`select count(*)::int as n from audit_inbox`)[0]!.n;
    const sealedAll = async () => {
      const t = process.hrtime.bigint();
      while ((await unsealed()) > 0) await new Promise((r) => setTimeout(r, 10));
      return msSince(t);
    };
    let plainSeq = 0;
    const plain = (i: number) =>
      db.transaction(async (tx) => {
        const r = sampleRecord(i, base);
        await tx.insert(auditPlain).values({ ...r, seq: ++plainSeq, occurredAt: new Date(), prevHash: GENESIS_HASH, hash: GENESIS_HASH });
      });
    // Warm-up: connections and prepared statements for both.
    const warm = Math.min(300, sizes.appendMs / 3);
    await rate(sizes.writers, warm, chained);
    await rate(sizes.writers, warm, plain);
    await sealedAll();
    const appended = await rate(sizes.writers, sizes.appendMs, chained);
    // Chained = appended and sealed: the time until the last of them is in the chain counts too.
    const drainMs = await sealedAll();
    const withChain = { count: appended.count, perSecond: (appended.count / (sizes.appendMs + drainMs)) * 1000 };
    const without = await rate(sizes.writers, sizes.appendMs, plain);
    const oneWriter = await rate(1, Math.max(400, sizes.appendMs / 2), chained);
    await sealedAll();
    await sealer.stop();
    const value = scalar(withChain.perSecond, 'appends/s');
    const floor = scalar(without.perSecond, 'inserts/s');
    const r = ratioOf(value, floor);
    return {
      id: 'audit.append',
      label: `audit append with chain, ${sizes.writers} writers`,
      value,
      floor: { label: 'same inserts, no chain', value: floor },
      ratio: r,
      goal: { text: '≥ 0.7× unchained rate', met: r !== null && r >= 0.7 },
      details: { chainedAppends: withChain.count, drainMs: round(drainMs, 0), plainInserts: without.count, chainedOneWriterPerSecond: round(oneWriter.perSecond, 0), postgres: Object.fromEntries(settings.map((s) => [s.name, s.setting])) },
      note: `appends go to the audit inbox without a lock and the sealer chains them in batches (issue 12); the rate counts until the last append was sealed (${round(drainMs, 0)} ms after the writers stopped). One writer alone: ${round(oneWriter.perSecond, 0)}/s; ${sizes.writers} writers get ${round(appended.perSecond / oneWriter.perSecond, 1)}× that against ${round(without.perSecond / oneWriter.perSecond, 1)}× unchained (fsync ${settings.find((x) => x.name === 'fsync')?.setting}, synchronous_commit ${settings.find((x) => x.name === 'synchronous_commit')?.setting}).`,
    };
  } finally {
    await end();
    await drop();
  }
}

type Entry = Parameters<typeof appendAudit>[1];
const entryOf = (r: AuditRecord): Entry => ({ actor: r.actor, action: r.action, incidentId: r.incidentId, subject: r.subject, data: r.data as Record<string, unknown> });

/** COPY text-format escaping. */
const copyField = (v: string | null): string => (v === null ? '\\N' : v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r'));

/**
 * What a verifier specialised to the record's shape would do: the top-level keys are fixed, so
 * they are written in their canonical (sorted) order directly and only `data` goes through the
 * generic canonical encoder. Checked byte for byte against the domain's encoder below; timed to
 * show how much of the verify cost is the generic encoding.
 */
function encodeFast(r: AuditRecord, prevHash: string): string {
  return `{"action":${JSON.stringify(r.action)},"actor":${JSON.stringify(r.actor)},"data":${canonicalJson(r.data ?? null)},"incident_id":${r.incidentId === null ? 'null' : r.incidentId},"occurred_at":"${r.occurredAt.toISOString()}","prev_hash":"${prevHash}","seq":${r.seq},"subject":${JSON.stringify(r.subject)}}`;
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');

async function verifyBench(ctx: RunContext, sizes: AuditSizes): Promise<Figure> {
  const n = sizes.verifyRows;
  const name = `warroom_bench_${ctx.id}_verify`;
  const url = await createDatabase(name, ctx.template);
  const drop = ctx.cleanup.add(`drop database ${name}`, () => dropDatabase(name));
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const end = ctx.cleanup.add('close verify connection', () => sql.end({ timeout: 5 }));
  try {
    // --- load: the chain computed with the domain's own code, streamed in with COPY ------------
    const base = Date.parse('2026-01-05T14:30:00Z');
    const loadStart = process.hrtime.bigint();
    async function* lines(): AsyncGenerator<string> {
      let prev = GENESIS_HASH;
      let batch: string[] = [];
      for (let i = 0; i < n; i++) {
        const r = chain(sampleRecord(i, base), prev);
        prev = r.hash;
        batch.push(
          [String(r.seq), r.occurredAt.toISOString(), r.actor, r.action, r.incidentId === null ? null : String(r.incidentId), r.subject, JSON.stringify(r.data), r.prevHash, r.hash].map(copyField).join('\t'),
        );
        if (batch.length === 2000) {
          yield `${batch.join('\n')}\n`;
          batch = [];
        }
      }
      if (batch.length) yield `${batch.join('\n')}\n`;
    }
    const writable = await sql`copy audit_events (seq, occurred_at, actor, action, incident_id, subject, data, prev_hash, hash) from stdin`.writable();
    await pipeline(Readable.from(lines()), writable);
    await sql`vacuum analyze audit_events`;
    const loadS = msSince(loadStart) / 1000;

    // --- the figure: verifyAuditChain as audit:verify runs it; the same on one thread, and on every
    // core when audit:verify would use fewer for this many rows; reading alone. Best of two each,
    // alternating, so a burst of load elsewhere on the machine hits every side alike.
    const verifyOnce = async (opts: VerifyOptions) => {
      let plan = { workers: 1, ranges: 1 };
      const t = process.hrtime.bigint();
      const result: VerifyResult = await verifyAuditChain(sql, { ...opts, onPlan: (p) => void (plan = p) });
      const ms = msSince(t);
      if (!result.ok || result.rows !== n) throw new Error(`verify did not pass over the loaded chain: ${JSON.stringify(result)}`);
      return { ms, ...plan };
    };
    const readOnce = async () => {
      const t = process.hrtime.bigint();
      const rows = await sql.begin('isolation level repeatable read read only', async (tx) => {
        await prepareSession(tx);
        return countRange(tx, { after: null, upTo: null });
      });
      if (rows !== n) throw new Error(`reading the chain gave ${rows} rows, not ${n}`);
      return msSince(t);
    };
    const cores = availableParallelism();
    const defaultThreads = Math.max(1, Math.min(cores, Math.floor(n / MIN_ROWS_PER_WORKER)));
    const runs = { auditVerify: [] as Array<{ ms: number; workers: number; ranges: number }>, allCores: [] as Array<{ ms: number; workers: number; ranges: number }>, single: [] as number[], read: [] as number[] };
    for (let round = 0; round < 2; round++) {
      runs.auditVerify.push(await verifyOnce({ url }));
      if (defaultThreads < cores) runs.allCores.push(await verifyOnce({ url, minRowsPerWorker: 1 }));
      runs.single.push((await verifyOnce({ workers: 1 })).ms);
      runs.read.push(await readOnce());
    }
    const fastest = <T extends { ms: number }>(xs: T[]): T | null => xs.reduce<T | null>((a, b) => (a === null || b.ms < a.ms ? b : a), null);
    const best = fastest(runs.auditVerify)!;
    const allCores = fastest(runs.allCores) ?? best;
    const verifyMs = best.ms;
    const perSecond = (n / verifyMs) * 1000;
    const allCoresPerSecond = (n / allCores.ms) * 1000;
    const singlePerSecond = (n / Math.min(...runs.single)) * 1000;
    const copyReadPerSecond = (n / Math.min(...runs.read)) * 1000;

    // --- single-thread breakdown: the cursor the verifier used before (same page size), hashing alone
    const t1 = process.hrtime.bigint();
    let read = 0;
    for await (const rows of sql`select seq, occurred_at, actor, action, incident_id, subject, data, prev_hash, hash from audit_events order by seq`.cursor(5000)) read += rows.length;
    const readPerSecond = (read / msSince(t1)) * 1000;

    // Reading with the timestamp and the JSON left as text (what postgres.js parses per row).
    const t2 = process.hrtime.bigint();
    let readText = 0;
    for await (const rows of sql`select seq, occurred_at::text, actor, action, incident_id, subject, data::text, prev_hash, hash from audit_events order by seq`.cursor(5000)) readText += rows.length;
    const readTextPerSecond = (readText / msSince(t2)) * 1000;

    let encodeHashMs = 0;
    let fastMs = 0;
    let shaMs = 0;
    let bytes = 0;
    let prev = GENESIS_HASH;
    for (let start = 0; start < n; start += 10_000) {
      const records = Array.from({ length: Math.min(10_000, n - start) }, (_, k) => sampleRecord(start + k, base));
      const chunkPrev = prev;
      // What the verifier does per row, without Postgres: canonical encoding + SHA-256.
      const a = process.hrtime.bigint();
      const hashes: string[] = [];
      for (const r of records) {
        prev = hashAuditRecord(r, prev);
        hashes.push(prev);
      }
      encodeHashMs += msSince(a);
      const prevOf = (k: number) => (k === 0 ? chunkPrev : hashes[k - 1]!);
      // The same with the shape-specialised encoder (same bytes, checked after timing).
      const f = process.hrtime.bigint();
      const fast = records.map((r, k) => createHash('sha256').update(encodeFast(r, prevOf(k))).digest('hex'));
      fastMs += msSince(f);
      if (fast.some((h, k) => h !== hashes[k])) throw new Error('the specialised encoder does not reproduce the canonical bytes');
      // The floor: SHA-256 alone over the very same bytes (encoded beforehand, untimed).
      const encoded = records.map((r, k) => Buffer.from(encodeAuditRecord(r, prevOf(k)), 'utf8'));
      const b = process.hrtime.bigint();
      for (const buf of encoded) createHash('sha256').update(buf).digest('hex');
      shaMs += msSince(b);
      bytes += encoded.reduce((s, x) => s + x.length, 0);
    }
    const value = scalar(perSecond, 'rows/s');
    const floor = scalar(copyReadPerSecond, 'rows/s');
    const r = ratioOf(value, floor);
    return {
      id: 'audit.verify',
      label: `audit:verify over ${n.toLocaleString('en-US')} rows`,
      value,
      floor: { label: 'reading alone, one thread, same COPY', value: floor },
      ratio: r,
      goal: { text: '≥ 300,000 rows/s and ≥ 1.3× the single-thread read floor', met: perSecond >= 300_000 && r !== null && r >= 1.3 },
      details: {
        verifySeconds: round(verifyMs / 1000, 2),
        cores,
        threads: best.workers,
        ranges: best.ranges,
        singleThreadVerifyRowsPerSecond: round(singlePerSecond, 0),
        overSingleThread: round(perSecond / singlePerSecond, 2),
        allCoresVerifyRowsPerSecond: round(allCoresPerSecond, 0),
        allCores: { threads: allCores.workers, ranges: allCores.ranges },
        runsMs: {
          auditVerify: runs.auditVerify.map((x) => round(x.ms, 0)),
          allCores: runs.allCores.map((x) => round(x.ms, 0)),
          singleThread: runs.single.map((x) => round(x, 0)),
          readAlone: runs.read.map((x) => round(x, 0)),
        },
        cursorReadRowsPerSecond: round(readPerSecond, 0),
        cursorReadAsTextRowsPerSecond: round(readTextPerSecond, 0),
        specialisedEncodeAndHashRowsPerSecond: round((n / fastMs) * 1000, 0),
        encodeAndHashRowsPerSecond: round((n / encodeHashMs) * 1000, 0),
        sha256RowsPerSecond: round((n / shaMs) * 1000, 0),
        meanRowBytes: round(bytes / n, 0),
        loadSeconds: round(loadS, 1),
      },
      note: `audit:verify's plan for ${n.toLocaleString('en-US')} rows on ${cores} cores: ${best.workers === 1 ? `one thread (a worker pays for itself from ${fmt(2 * MIN_ROWS_PER_WORKER)} rows)` : `${best.workers} threads taking ${best.ranges} ranges in turn`}, each range streamed with COPY. The same verifier on one thread ${fmt(singlePerSecond)} rows/s; on every core (${allCores.workers} threads, ${allCores.ranges} ranges, sharing the cores with one Postgres backend each) ${fmt(allCoresPerSecond)} rows/s (${round(allCoresPerSecond / singlePerSecond, 2)}× one thread); reading alone with that COPY on one thread ${fmt(copyReadPerSecond)} rows/s. Before, one thread through a cursor: reading alone ${fmt(readPerSecond)} rows/s (${fmt(readTextPerSecond)} with occurred_at and data left as text); canonical encoding + SHA-256 alone ${fmt((n / encodeHashMs) * 1000)} rows/s (${fmt((n / fastMs) * 1000)} with an encoder specialised to the record's fixed keys, same bytes); SHA-256 alone ${fmt((n / shaMs) * 1000)} rows/s (${round(bytes / n, 0)} B/row).`,
    };
  } finally {
    await end();
    await drop();
  }
}

export async function auditBench(ctx: RunContext, sizes: AuditSizes): Promise<Figure[]> {
  return [await appendBench(ctx, sizes), await verifyBench(ctx, sizes)];
}
