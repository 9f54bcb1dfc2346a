import { DateTime } from 'luxon';
import { MarketCalendar } from '../../src/domain/market-calendar.js';

/**
 * Instants for tests, derived from the real clock and the NYSE calendar (test/README.md, "Time").
 *
 * The bot's timers live in Redis and BullMQ, which only know the real clock, so a test never
 * pins "now" to a fixed date for anything that schedules a timer. A test that needs a Saturday,
 * an early close or a holiday takes the next one after the real now from here, so the same
 * test means the same thing on every day it runs.
 */
export const ET = 'America/New_York';
const calendar = new MarketCalendar();

const et = (now: Date | DateTime): DateTime => (now instanceof Date ? DateTime.fromJSDate(now) : now).setZone(ET);

/** The first ET date strictly after `now`'s ET date for which `pred` holds (searched up to 2 years). */
export function nextDate(pred: (date: string) => boolean, now: Date | DateTime = new Date()): string {
  let d = et(now).startOf('day');
  for (let i = 0; i < 731; i++) {
    d = d.plus({ days: 1 });
    const iso = d.toISODate()!;
    if (pred(iso)) return iso;
  }
  throw new Error('no such date within two years');
}

/** `HH:mm` on an ET date, as an instant. */
export function atET(date: string, time: string): DateTime {
  return DateTime.fromISO(`${date}T${time}`, { zone: ET });
}

const weekday = (date: string) => DateTime.fromISO(date, { zone: ET }).weekday;
const isFullTradingDay = (date: string) => calendar.isTradingDay(date) && !calendar.isEarlyClose(date);

/** The next Saturday whose Monday is an ordinary full trading day (so the weekend ends at Monday's 04:00 pre-market). */
export function nextPlainWeekend(now: Date | DateTime = new Date()): { saturday: string; monday: string } {
  const saturday = nextDate((d) => weekday(d) === 6 && isFullTradingDay(DateTime.fromISO(d).plus({ days: 2 }).toISODate()!), now);
  return { saturday, monday: DateTime.fromISO(saturday).plus({ days: 2 }).toISODate()! };
}

/**
 * The next early-close Friday (the day after Thanksgiving: always a Friday, always an early
 * close) with the Thanksgiving holiday before it.
 */
export function nextEarlyCloseFriday(now: Date | DateTime = new Date()): { friday: string; thanksgiving: string; saturday: string } {
  const friday = nextDate((d) => weekday(d) === 5 && calendar.isEarlyClose(d) && calendar.holidayName(DateTime.fromISO(d).minus({ days: 1 }).toISODate()!) === 'Thanksgiving Day', now);
  return { friday, thanksgiving: DateTime.fromISO(friday).minus({ days: 1 }).toISODate()!, saturday: DateTime.fromISO(friday).plus({ days: 1 }).toISODate()! };
}

/** The next full trading day that is not a Friday and whose next day is a full trading day too. */
export function nextPlainTradingDay(now: Date | DateTime = new Date()): string {
  return nextDate((d) => isFullTradingDay(d) && weekday(d) <= 4 && isFullTradingDay(DateTime.fromISO(d).plus({ days: 1 }).toISODate()!), now);
}

/**
 * Where a span of `spanSeconds` starting at `now` can be written as wall-clock `HH:mm:ss` times
 * on one ET date that read back as the same instants (compliance task times are local times).
 * That fails when the span crosses midnight ET, and in the hour repeated when daylight saving
 * time ends (01:00–02:00 EST reads back as EDT). Returns how long to wait for the first instant
 * from which the span is clean, and that instant; 0 when `now` will do.
 */
export function localTimeWindow(now: Date | DateTime, spanSeconds: number): { waitMs: number; start: DateTime } {
  const from = et(now);
  let start = from;
  // Candidates: now, then each following whole second; bounded by the longest case (the repeated hour plus the span).
  for (let i = 0; i <= 3600 + spanSeconds + 2; i++) {
    if (cleanSpan(start, spanSeconds)) return { waitMs: Math.max(0, start.toMillis() - from.toMillis()), start };
    start = from.plus({ seconds: i + 1 }).startOf('second');
  }
  throw new Error(`no clean local-time window of ${spanSeconds} s after ${from.toISO()}`);
}

function cleanSpan(start: DateTime, spanSeconds: number): boolean {
  const end = start.plus({ seconds: spanSeconds });
  if (start.toISODate() !== end.toISODate() || start.offset !== end.offset) return false;
  const readBack = (t: DateTime) => DateTime.fromObject({ year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute, second: t.second }, { zone: ET }).toMillis();
  return readBack(start) === start.startOf('second').toMillis() && readBack(end) === end.startOf('second').toMillis();
}

/**
 * Waits, if it must, until `spanSeconds` of wall-clock time from now fit on one ET date (see
 * localTimeWindow), and returns the instant to build task times from. Waiting for the clock is
 * waiting on state, not a sleep: it only happens within `spanSeconds` of midnight ET or in the
 * repeated hour of the autumn DST change, and the caller's hook timeout comes from windowWaitBoundMs.
 */
export async function startOfLocalTimeWindow(spanSeconds: number): Promise<DateTime> {
  const { waitMs, start } = localTimeWindow(new Date(), spanSeconds);
  if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
  return start;
}

/** The longest startOfLocalTimeWindow can wait for a span: a hook's timeout is this plus its own work. */
export function windowWaitBoundMs(spanSeconds: number): number {
  // The hook may start a little after this is computed: take the worst wait over the next two minutes.
  const now = Date.now();
  let worst = 0;
  for (let s = 0; s <= 120; s += 5) worst = Math.max(worst, localTimeWindow(new Date(now + s * 1000), spanSeconds).waitMs);
  return worst + 1000;
}

/** `HH:mm:ss` of `base + seconds` in ET. */
export function localTime(base: DateTime, seconds: number): string {
  return base.plus({ seconds }).setZone(ET).toFormat('HH:mm:ss');
}
