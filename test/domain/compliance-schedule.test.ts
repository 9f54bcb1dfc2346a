import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../../src/config/policy-schema.js';
import { planRuns, runOutcome } from '../../src/domain/compliance-schedule.js';
import { MarketCalendar } from '../../src/domain/market-calendar.js';

const policy = loadPolicy(undefined);
const calendar = new MarketCalendar(policy.calendar);
const ET = 'America/New_York';
const local = (d: Date) => DateTime.fromJSDate(d, { zone: ET }).toFormat('yyyy-MM-dd HH:mm');

describe('the compliance planner', () => {
  it('Thanksgiving week 2026: no runs on the holiday or the weekend; the early close moves the end-of-day report', () => {
    const runs = planRuns(policy.compliance.tasks, calendar, ET, '2026-11-23', 7);
    const dates = [...new Set(runs.map((r) => r.date))];
    expect(dates).toEqual(['2026-11-23', '2026-11-24', '2026-11-25', '2026-11-27']);
    expect(runs.filter((r) => r.date === '2026-11-25')).toHaveLength(5);
    const eod = (date: string) => runs.find((r) => r.taskId === 'eod-trade-report' && r.date === date)!;
    expect([local(eod('2026-11-25').opensAt), local(eod('2026-11-25').dueAt)]).toEqual(['2026-11-25 16:30', '2026-11-25 17:30']);
    expect([local(eod('2026-11-27').opensAt), local(eod('2026-11-27').dueAt)]).toEqual(['2026-11-27 13:30', '2026-11-27 14:30']);
    const nscc = runs.find((r) => r.taskId === 'nscc-settlement' && r.date === '2026-11-27')!;
    expect([local(nscc.opensAt), local(nscc.warnAt), local(nscc.dueAt)]).toEqual(['2026-11-27 02:00', '2026-11-27 02:45', '2026-11-27 03:00']);
  });

  it('runs are in opening order', () => {
    const runs = planRuns(policy.compliance.tasks, calendar, ET, '2026-12-02', 1);
    expect(runs.map((r) => r.taskId)).toEqual(['nscc-settlement', 'finra-cat', 'options-risk', 'eod-trade-report', 'regulatory-filing-check']);
  });

  it('a 02:00 every-day task exists exactly once on both DST change days', () => {
    const task = { ...policy.compliance.tasks[0]!, days: 'every-day' as const };
    for (const [from, expected] of [
      ['2026-03-08', '2026-03-08T07:00:00.000Z'], // 02:00 does not exist: 03:00 EDT
      ['2026-11-01', '2026-11-01T07:00:00.000Z'], // 02:00 EST (01:00–02:00 happens twice, 02:00 once)
    ] as const) {
      const runs = planRuns([task], calendar, ET, from, 1);
      expect(runs).toHaveLength(1);
      expect(runs[0]!.opensAt.toISOString()).toBe(expected);
    }
    // And the day after the spring change, 02:00 is 06:00Z again.
    expect(planRuns([task], calendar, ET, '2026-03-09', 1)[0]!.opensAt.toISOString()).toBe('2026-03-09T06:00:00.000Z');
  });

  it('weekdays tasks run on holidays; trading-days tasks do not', () => {
    const task = { ...policy.compliance.tasks[4]!, days: 'weekdays' as const };
    expect(planRuns([task], calendar, ET, '2026-11-26', 1)).toHaveLength(1);
    expect(planRuns([policy.compliance.tasks[4]!], calendar, ET, '2026-11-26', 1)).toHaveLength(0);
  });

  it('outcomes: on time, late, missed, open', () => {
    const due = new Date('2026-12-02T08:00:00Z');
    expect(runOutcome({ status: 'done', dueAt: due, doneAt: new Date('2026-12-02T07:59:00Z') })).toBe('on time');
    expect(runOutcome({ status: 'done', dueAt: due, doneAt: new Date('2026-12-02T08:12:00Z') })).toBe('late');
    expect(runOutcome({ status: 'missed', dueAt: due, doneAt: null })).toBe('missed');
    expect(runOutcome({ status: 'open', dueAt: due, doneAt: null })).toBe('open');
  });
});
