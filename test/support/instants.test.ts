import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { ET, localTime, localTimeWindow, nextEarlyCloseFriday, nextPlainTradingDay, nextPlainWeekend } from './instants.js';

const at = (iso: string) => DateTime.fromISO(iso, { zone: ET });

describe('instants derived from the calendar', () => {
  it('the next plain weekend: a Saturday whose Monday trades a full day, even from a Saturday or before a holiday Monday', () => {
    expect(nextPlainWeekend(at('2026-12-02T10:00'))).toEqual({ saturday: '2026-12-05', monday: '2026-12-07' });
    // From a Saturday: the next one, never today.
    expect(nextPlainWeekend(at('2026-12-05T11:59'))).toEqual({ saturday: '2026-12-12', monday: '2026-12-14' });
    // Memorial Day weekend is skipped.
    expect(nextPlainWeekend(at('2027-05-24T12:00'))).toEqual({ saturday: '2027-06-05', monday: '2027-06-07' });
  });

  it('the next early-close Friday follows Thanksgiving', () => {
    expect(nextEarlyCloseFriday(at('2026-12-02T10:00'))).toEqual({ friday: '2027-11-26', thanksgiving: '2027-11-25', saturday: '2027-11-27' });
    expect(nextEarlyCloseFriday(at('2026-11-01T10:00')).friday).toBe('2026-11-27');
    // On that Friday itself: the next year's.
    expect(nextEarlyCloseFriday(at('2026-11-27T13:30')).friday).toBe('2027-11-26');
  });

  it('the next plain trading day is a full Mon–Thu session followed by another full one', () => {
    expect(nextPlainTradingDay(at('2026-12-02T10:00'))).toBe('2026-12-03');
    expect(nextPlainTradingDay(at('2026-12-23T10:00'))).toBe('2026-12-28'); // 24th early close, 25th holiday, 28th Mon
    expect(nextPlainTradingDay(at('2026-11-25T10:00'))).toBe('2026-11-30'); // over Thanksgiving and the early close
  });
});

describe('local-time windows for task times written as HH:mm:ss', () => {
  it('now will do on an ordinary afternoon, a Saturday, a holiday and an early-close day', () => {
    for (const iso of ['2026-12-02T14:00:00', '2026-12-05T12:00:00', '2026-11-26T12:00:00', '2026-11-27T13:30:00']) {
      expect(localTimeWindow(at(iso), 60)).toEqual({ waitMs: 0, start: at(iso) });
    }
  });

  it('at 23:59:50 ET it waits for midnight, so no task time wraps to the day before', () => {
    const w = localTimeWindow(at('2026-12-02T23:59:50'), 60);
    expect(w.start.toISO()).toBe(at('2026-12-03T00:00:00').toISO());
    expect(w.waitMs).toBe(10_000);
    expect(localTime(w.start, 60)).toBe('00:01:00');
    // A span that ends at 23:59:59 is still clean.
    expect(localTimeWindow(at('2026-12-02T23:58:59'), 60).waitMs).toBe(0);
  });

  it('in the hour repeated when DST ends it waits for the repeat: local times there read back as EST', () => {
    // 2026-11-01: 01:00–02:00 happens twice, and a wall-clock "01:30" means the second time (EST).
    const firstPass = DateTime.fromISO('2026-11-01T05:30:00Z').setZone(ET); // 01:30 EDT
    const w = localTimeWindow(firstPass, 60);
    expect(w.start.toFormat('HH:mm:ss ZZ')).toBe('01:00:00 -05:00');
    expect(w.waitMs).toBe(30 * 60_000);
    expect(localTimeWindow(DateTime.fromISO('2026-11-01T06:30:00Z').setZone(ET), 60).waitMs).toBe(0); // 01:30 EST
    expect(localTimeWindow(DateTime.fromISO('2026-11-01T04:58:00Z').setZone(ET), 60).waitMs).toBe(0); // 00:58 EDT, ends before the change
  });

  it('across the spring-forward gap the wall clock jumps but stays readable', () => {
    const w = localTimeWindow(at('2026-03-08T01:59:30'), 60);
    expect(w.waitMs).toBeGreaterThan(0); // the offset changes inside the span
    expect(w.start.toFormat('HH:mm:ss ZZ')).toBe('03:00:00 -04:00');
  });
});
