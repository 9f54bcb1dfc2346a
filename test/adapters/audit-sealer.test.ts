import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { appendAudit, AuditBatcher } from '../../src/adapters/postgres/audit-log.js';
import { verifyAuditChain } from '../../src/adapters/postgres/audit-verify.js';
import { AuditSealer, SealerThread, sealBatch } from '../../src/adapters/postgres/audit-sealer.js';
import { connectSingle } from '../../src/adapters/postgres/database.js';
import { pollUntil } from '../../src/sandbox/listen.js';
import { useDatabase } from '../support/use-database.js';
import { nothingMoreWithin, SEAL_ROUND_MS } from '../support/quiet.js';

/**
 * The audit inbox and its sealer against real Postgres: the chain is built after the fact, in a
 * defined order, and a transaction that commits late is neither skipped nor sealed out of order.
 */
const log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const conn = useDatabase(12);


const entry = (subject: string) => ({ actor: 'tester', action: 'test.event', incidentId: null, subject, data: { subject, n: [1, 2.5, 'x'] } });
const chainSubjects = async () => (await conn.sql<Array<{ subject: string }>>`select subject from audit_events order by seq`).map((r) => r.subject);
const inbox = async () => (await conn.sql<Array<{ n: number }>>`select count(*)::int as n from audit_inbox`)[0]!.n;

/** Seals until the inbox is empty (other databases' transactions on this server may hold the horizon back a moment). */
async function sealAll(): Promise<void> {
  await pollUntil('sealer test', async () => {
    await sealBatch(conn.sql);
    return (await inbox()) === 0;
  }, 20_000, 'the inbox sealed', () => []);
}

describe('the sealer', () => {
  it('stamps each event with its commit time: the sealing lag counts from the commit, not from the insert', async () => {
    await sealAll();
    // A transaction that goes on for 100 ms after writing its event (pg_sleep builds the
    // scenario inside Postgres; nothing here waits for it to happen).
    await conn.sql.begin(async (tx) => {
      await tx`insert into audit_inbox (occurred_at, actor, action, subject, data) values (now(), 'tester', 'test.event', 'stamped', '{}')`;
      await tx`select pg_sleep(0.1)`;
    });
    const [stamped] = await conn.sql<Array<{ gap_ms: number; ord: string | null }>>`select (extract(epoch from committed_at - inserted_at) * 1000)::float8 as gap_ms, ord from audit_inbox where subject = 'stamped'`;
    expect(stamped!.ord).not.toBeNull();
    expect(stamped!.gap_ms).toBeGreaterThanOrEqual(99);
    await sealAll();
  });

  it('a transaction numbered before another but committing after it is neither skipped nor sealed out of order: the sealer waits for it', async () => {
    await sealAll();
    const before = (await chainSubjects()).length;
    // A's event is numbered now (its trigger made immediate), but A commits only later.
    const a = await conn.sql.reserve();
    let sealing: Promise<number> | null = null;
    try {
      await a`begin`;
      await a`set constraints audit_inbox_numbered immediate`;
      await a`insert into audit_inbox (occurred_at, actor, action, subject, data) values (now(), 'tester', 'test.event', 'late-A', '{"who":"A"}')`;
      // B is numbered after A and commits first.
      await conn.db.transaction((tx) => appendAudit(tx, entry('early-B'), new Date()));
      let done = false;
      sealing = sealBatch(conn.sql).finally(() => (done = true));
      await nothingMoreWithin(SEAL_ROUND_MS, 'a sealing round while A is numbered and uncommitted');
      expect(done).toBe(false);
      expect((await chainSubjects()).slice(before)).toEqual([]);
      await a`commit`;
    } finally {
      a.release();
    }
    await sealing;
    await sealAll();
    expect((await chainSubjects()).slice(before)).toEqual(['late-A', 'early-B']);
    const v = await verifyAuditChain(conn.sql);
    expect(v).toMatchObject({ ok: true, unsealed: { count: 0 } });
  });

  it('commit order, not start order: a change made after another under the same row lock is chained after it', async () => {
    await sealAll();
    const before = (await chainSubjects()).length;
    await conn.sql`create table if not exists sealer_test_row (id int primary key, holder text)`;
    await conn.sql`insert into sealer_test_row values (1, null) on conflict do nothing`;
    const late = await conn.sql.reserve();
    try {
      // "late" starts writing first (an audit event of its own), but changes the row second.
      await late`begin`;
      await late`insert into audit_inbox (occurred_at, actor, action, subject) values (now(), 'tester', 'test.event', 'started-first')`;
      await conn.sql.begin(async (tx) => {
        await tx`update sealer_test_row set holder = 'early' where id = 1`;
        await tx`insert into audit_inbox (occurred_at, actor, action, subject) values (now(), 'tester', 'test.event', 'changed-the-row-first')`;
      });
      await late`update sealer_test_row set holder = 'late' where id = 1`;
      await late`commit`;
    } finally {
      late.release();
    }
    await sealAll();
    expect((await chainSubjects()).slice(before)).toEqual(['changed-the-row-first', 'started-first']);
  });

  it('a rolled-back transaction leaves nothing to seal and no gap in the chain', async () => {
    await sealAll();
    await expect(
      conn.db.transaction(async (tx) => {
        await appendAudit(tx, entry('rolled-back'), new Date());
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await conn.db.transaction((tx) => appendAudit(tx, entry('kept'), new Date()));
    await sealAll();
    const subjects = await chainSubjects();
    expect(subjects).toContain('kept');
    expect(subjects).not.toContain('rolled-back');
    const seqs = (await conn.sql<Array<{ seq: string }>>`select seq from audit_events order by seq`).map((r) => Number(r.seq));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });

  it('three replicas: one is elected and seals; the chain is single and complete under 8 concurrent writers; another takes over when it stops', async () => {
    await sealAll();
    const before = (await chainSubjects()).length;
    const replicas = [0, 1, 2].map(() => ({ sql: postgres(conn.url, { max: 3, fetch_types: false, onnotice: () => {} }), lock: connectSingle(conn.url) }));
    const sealers = replicas.map((r) => new AuditSealer(r.sql, r.lock, { log, everyMs: 20, electEveryMs: 50 }));
    try {
      for (const s of sealers) s.start();
      await pollUntil('sealer test', () => sealers.some((s) => s.isLeader), 5000, 'a sealer elected', () => []);
      const writes = 8 * 60;
      await Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          for (let i = 0; i < writes / 8; i++) await conn.db.transaction((tx) => appendAudit(tx, entry(`w${w}-${i}`), new Date()));
        }),
      );
      await pollUntil('sealer test', async () => (await inbox()) === 0, 20_000, 'all sealed by the replicas', () => []);
      expect(sealers.filter((s) => s.isLeader)).toHaveLength(1);
      const sealed = (await chainSubjects()).slice(before);
      expect(sealed).toHaveLength(writes);
      expect(new Set(sealed).size).toBe(writes);
      // Each writer's events in the order it wrote them (its transactions are sequential).
      for (let w = 0; w < 8; w++) expect(sealed.filter((s) => s.startsWith(`w${w}-`))).toEqual(Array.from({ length: writes / 8 }, (_, i) => `w${w}-${i}`));

      // The leader stops (a replica shuts down): another is elected and seals what comes next.
      const leader = sealers.find((s) => s.isLeader)!;
      await leader.stop();
      await pollUntil('sealer test', () => sealers.some((s) => s !== leader && s.isLeader), 5000, 'another sealer elected', () => []);
      await conn.db.transaction((tx) => appendAudit(tx, entry('after-takeover'), new Date()));
      await pollUntil('sealer test', async () => (await inbox()) === 0, 20_000, 'sealed by the new leader', () => []);
      expect((await chainSubjects()).at(-1)).toBe('after-takeover');
      expect(await verifyAuditChain(conn.sql)).toMatchObject({ ok: true, rows: before + writes + 1 });
    } finally {
      for (const s of sealers) await s.stop(false);
      for (const r of replicas) await Promise.all([r.sql.end({ timeout: 5 }), r.lock.end({ timeout: 5 })]);
    }
  });
});

describe('the sealer thread (what each replica runs)', () => {
  it('seals on its own thread and is started again when the thread dies', async () => {
    await sealAll();
    const logged: string[] = [];
    const note = (m?: string) => void logged.push(m ?? '');
    const thread = new SealerThread(conn.url, { log: { debug: () => {}, info: (_o, m) => note(m), warn: (_o, m) => note(m), error: (_o, m) => note(m) }, everyMs: 20, electEveryMs: 50 });
    thread.start();
    try {
      await conn.db.transaction((tx) => appendAudit(tx, entry('by-the-thread'), new Date()));
      await pollUntil('sealer test', async () => (await inbox()) === 0, 10_000, 'sealed by the thread', () => logged);
      expect((await chainSubjects()).at(-1)).toBe('by-the-thread');

      // The thread dies (an uncaught error would end it the same way): it is started again and seals.
      await (thread as unknown as { worker: import('node:worker_threads').Worker }).worker.terminate();
      await conn.db.transaction((tx) => appendAudit(tx, entry('after-restart'), new Date()));
      await pollUntil('sealer test', async () => (await inbox()) === 0, 15_000, 'sealed by the restarted thread', () => logged);
      expect(logged).toContain('audit sealer thread exited; starting it again');
      expect((await chainSubjects()).at(-1)).toBe('after-restart');
    } finally {
      await thread.stop();
    }
    expect(await verifyAuditChain(conn.sql)).toMatchObject({ ok: true });
  });
});

describe('the audit batcher (deploy-gate answers)', () => {
  it('each caller returns only once its own event is committed; concurrent ones share commits; a failed insert fails all of its batch', async () => {
    const batcher = new AuditBatcher(conn.db);
    const subjects = Array.from({ length: 200 }, (_, i) => `gate-${i}`);
    const seen = await Promise.all(
      subjects.map(async (s) => {
        await batcher.append(entry(s), new Date());
        // Committed by the time append resolves: a fresh connection sees it.
        return (await conn.sql`select 1 from audit_trail where subject = ${s}`).length;
      }),
    );
    expect(seen.every((n) => n === 1)).toBe(true);
    await sealAll();
    expect(new Set((await chainSubjects()).filter((s) => s.startsWith('gate-'))).size).toBe(200);

    // An event the database refuses (actor is NOT NULL) fails its batch: no caller is told it was recorded.
    const bad = { ...entry('refused'), actor: null as unknown as string };
    const results = await Promise.allSettled([batcher.append(bad, new Date()), batcher.append(entry('with-refused'), new Date())]);
    expect(results[0]!.status).toBe('rejected');
    const kept = (await conn.sql`select subject from audit_trail where subject in ('refused', 'with-refused')`).map((r) => r['subject']);
    // Either the good one shared the failed batch (rejected, not kept) or it went alone (kept): never reported kept and lost.
    if (results[1]!.status === 'fulfilled') expect(kept).toEqual(['with-refused']);
    else expect(kept).toEqual([]);
  });
});
