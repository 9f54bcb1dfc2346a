import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { shortPolicyYaml } from '../support/short-policy.js';
import { localTime, startOfLocalTimeWindow, windowWaitBoundMs } from '../support/instants.js';
import { nothingMoreWithin, TIMER_GRACE_MS } from '../support/quiet.js';
import { LATE_NOTICE_AFTER_MS } from '../../src/adapters/slack/blocks.js';

/** Every task time below is within this many seconds of the start, on one ET date. */
const SPAN_S = 90;
let h: Harness;
let start: DateTime;

beforeAll(async () => {
  start = await startOfLocalTimeWindow(SPAN_S);
  const at = (s: number) => localTime(start, s);
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
}, windowWaitBoundMs(SPAN_S) + 60_000);
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
      await nothingMoreWithin(TIMER_GRACE_MS, 'a second card from another replica');
      expect(cards('FINRA CAT reporting')).toHaveLength(1);
    } finally {
      await replica.stop();
      await third.stop();
    }
  });

  it('a card due while the bot was down is posted on recovery, marked late', { timeout: 60_000 }, async () => {
    await h.restartBot({ workers: false });
    const opens = start.plus({ seconds: 25 });
    // No worker runs until the card is overdue enough to be marked late: none may appear meanwhile.
    await nothingMoreWithin(Math.max(0, opens.toMillis() - Date.now()) + LATE_NOTICE_AFTER_MS + TIMER_GRACE_MS, 'a card with no worker running');
    expect(cards('End-of-day trade report')).toHaveLength(0);
    await h.restartBot({ workers: true });
    await h.slack.waitFor(() => cards('End-of-day trade report').length > 0, 15_000, 'card on recovery').catch(async (err: Error) => {
      const state = await h.sql`select task_id, status, opens_at, opened_at from compliance_runs`;
      const work = await h.sql`select kind, status, attempts, last_error from work_items where kind like 'compliance%'`;
      throw new Error(`${err.message}\nruns: ${JSON.stringify(state)}\nwork: ${JSON.stringify(work)}`);
    });
    expect(JSON.stringify(cards('End-of-day trade report')[0]!.blocks)).toMatch(/:warning: Posted \d+ s late \(opened at \d\d:\d\d:\d\d ET; the bot was not running\)/);
    const [row] = await h.sql`select data->>'late_ms' as late from audit_trail where action = 'compliance.opened' and subject like 'eod-report/%'`;
    expect(Number(row!['late'])).toBeGreaterThan(LATE_NOTICE_AFTER_MS);
  });
});
