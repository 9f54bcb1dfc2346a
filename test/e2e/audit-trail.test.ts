import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidentIdFrom, sign, startHarness, USERS, type Harness } from '../support/harness.js';

const run = promisify(execFile);
let h: Harness;

async function auditVerify(): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run('npx', ['tsx', 'scripts/audit-verify.ts'], { env: { ...process.env, DATABASE_URL: h.dbUrl } });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

beforeAll(async () => {
  h = await startHarness();
  for (const title of ['Market data feed stale', 'Clearing file late', 'Mobile login errors']) {
    const id = incidentIdFrom(await h.command('/incident', `sev3 ${title}`, { user: USERS.carol }));
    await h.warRoomReady(id);
  }
  await h.sealed();
});
afterAll(async () => {
  await h?.stop();
});

describe('audit trail', () => {
  it('is a hash chain that audit:verify accepts', async () => {
    const rows = await h.sql`select seq, prev_hash, hash from audit_events order by seq`;
    expect(rows.length).toBeGreaterThanOrEqual(6);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!['prev_hash']).toBe(rows[i - 1]!['hash']);
    const r = await auditVerify();
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/audit chain OK: \d+ events verified/);
  });

  it('refuses UPDATE, DELETE and TRUNCATE', async () => {
    await expect(h.sql`update audit_events set actor = 'mallory' where seq = 1`).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(h.sql`delete from audit_events where seq = 1`).rejects.toThrow(/append-only: DELETE refused/);
    await expect(h.sql`truncate audit_events`).rejects.toThrow(/append-only: TRUNCATE refused/);
  });

  it('concurrent writers still form one chain', async () => {
    const acks = await Promise.all(Array.from({ length: 8 }, (_, i) => h.command('/incident', `sev4 Concurrent ${i}`)));
    expect(acks.every((a) => a.status === 200)).toBe(true);
    await h.sealed();
    const declared = await h.sql`select seq from audit_events where action = 'incident.declared' and data->>'title' like 'Concurrent %'`;
    expect(declared).toHaveLength(8);
    const r = await auditVerify();
    expect(r.code).toBe(0);
  });

  it('names the first altered row when someone rewrites history with triggers disabled', async () => {
    const [original] = await h.sql`select data from audit_events where seq = 2`;
    const setData = (data: unknown) =>
      h.sql.begin(async (tx) => {
        await tx`alter table audit_events disable trigger user`;
        await tx`update audit_events set data = ${tx.json(data as never)} where seq = 2`;
        await tx`alter table audit_events enable trigger user`;
      });
    await setData({ ...original!['data'], title: 'nothing happened' });
    const r = await auditVerify();
    expect(r.code).toBe(1);
    expect(r.out).toContain('audit event #2: its content does not match its hash');
    await setData(original!['data']);
    expect((await auditVerify()).code).toBe(0);
  });
});

describe('tampering with rows', () => {
  async function tamper(sql: string): Promise<void> {
    await h.sql.begin(async (tx) => {
      await tx`alter table audit_events disable trigger user`;
      await tx.unsafe(sql);
      await tx`alter table audit_events enable trigger user`;
    });
  }

  it('a deleted row is found by audit:verify, which names where the chain breaks', async () => {
    await h.sql`create table audit_backup as select * from audit_events`;
    try {
      await tamper(`delete from audit_events where seq = 3`);
      const r = await auditVerify();
      expect(r.code).toBe(1);
      expect(r.out).toContain('audit event #4: expected #3 next — a row is missing or out of order');
    } finally {
      await tamper(`insert into audit_events select * from audit_backup b where not exists (select 1 from audit_events a where a.seq = b.seq)`);
    }
    expect((await auditVerify()).code).toBe(0);
  });

  it('reordered rows are found', async () => {
    await tamper(`update audit_events set seq = -1 where seq = 4; update audit_events set seq = 4 where seq = 5; update audit_events set seq = 5 where seq = -1`);
    const r = await auditVerify();
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/audit event #4: prev_hash .* does not match the previous row's hash/);
  });
});

describe('request signing', () => {
  it('answers a bad signature with 401 and records nothing', async () => {
    const body = new URLSearchParams({ command: '/incident', text: 'sev1 forged', user_id: USERS.alice, channel_id: 'C1', trigger_id: 'forged-1' }).toString();
    const headers = sign(body, 'not-the-secret');
    const res = await fetch(`${h.bot.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
    expect(res.status).toBe(401);
    const n = (await h.sql`select count(*)::int as n from incidents where title = 'forged'`)[0]!['n'];
    expect(n).toBe(0);
  });
});

describe('health', () => {
  it('serves /healthz and /readyz', async () => {
    expect((await fetch(`${h.bot.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${h.bot.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok', slack: 'ok' } });
  });
});
