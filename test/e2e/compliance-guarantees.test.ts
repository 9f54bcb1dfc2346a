import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { shortPolicyYaml } from '../support/short-policy.js';

const ET = 'America/New_York';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let h: Harness;
let start: DateTime;

beforeAll(async () => {
  start = DateTime.now().setZone(ET);
  const at = (s: number) => start.plus({ seconds: s }).toFormat('HH:mm:ss');
  h = await startHarness({
    policyYaml: shortPolicyYaml((p) => {
      p.compliance = {
        digest_at: '23:59:59',
        tasks: [
          // Far enough ahead that a slow start on a loaded CI box does not reach them.
          { id: 'cat-report', title: 'FINRA CAT reporting', owner: 'compliance', kind: 'automated', days: 'every-day', opens: at(15), due: at(90) },
          { id: 'eod-report', title: 'End-of-day trade report', owner: 'operations', kind: 'automated', days: 'every-day', opens: at(25), due: at(90) },
        ],
      };
    }),
  });
});
afterAll(async () => {
  await h?.stop();
});

const cards = (title: string) => h.slack.channel('compliance')!.messages.filter((m) => m.blocks?.[0]?.text?.text?.startsWith(title));

describe('compliance reminders survive replicas, Redis loss and downtime', () => {
  it('three processes and a Redis flush before opening: the card is posted once', { timeout: 60_000 }, async () => {
    const replica = await h.startReplica();
    const third = await h.startReplica();
    try {
      expect(cards('FINRA CAT reporting')).toHaveLength(0);
      expect(await h.flushRedis()).toBeGreaterThan(0);
      const opens = start.plus({ seconds: 15 }).toMillis();
      await h.slack.waitFor(() => cards('FINRA CAT reporting').length > 0, Math.max(0, opens - Date.now()) + 10_000, 'card after flush');
      await sleep(1500);
      expect(cards('FINRA CAT reporting')).toHaveLength(1);
    } finally {
      await replica.stop();
      await third.stop();
    }
  });

  it('a card due while the bot was down is posted on recovery, marked late', { timeout: 60_000 }, async () => {
    await h.restartBot({ workers: false });
    const opens = start.plus({ seconds: 25 });
    await sleep(Math.max(0, opens.toMillis() - Date.now()) + 6000);
    expect(cards('End-of-day trade report')).toHaveLength(0);
    await h.restartBot({ workers: true });
    await h.slack.waitFor(() => cards('End-of-day trade report').length > 0, 15_000, 'card on recovery').catch(async (err: Error) => {
      const state = await h.sql`select task_id, status, opens_at, opened_at from compliance_runs`;
      const work = await h.sql`select kind, status, attempts, last_error from work_items where kind like 'compliance%'`;
      throw new Error(`${err.message}\nruns: ${JSON.stringify(state)}\nwork: ${JSON.stringify(work)}`);
    });
    expect(JSON.stringify(cards('End-of-day trade report')[0]!.blocks)).toMatch(/:warning: Posted \d+ s late \(opened at \d\d:\d\d:\d\d ET; the bot was not running\)/);
    const [row] = await h.sql`select data->>'late_ms' as late from audit_events where action = 'compliance.opened' and subject like 'eod-report/%'`;
    expect(Number(row!['late'])).toBeGreaterThan(5000);
  });
});
