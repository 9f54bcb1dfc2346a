import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { nextWholeSecond, waitForOneDate } from '../../scripts/demo/clock.js';
import { DEMO_SPAN_MS, DEMO_TASKS, demoPolicy } from '../../scripts/demo/policy.js';

const ET = 'America/New_York';
const at = (iso: string) => DateTime.fromISO(iso, { zone: ET });
const SPAN = 120_000;

describe("the demo's clock guard: its deadlines never wrap past midnight or a DST change", () => {
  it('waits nothing when the next two minutes stay on one date', () => {
    for (const t of ['2026-12-02T10:42:05', '2026-12-02T00:00:00', '2026-12-02T23:57:59.999', '2026-11-28T12:00:00']) expect(waitForOneDate(at(t), SPAN, ET)).toBe(0);
  });

  it('near midnight ET, waits until one second past it', () => {
    const cases: Array<[string, number]> = [
      ['2026-12-02T23:58:00', 121_000],
      ['2026-12-02T23:59:50', 11_000],
      ['2026-12-31T23:59:59.500', 1_500],
    ];
    for (const [t, wait] of cases) {
      const w = waitForOneDate(at(t), SPAN, ET);
      expect(Math.abs(w - wait)).toBeLessThanOrEqual(1000);
      const after = at(t).plus({ milliseconds: w });
      expect(after.toISODate()).not.toBe(at(t).toISODate());
      expect(waitForOneDate(after, SPAN, ET)).toBe(0);
    }
  });

  it('around a DST change (fall back 2026-11-01, spring forward 2026-03-08), waits until it has passed', () => {
    for (const t of ['2026-11-01T01:59:00-04:00', '2026-03-08T01:59:30-05:00']) {
      const now = DateTime.fromISO(t).setZone(ET);
      const w = waitForOneDate(now, SPAN, ET);
      expect(w).toBeGreaterThan(0);
      expect(w).toBeLessThanOrEqual(SPAN + 1000);
      const after = now.plus({ milliseconds: w });
      expect(after.offset).not.toBe(now.offset);
      expect(waitForOneDate(after, SPAN, ET)).toBe(0);
    }
  });

  it('plans task times as whole seconds after now, in order, on one date, whenever the guard lets it start', () => {
    for (const t of ['2026-12-02T23:57:59.400', '2026-12-02T00:00:01', '2026-11-01T01:00:30-05:00', '2026-07-04T09:29:58.999']) {
      const now = DateTime.fromISO(t, { zone: ET }).setZone(ET);
      expect(waitForOneDate(now, DEMO_SPAN_MS, ET)).toBe(0);
      const { policy, schedule } = demoPolicy(now);
      expect(schedule.date).toBe(now.toISODate());
      const tasks = policy.compliance.tasks;
      expect(tasks.map((x) => x.id)).toEqual([DEMO_TASKS.missed.id, DEMO_TASKS.done.id]);
      const times = [DEMO_TASKS.missed.opens, DEMO_TASKS.done.opens, DEMO_TASKS.missed.due, DEMO_TASKS.done.due].map((s) => schedule.at(s));
      for (const x of times) {
        expect(x > now).toBe(true);
        expect(x.toISODate()).toBe(now.toISODate());
        expect(x.millisecond).toBe(0);
      }
      expect(tasks[0]!.opens).toEqual({ at: schedule.at(DEMO_TASKS.missed.opens).toFormat('HH:mm:ss') });
      expect(tasks[0]!.due).toEqual({ at: schedule.at(DEMO_TASKS.missed.due).toFormat('HH:mm:ss') });
      expect(DEMO_TASKS.done.due * 1000).toBeLessThan(DEMO_SPAN_MS);
    }
  });

  it('rounds up to the next whole second', () => {
    expect(nextWholeSecond(at('2026-12-02T10:42:05.001')).toISO()).toBe(at('2026-12-02T10:42:06').toISO());
    expect(nextWholeSecond(at('2026-12-02T10:42:05')).toISO()).toBe(at('2026-12-02T10:42:05').toISO());
  });
});
