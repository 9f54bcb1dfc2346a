import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { pollUntil } from '../../src/sandbox/listen.js';
import { TIMER_QUEUE } from '../../src/adapters/queue/timer-queue.js';
import { REDIS_URL } from '../support/databases.js';
import { WAR_ROOM_WAIT, warRoomWaitMs, warRoomWaitTotalMs } from '../../src/app/war-room-posts.js';
import { useHarness } from '../support/harness.js';

const h = useHarness();

const waitFor = <T>(probe: () => Promise<T | null | undefined | false>, what: string) => pollUntil('job-catalog test', probe, 10_000, what, () => []);
const incidentsChannel = () => h.slack.channel(h.policy.channels.announcements)!;

describe('a job whose payload does not match its kind', () => {
  it('planted in work_items: rejected on its first start, audited, shown in #incidents, never retried', async () => {
    // Older than the reconciler's grace period, so it is queued at its next pass (as after a crash).
    const [row] = await h.sql`
      insert into work_items (kind, dedupe_key, payload, created_at)
      values ('incident.notice', 'planted-bad-notice', ${h.sql.json({ incidentId: 'INC-1', where: 'war-room', text: 'xoxb-secret-in-text' })}, now() - interval '1 minute')
      returning id`;
    const done = await waitFor(async () => {
      const [r] = await h.sql`select status, attempts, last_error from work_items where id = ${row!['id']}`;
      return r?.['status'] === 'failed' ? r : null;
    }, 'the planted item failed');
    expect(done['attempts']).toBe(1);
    expect(done['last_error']).toMatch(/incident\.notice.*incidentId invalid_type/);

    // Recorded failed first, then reported.
    await waitFor(async () => (await h.sql`select 1 from audit_trail where action = 'job.rejected' and subject = 'planted-bad-notice'`)[0], 'job.rejected audited');
    const audits = await h.sql`select data from audit_trail where action = 'job.rejected' and subject = 'planted-bad-notice'`;
    expect(audits).toHaveLength(1);
    expect(audits[0]!['data']).toEqual({ queue: 'work', kind: 'incident.notice', issues: [{ path: 'incidentId', code: 'invalid_type' }] });
    expect(JSON.stringify(audits[0]!['data'])).not.toContain('secret');

    const shown = await h.slack.waitFor(() => incidentsChannel().messages.find((m) => m.text.includes('planted-bad-notice')), 8000, 'rejection shown in #incidents');
    expect(shown.text).toContain('`incident.notice`');
    expect(shown.text).not.toContain('secret');
    // The item is failed in Postgres: no reconciler pass or worker can start it again.
    await h.bot.queue.reconcile();
    expect((await h.sql`select attempts from work_items where id = ${row!['id']}`)[0]!['attempts']).toBe(1);
    expect(h.logs.filter((l) => l.includes('planted-bad-notice') && l.includes('will retry'))).toEqual([]);
  });

  it('an unknown kind is rejected the same way', async () => {
    await h.sql`insert into work_items (kind, dedupe_key, payload, created_at) values ('incident.teleport', 'planted-unknown-kind', ${h.sql.json({ incidentId: 1 })}, now() - interval '1 minute')`;
    await waitFor(async () => (await h.sql`select 1 from audit_trail where action = 'job.rejected' and subject = 'planted-unknown-kind'`)[0], 'rejected');
    const [r] = await h.sql`select status, attempts from work_items where dedupe_key = 'planted-unknown-kind'`;
    expect(r).toEqual({ status: 'failed', attempts: 1 });
  });

  it('planted as a BullMQ timer: rejected on its first run, audited, shown, not retried', async () => {
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue(TIMER_QUEUE, { connection, prefix: h.redisPrefix });
    try {
      const jobId = 'planted-bad-timer';
      await queue.add('esc-step', { kind: 'esc-step', stepId: 'seven', at: Date.now() }, { jobId, attempts: 6, backoff: { type: 'exponential', delay: 100 }, removeOnComplete: true, removeOnFail: false });
      await waitFor(async () => (await queue.getJob(jobId))?.failedReason, 'the planted timer failed');
      const failed = (await queue.getJob(jobId))!;
      expect(await failed.getState()).toBe('failed');
      // Started once; a retry would have left it delayed with a second start to come.
      expect(failed.attemptsStarted).toBe(1);
      const audits = await h.sql`select data from audit_trail where action = 'job.rejected' and subject = ${jobId}`;
      expect(audits.map((a) => a['data'])).toEqual([{ queue: 'timers', kind: 'esc-step', issues: [{ path: 'stepId', code: 'invalid_type' }] }]);
      await h.slack.waitFor(() => incidentsChannel().messages.find((m) => m.text.includes(jobId)), 8000, 'timer rejection shown in #incidents');
      expect(h.logs.filter((l) => l.includes(jobId) && l.includes('will retry'))).toEqual([]);
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });
});

describe('a notice for a war room that is not built yet', () => {
  /** An incident whose war room nobody is building (its setup job is not queued). */
  async function roomless(title: string): Promise<number> {
    const [r] = await h.sql`insert into incidents (request_key, title, severity, declared_by, declared_at) values (${`planted-${title}`}, ${title}, 'sev4', 'UALICE01', now()) returning id`;
    return Number(r!['id']);
  }
  const plantNotice = (incidentId: number, key: string, attempts: number) =>
    h.sql`insert into work_items (kind, dedupe_key, payload, attempts, created_at)
          values ('incident.notice', ${key}, ${h.sql.json({ incidentId, where: 'war-room', text: `Update for ${key}` })}, ${attempts}, now() - interval '1 minute')`;
  const itemOf = (key: string) => h.sql`select status, attempts from work_items where dedupe_key = ${key}`.then((r) => r[0]);

  it('waits with backoff, then gives up after its last start: posted in #incidents instead, audited', async () => {
    const id = await roomless('Room never built');
    // The notice has already waited all but its last start (each start before waited 0.5 s … 60 s).
    await plantNotice(id, 'wait-give-up', WAR_ROOM_WAIT.starts - 1);
    const shown = await h.slack.waitFor(() => incidentsChannel().messages.find((m) => m.text.includes('Update for wait-give-up')), 8000, 'the notice shown in #incidents');
    expect(shown.text).toContain(`An update for INC-${id} could not be posted in its war room`);
    expect(shown.text).toContain('still not set up after 18 min');
    await waitFor(async () => (await itemOf('wait-give-up'))?.['status'] === 'failed', 'notice failed for good');
    expect(await itemOf('wait-give-up')).toEqual({ status: 'failed', attempts: WAR_ROOM_WAIT.starts });
    await waitFor(async () => (await h.sql`select 1 from audit_trail where action = 'notice.undelivered' and subject = 'wait-give-up'`)[0], 'audited');
  });

  it('keeps waiting while the room may still come, and gives up at once when its setup is declared failed', async () => {
    const id = await roomless('Room setup fails later');
    await plantNotice(id, 'wait-setup-failed', 0);
    // It is started, finds no room, and waits (pending, not failed) with growing pauses.
    await waitFor(async () => Number((await itemOf('wait-setup-failed'))?.['attempts']) >= 3, 'a few starts');
    expect((await itemOf('wait-setup-failed'))?.['status']).toBe('pending');
    expect(incidentsChannel().messages.some((m) => m.text.includes('Update for wait-setup-failed'))).toBe(false);
    await h.sql`update incidents set failed_at = now() where id = ${id}`;
    await h.slack.waitFor(() => incidentsChannel().messages.find((m) => m.text.includes('Update for wait-setup-failed') && m.text.includes('has no war room')), 15_000, 'the notice shown in #incidents');
    expect((await itemOf('wait-setup-failed'))?.['status']).toBe('failed');
  });

  it('the waits double from 0.5 s to a 60 s cap and end after about 18 minutes', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((a) => warRoomWaitMs(a))).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 32_000, 60_000]);
    expect(warRoomWaitMs(WAR_ROOM_WAIT.starts - 1)).toBe(60_000);
    expect(warRoomWaitMs(WAR_ROOM_WAIT.starts)).toBeNull();
    expect(warRoomWaitTotalMs()).toBe(500 + 1000 + 2000 + 4000 + 8000 + 16_000 + 32_000 + 60_000 * 17);
  });
});
