import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { verifyAuditChain, type VerifyOptions, type VerifyResult } from '../../src/adapters/postgres/audit-verify.js';
import { isoTimestamp, parseTimestamptz } from '../../src/adapters/postgres/audit-verify-range.js';
import { chain, GENESIS_HASH, type ChainedAuditRecord } from '../../src/domain/audit-chain.js';
import { useDatabase } from '../support/use-database.js';

/**
 * The parallel verifier against real Postgres: 90 rows in 3 ranges (seq 1–30, 31–60, 61–90) over 3
 * threads, each result compared with the same chain verified on one thread. The ranges are handed
 * out once both workers are ready (waitForWorkers), so this thread reads range 1 and the workers
 * ranges 2 and 3 (else, on so few rows, this thread would read them all while the workers start).
 */
const conn = useDatabase(4);


const N = 90;
const PARALLEL = (): VerifyOptions => ({ url: conn.url, workers: 3, minRowsPerWorker: 10, rangeRows: 30, waitForWorkers: true });

/** Rows whose text COPY has to escape (tab, newline, backslash, "\N") and data with keys jsonb orders otherwise. */
function rows(n = N): ChainedAuditRecord[] {
  const out: ChainedAuditRecord[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const odd = seq % 7 === 0;
    const r = chain(
      {
        seq,
        occurredAt: new Date(Date.UTC(2026, 0, 5, 14, 30, 0, seq * 7)),
        actor: odd ? 'U\t"tab"\\back\nline' : `U${seq}`,
        action: odd ? '\\N' : 'test.event',
        incidentId: seq % 5 ? seq : null,
        subject: odd ? 'été 😀 \r\u2028' : `INC-${seq}`,
        data: seq % 11 === 0 ? null : { zeta: seq, a: [1, 2.5, null, 'x\ty'], nested: { bb: true, a: { 'é': 'ü', '\\': '\n' } }, title: `row ${seq}` },
      },
      prev,
    );
    out.push(r);
    prev = r.hash;
  }
  return out;
}

/** The table holds exactly `chain` (the append-only triggers are off for the moment, as a tamperer would turn them off). */
async function load(chainRows: ChainedAuditRecord[]): Promise<void> {
  await conn.sql.begin(async (tx) => {
    await tx`alter table audit_events disable trigger user`;
    await tx`delete from audit_events`;
    if (chainRows.length) {
      const json = JSON.stringify(chainRows.map((r) => ({ seq: r.seq, occurred_at: r.occurredAt.toISOString(), actor: r.actor, action: r.action, incident_id: r.incidentId, subject: r.subject, data: r.data, prev_hash: r.prevHash, hash: r.hash })));
      await tx`
        insert into audit_events (seq, occurred_at, actor, action, incident_id, subject, data, prev_hash, hash)
        select * from jsonb_to_recordset(${json}::text::jsonb)
          as x(seq bigint, occurred_at timestamptz, actor text, action text, incident_id int, subject text, data jsonb, prev_hash text, hash text)`;
    }
    await tx`alter table audit_events enable trigger user`;
  });
}

async function tamper(statement: string): Promise<void> {
  await conn.sql.begin(async (tx) => {
    await tx`alter table audit_events disable trigger user`;
    await tx.unsafe(statement);
    await tx`alter table audit_events enable trigger user`;
  });
}

/** Verified in 3 ranges by 3 threads; the result must be the one-thread walk's, exactly. */
async function verify(opts: VerifyOptions = PARALLEL(), expectedRanges = 3): Promise<VerifyResult> {
  let plan = {};
  const readBy = new Map<number, number>();
  const parallel = await verifyAuditChain(conn.sql, { ...opts, onPlan: (p) => void (plan = p), onRange: (r) => void readBy.set(r.index, r.thread) });
  const single = await verifyAuditChain(conn.sql, { workers: 1 });
  expect(plan).toEqual({ workers: 3, ranges: expectedRanges, maxSeq: expect.any(Number) });
  if (expectedRanges === 3) for (const [index, thread] of readBy) expect([index, thread === 0]).toEqual([index, index === 0]);
  expect(parallel).toEqual(single);
  return parallel;
}

describe('verifying in parallel ranges', () => {
  it('an intact chain verifies, every row counted (text that COPY escapes included)', async () => {
    await load(rows());
    expect(await verify()).toEqual({ ok: true, rows: N, firstBad: null, unsealed: { count: 0, oldestAgeS: 0 } });
  });

  it('without waiting for the workers, the chain verifies too, whoever reads what', async () => {
    await load(rows());
    expect(await verifyAuditChain(conn.sql, { ...PARALLEL(), waitForWorkers: false, rangeRows: 7 })).toMatchObject({ ok: true, rows: N });
  });

  it('a row altered in the middle of range 2 is named', async () => {
    await load(rows());
    await tamper(`update audit_events set actor = 'mallory' where seq = 45`);
    expect(await verify()).toMatchObject({ ok: false, rows: 44, firstBad: { seq: 45, problem: 'audit event #45: its content does not match its hash — the row was altered' } });
  });

  it('a row deleted at a range boundary is a gap at the right seq, on either side of the boundary', async () => {
    await load(rows());
    await tamper(`delete from audit_events where seq = 31`);
    expect(await verify()).toMatchObject({ ok: false, rows: 30, firstBad: { seq: 32, problem: 'audit event #32: expected #31 next — a row is missing or out of order' } });
    await load(rows());
    await tamper(`delete from audit_events where seq = 60`);
    expect(await verify()).toMatchObject({ ok: false, rows: 59, firstBad: { seq: 61, problem: 'audit event #61: expected #60 next — a row is missing or out of order' } });
  });

  it("prev_hash rewritten at a range's first row is a broken link, found across the boundary", async () => {
    await load(rows());
    await tamper(`update audit_events set prev_hash = repeat('a', 64) where seq = 61`);
    const r = await verify();
    expect(r).toMatchObject({ ok: false, rows: 60, firstBad: { seq: 61 } });
    expect(r.firstBad!.problem).toMatch(/^audit event #61: prev_hash aaaaaaaaaaaa… does not match the previous row's hash [0-9a-f]{12}…/);
  });

  it('the earliest failure wins when several ranges have one', async () => {
    await load(rows());
    await tamper(`update audit_events set subject = 'x' where seq in (40, 75)`);
    expect(await verify()).toMatchObject({ ok: false, rows: 39, firstBad: { seq: 40 } });
    // One in this thread's range and one in a worker's: the workers are stopped early.
    await load(rows());
    await tamper(`update audit_events set subject = 'x' where seq in (12, 88)`);
    expect(await verify()).toMatchObject({ ok: false, rows: 11, firstBad: { seq: 12 } });
  });

  it('more ranges than threads: each thread takes the next range when it is done, the result unchanged', async () => {
    const thirteen = { ...PARALLEL(), rangeRows: 7 };
    await load(rows());
    const threads = new Set<number>();
    expect(await verifyAuditChain(conn.sql, { ...thirteen, onRange: (r) => void threads.add(r.thread) })).toMatchObject({ ok: true, rows: N });
    expect([...threads].sort()).toEqual([0, 1, 2]);
    expect(await verify(thirteen, 13)).toMatchObject({ ok: true, rows: N });
    await tamper(`update audit_events set actor = 'mallory' where seq in (45, 80)`);
    expect(await verify(thirteen, 13)).toMatchObject({ ok: false, rows: 44, firstBad: { seq: 45 } });
    await load(rows());
    await tamper(`delete from audit_events where seq = 64`);
    expect(await verify(thirteen, 13)).toMatchObject({ ok: false, rows: 63, firstBad: { seq: 65, problem: 'audit event #65: expected #64 next — a row is missing or out of order' } });
  });

  it('a row numbered before seq 1 is found (the first range is open below)', async () => {
    const chained = rows();
    await load([chain({ ...chained[0]!, seq: 0 }, GENESIS_HASH), ...chained]);
    expect(await verify()).toMatchObject({ ok: false, rows: 0, firstBad: { seq: 0, problem: 'audit event #0: expected #1 next — a row is missing or out of order' } });
  });

  it('an empty chain verifies', async () => {
    await load([]);
    expect(await verifyAuditChain(conn.sql, PARALLEL())).toMatchObject({ ok: true, rows: 0, firstBad: null });
  });

  it('rows sealed while it runs are not seen by any range: all of them read one snapshot', async () => {
    const chained = rows();
    await load(chained);
    const extra = chain({ ...chained[N - 1]!, seq: N + 1 }, chained[N - 1]!.hash);
    const broken = { ...extra, hash: 'b'.repeat(64) };
    // Committed after the snapshot was taken and before the ranges start reading.
    const sealMeanwhile = async () => {
      await conn.sql`insert into audit_events (seq, occurred_at, actor, action, incident_id, subject, data, prev_hash, hash)
        values (${broken.seq}, ${broken.occurredAt.toISOString()}::timestamptz, ${broken.actor}, ${broken.action}, ${broken.incidentId}, ${broken.subject}, ${JSON.stringify(broken.data)}::text::jsonb, ${broken.prevHash}, ${broken.hash})`;
    };
    expect(await verifyAuditChain(conn.sql, { ...PARALLEL(), onPlan: sealMeanwhile })).toMatchObject({ ok: true, rows: N });
    // The next run sees it.
    expect(await verifyAuditChain(conn.sql, PARALLEL())).toMatchObject({ ok: false, rows: N, firstBad: { seq: N + 1 } });
  });

  it('a worker that cannot connect fails the run with its reason, and leaves the connection usable', async () => {
    await load(rows());
    const nowhere = 'postgres://postgres@127.0.0.1:1/nowhere';
    await expect(verifyAuditChain(conn.sql, { ...PARALLEL(), url: nowhere })).rejects.toThrow(/^audit verify, worker [12] of 2: .*ECONNREFUSED/);
    expect(await verify()).toMatchObject({ ok: true, rows: N });
  });

  it('compiled (dist/, plain Node, as production runs) the workers start from the .js files', async () => {
    await load(rows());
    const entry = pathToFileURL(`${process.cwd()}/dist/adapters/postgres/audit-verify.js`).href;
    const code = `
      import postgres from 'postgres';
      const { verifyAuditChain } = await import(${JSON.stringify(entry)});
      const sql = postgres(${JSON.stringify(conn.url)}, { max: 1, onnotice: () => {} });
      let plan = null;
      const threads = new Set();
      const r = await verifyAuditChain(sql, { url: ${JSON.stringify(conn.url)}, workers: 3, minRowsPerWorker: 10, rangeRows: 7, waitForWorkers: true, onPlan: (p) => { plan = p; }, onRange: (x) => threads.add(x.thread) });
      console.log(JSON.stringify({ plan, threads: [...threads].sort(), ...r }));
      await sql.end();`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', code]);
    expect(JSON.parse(stdout)).toMatchObject({ plan: { workers: 3, ranges: 13 }, threads: [0, 1, 2], ok: true, rows: N });
  });
});

describe('occurred_at as COPY prints it', () => {
  it('is the Date, and the text, the chain hashed: what (extract(epoch) * 1000)::float8 gives, odd years and sub-millisecond fractions included', async () => {
    const literals = [
      '2026-01-05 14:30:00+00',
      '2026-01-05 14:30:00.1+00',
      '2026-01-05 14:30:00.25+00',
      '2026-01-05 14:30:00.999+00',
      '2026-01-05 14:30:00.123456+00',
      '1969-12-31 23:59:59.999+00',
      '1969-12-31 23:59:59.9995+00',
      '1970-01-01 00:00:00.0001+00',
      '1900-02-28 23:00:00+00',
      '0050-03-01 12:00:00.123+00',
      '0099-12-31 23:59:59+00',
      '0001-01-01 00:00:00+00',
      '9999-12-31 23:59:59.999+00',
      '0001-01-01 00:00:00+00 BC',
      '0044-03-15 10:00:00.5+00 BC',
      '12000-06-01 00:00:00.5+00',
    ];
    const found = await conn.sql.begin(async (tx) => {
      await tx`set local timezone = 'UTC'`;
      await tx`set local datestyle = 'ISO, MDY'`;
      return tx<Array<{ text: string; ms: number }>>`
        select t::text as text, (extract(epoch from t) * 1000)::float8 as ms
        from jsonb_array_elements_text(${JSON.stringify(literals)}::text::jsonb) as e(v), lateral (select v::timestamptz as t) x`;
    });
    expect(found).toHaveLength(literals.length);
    for (const { text, ms } of found) {
      const hashed = new Date(ms).toISOString();
      expect([text, parseTimestamptz(text).toISOString(), isoTimestamp(text)]).toEqual([text, hashed, hashed]);
    }
  });
});
