import { DateTime } from 'luxon';

/**
 * How long to wait until the next `spanMs` from `now` lie on one local date with one UTC offset:
 * 0 when they already do. The demo builds its compliance tasks as wall-clock times (`HH:mm:ss`
 * ET) a few seconds from now; across midnight they would wrap to the next day, across a DST
 * change they could run backwards. Rather than pretend, the demo waits for the boundary to pass.
 */
export function waitForOneDate(now: DateTime, spanMs: number, zone: string): number {
  const start = now.setZone(zone);
  const same = (t: DateTime) => t.toISODate() === start.toISODate() && t.offset === start.offset;
  if (same(start.plus({ milliseconds: spanMs }))) return 0;
  // The first instant that is on another date or offset, to the second.
  let lo = 0;
  let hi = spanMs;
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2);
    if (same(start.plus({ milliseconds: mid }))) lo = mid;
    else hi = mid;
  }
  // One second past the boundary, so the new day (or offset) is the one the demo plans in.
  return hi + 1000;
}

/** `now` rounded up to the next whole second: task times are whole seconds. */
export function nextWholeSecond(now: DateTime): DateTime {
  return now.millisecond === 0 ? now : now.plus({ milliseconds: 1000 - now.millisecond });
}
