import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/config/policy-schema.js';
import { startHarness, type Harness } from '../support/harness.js';
import { shortPolicyYaml } from '../support/short-policy.js';

/**
 * `/compliance <task-id>` lists the task's last 10 runs, as the README and docs/compliance.md say:
 * runs that have begun, newest first, never the runs planned for the coming days. Dates come from
 * the real clock (days before and after today), so the test holds on any date and at any hour.
 */
let h: Harness;
let today: DateTime;

beforeAll(async () => {
  h = await startHarness();
  today = DateTime.now().setZone(h.policy.timezone).startOf('day');
});
afterAll(async () => {
  await h?.stop();
});

async function insertRun(task: string, day: DateTime, status: 'done' | 'missed' | 'scheduled'): Promise<void> {
  const opens = day.set({ hour: 6 }).toJSDate();
  const due = day.set({ hour: 7 }).toJSDate();
  const done = status === 'done' ? due : null;
  await h.sql`
    insert into compliance_runs (task_id, date, opens_at, warn_at, due_at, status, opened_at, missed_at, done_at, done_by)
    values (${task}, ${day.toISODate()!}, ${opens}, ${due}, ${due}, ${status}, ${status === 'scheduled' ? null : opens}, ${status === 'missed' ? due : null}, ${done}, ${done ? 'token:ci' : null})
    on conflict do nothing`;
}

const datesListed = (text: string) => [...text.matchAll(/ (\d{4}-\d{2}-\d{2}) \*/g)].map((m) => m[1]!);

describe('/compliance <task-id>', () => {
  it('lists the last 10 runs that have begun, newest first, and none planned ahead', async () => {
    // Twelve past days (4 to 15 days ago) and three planned ones well after the planner's horizon.
    for (let d = 4; d <= 15; d++) await insertRun('finra-cat', today.minus({ days: d }), d % 3 === 0 ? 'missed' : 'done');
    for (let d = 20; d <= 22; d++) await insertRun('finra-cat', today.plus({ days: d }), 'scheduled');

    const r = await h.command('/compliance', 'finra-cat');
    expect(r.body.response_type).toBe('ephemeral');
    expect(r.body.text).toContain('*FINRA CAT reporting* — last 10 runs:');
    const dates = datesListed(r.body.text);
    expect(dates).toHaveLength(10);
    expect([...dates].sort().reverse()).toEqual(dates); // newest first
    expect(dates.every((d) => d <= today.toISODate()!)).toBe(true); // nothing planned ahead
    // A run still "scheduled" is listed only when its opening time has passed (today's, not yet opened).
    const scheduled = r.body.text.split('\n').filter((l: string) => l.startsWith(':white_circle:'));
    for (const line of scheduled) expect(line).toContain(` ${today.toISODate()} *`);
    // The past days inserted, newest first (today's run, if it has begun, may come before them).
    const past = Array.from({ length: 12 }, (_, i) => today.minus({ days: 4 + i }).toISODate()!);
    const listedPast = dates.filter((d) => past.includes(d));
    expect(listedPast).toEqual(past.slice(0, listedPast.length));
    expect(listedPast.length).toBeGreaterThanOrEqual(9);
    expect(dates).not.toContain(past[11]);
    expect(r.body.text).toMatch(/:red_circle: \d{4}-\d{2}-\d{2} \*FINRA CAT reporting\* — missed/);
  });

  it('says "last run" for one, and "no runs yet" when only planned runs exist', async () => {
    await insertRun('options-risk', today.minus({ days: 5 }), 'done');
    const one = await h.command('/compliance', 'options-risk');
    const dates = datesListed(one.body.text);
    // Today's run of the task may have begun already, depending on the hour.
    if (dates.length === 1) expect(one.body.text).toContain('*Options risk report* — last run:');
    else expect(one.body.text).toContain(`— last ${dates.length} runs:`);
    expect(dates.at(-1)).toBe(today.minus({ days: 5 }).toISODate());

    // Only planned runs for this task (the planner's next days, and three far ahead): none is history.
    for (let d = 20; d <= 22; d++) await insertRun('regulatory-filing-check', today.plus({ days: d }), 'scheduled');
    const none = await h.command('/compliance', 'regulatory-filing-check');
    const listed = datesListed(none.body.text);
    expect(listed.every((d) => d <= today.toISODate()!)).toBe(true);
    if (listed.length === 0) expect(none.body.text).toContain('*Regulatory filing check*: no runs yet.');
  });
});

describe('task times', () => {
  it('accept HH:MM and HH:MM:SS, and the error says so', () => {
    const policy = (opens: string) =>
      shortPolicyYaml((p) => {
        p.compliance.tasks = [{ id: 't', title: 'T', owner: 'compliance', opens, due: '23:00' }];
      });
    expect(parsePolicy(policy('06:00'), 'test').compliance.tasks[0]!.id).toBe('t');
    expect(parsePolicy(policy('06:00:30'), 'test').compliance.tasks[0]!.id).toBe('t');
    expect(() => parsePolicy(policy('6 am'), 'test')).toThrow(/HH:MM or HH:MM:SS/);
    expect(() => parsePolicy(policy('24:00'), 'test')).toThrow(/HH:MM or HH:MM:SS/);
  });
});
