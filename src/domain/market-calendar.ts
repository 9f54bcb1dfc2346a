import { DateTime } from 'luxon';
import { addDays, isoOf, parseIsoDate, weekdayOf } from './calendar-dates.js';
import { extraClosureName, nyseRules } from './nyse-holidays.js';

/**
 * NYSE market calendar: which session an instant falls in, trading days, early closes.
 * The holiday rules themselves are in ./nyse-holidays.ts. Pure: no I/O, no clock. Every boundary is built from a local date + local time in the
 * configured zone, so DST days get 23/25-hour days without special cases.
 *
 * Gap labels (time outside overnight/pre-market/regular/after-hours) are decided per
 * calendar date of the instant, in this order:
 *   1. Saturday or Sunday                                  → `weekend`
 *   2. weekday full closure (even a Friday, all day)       → `holiday`
 *   3. trading Friday, at or after its last session        → `weekend`
 *   4. anything else                                       → `closed`
 * So Thu 20:00 before a Friday holiday is `closed` until midnight, then `holiday`, then
 * `weekend` from Saturday 00:00. A trading day's 00:00–04:00 is always `overnight`: the
 * previous calendar evening (even a weekend or holiday evening) opens it.
 */

export type SessionKind =
  | 'pre-market'
  | 'regular'
  | 'after-hours'
  | 'overnight'
  | 'weekend'
  | 'holiday'
  | 'closed';

export type TradingSessionKind = 'overnight' | 'pre-market' | 'regular' | 'after-hours';

export interface SessionHours {
  preMarketOpen: string;
  regularOpen: string;
  regularClose: string;
  earlyClose: string;
  afterHoursClose: string;
  earlyAfterHoursClose: string;
  overnightOpen: string;
}

export interface CalendarConfig {
  zone: string;
  hours: SessionHours;
  /** One-off full closures (ISO dates), on top of the NYSE rules. */
  extraClosures: string[];
  /** One-off 13:00 closes (ISO dates), on top of the NYSE rules. */
  extraEarlyCloses: string[];
}

export const DEFAULT_CALENDAR_CONFIG: CalendarConfig = Object.freeze({
  zone: 'America/New_York',
  hours: Object.freeze({
    preMarketOpen: '04:00',
    regularOpen: '09:30',
    regularClose: '16:00',
    earlyClose: '13:00',
    afterHoursClose: '20:00',
    earlyAfterHoursClose: '17:00',
    overnightOpen: '20:00',
  }),
  // Frozen so no caller can change the default for everyone else.
  extraClosures: Object.freeze(['2018-12-05', '2025-01-09']) as string[],
  extraEarlyCloses: Object.freeze([]) as unknown as string[],
});

export interface Session {
  kind: SessionKind;
  start: DateTime;
  end: DateTime;
  /** The trading day the session belongs to (overnight → the day it leads into); null for gaps. */
  tradingDate: string | null;
}

export interface DaySchedule {
  date: string;
  tradingDay: boolean;
  holidayName: string | null;
  earlyClose: boolean;
  sessions: Array<{ kind: TradingSessionKind; start: DateTime; end: DateTime }>;
}

const SEARCH_DAYS = 400;

const TRADING_KINDS: ReadonlySet<SessionKind> = new Set<SessionKind>([
  'overnight',
  'pre-market',
  'regular',
  'after-hours',
]);

interface LocalTime {
  hour: number;
  minute: number;
}

interface Segment {
  kind: SessionKind;
  start: DateTime;
  end: DateTime;
  tradingDate: string | null;
}

type ParsedHours = { [K in keyof SessionHours]: LocalTime };

/** 'HH:MM' as a local time; the policy schema has already checked the format and the order. */
function parseTime(value: string): LocalTime {
  const [hour, minute] = value.split(':').map(Number) as [number, number];
  return { hour, minute };
}

function parseHours(hours: SessionHours): ParsedHours {
  const parsed = {} as ParsedHours;
  for (const key of Object.keys(hours) as Array<keyof SessionHours>) parsed[key] = parseTime(hours[key]);
  return parsed;
}

function sameInterval(a: Segment, b: Segment): boolean {
  return a.kind === b.kind && a.tradingDate === b.tradingDate && a.end.toMillis() === b.start.toMillis();
}

// ---------------------------------------------------------------------------

/** Position of one raw (single-calendar-day) segment, for walking the timeline. */
interface Cursor {
  date: string;
  index: number;
  segments: Segment[];
}

export class MarketCalendar {
  private readonly zone: string;
  private readonly hours: ParsedHours;
  private readonly extraClosures: ReadonlySet<string>;
  private readonly extraEarlyCloses: ReadonlySet<string>;
  private readonly dayCache = new Map<string, Segment[]>();

  /**
   * Trusts its typed input: the policy's zod schema (src/config/calendar-schema.ts) checks the
   * zone, the HH:MM formats, the order of the hours and the dates before a calendar is built.
   */
  constructor(config: CalendarConfig = DEFAULT_CALENDAR_CONFIG) {
    this.zone = config.zone;
    this.hours = parseHours(config.hours);
    this.extraClosures = new Set(config.extraClosures);
    this.extraEarlyCloses = new Set(config.extraEarlyCloses);
  }

  /** Name of the full-day closure on `date`, or null (weekends are not holidays). */
  holidayName(date: string): string | null {
    const day = parseIsoDate(date, 'date');
    if (day.weekday >= 6) return null;
    const iso = isoOf(day);
    const rule = nyseRules(day.year).closures.get(iso);
    if (rule) return rule;
    if (this.extraClosures.has(iso)) return extraClosureName(iso);
    return null;
  }

  isTradingDay(date: string): boolean {
    return weekdayOf(isoOf(parseIsoDate(date, 'date'))) <= 5 && this.holidayName(date) === null;
  }

  isEarlyClose(date: string): boolean {
    const iso = isoOf(parseIsoDate(date, 'date'));
    if (!this.isTradingDay(iso)) return false;
    return nyseRules(Number(iso.slice(0, 4))).earlyCloses.has(iso) || this.extraEarlyCloses.has(iso);
  }

  nextTradingDay(date: string): string {
    return this.stepTradingDay(date, 1);
  }

  previousTradingDay(date: string): string {
    return this.stepTradingDay(date, -1);
  }

  /**
   * The session containing `instant`. start/end bound the whole contiguous run of that kind
   * (an overnight crosses midnight; a weekend may run Fri 17:00 → Sun 20:00).
   */
  sessionAt(instant: Date | DateTime): Session {
    const t = this.toZoned(instant);
    const cur = this.locate(t);
    let first = cur;
    let last = cur;
    for (let i = 0; i < SEARCH_DAYS * 8; i++) {
      const prev = this.step(first, -1);
      if (!sameInterval(segmentAt(prev), segmentAt(first))) break;
      first = prev;
    }
    for (let i = 0; i < SEARCH_DAYS * 8; i++) {
      const next = this.step(last, 1);
      if (!sameInterval(segmentAt(last), segmentAt(next))) break;
      last = next;
    }
    const seg = segmentAt(cur);
    return { kind: seg.kind, start: segmentAt(first).start, end: segmentAt(last).end, tradingDate: seg.tradingDate };
  }

  /** The trading sessions that start on `date` (local), including that evening's overnight. */
  schedule(date: string): DaySchedule {
    const iso = isoOf(parseIsoDate(date, 'date'));
    const segments = this.daySegments(iso);
    const sessions: DaySchedule['sessions'] = [];
    for (let index = 0; index < segments.length; index++) {
      const cursor: Cursor = { date: iso, index, segments };
      const seg = segmentAt(cursor);
      if (!isTradingKind(seg.kind)) continue;
      if (sameInterval(segmentAt(this.step(cursor, -1)), seg)) continue; // began the day before
      let last = cursor;
      for (let next = this.step(last, 1); sameInterval(segmentAt(last), segmentAt(next)); next = this.step(next, 1)) {
        last = next;
      }
      sessions.push({ kind: seg.kind, start: seg.start, end: segmentAt(last).end });
    }
    return {
      date: iso,
      tradingDay: this.isTradingDay(iso),
      holidayName: this.holidayName(iso),
      earlyClose: this.isEarlyClose(iso),
      sessions,
    };
  }

  /** When the next run of `kind` starts, strictly after `after`; null if none within 400 days. */
  nextSessionStart(kind: SessionKind, after: Date | DateTime): DateTime | null {
    const t = this.toZoned(after);
    const limit = t.plus({ days: SEARCH_DAYS }).toMillis();
    let prev = this.locate(t);
    for (;;) {
      const next = this.step(prev, 1);
      const seg = segmentAt(next);
      if (seg.start.toMillis() > limit) return null;
      // The segment after the one holding `t` starts strictly after `t`.
      if (seg.kind === kind && !sameInterval(segmentAt(prev), seg)) return seg.start;
      prev = next;
    }
  }

  // -------------------------------------------------------------------------

  private stepTradingDay(date: string, dir: 1 | -1): string {
    let d = isoOf(parseIsoDate(date, 'date'));
    for (let i = 0; i < SEARCH_DAYS; i++) {
      d = addDays(d, dir);
      if (this.isTradingDay(d)) return d;
    }
    throw new Error(`no trading day within ${SEARCH_DAYS} days ${dir > 0 ? 'after' : 'before'} ${date}`);
  }

  private toZoned(instant: Date | DateTime): DateTime {
    const dt = instant instanceof Date ? DateTime.fromJSDate(instant, { zone: this.zone }) : instant.setZone(this.zone);
    if (!dt.isValid) throw new Error(`invalid instant: ${String(instant)}`);
    return dt;
  }

  private local(date: string, time: LocalTime): DateTime {
    const d = DateTime.fromISO(date, { zone: 'utc' });
    // Built from wall-clock fields in the zone: DST-correct (luxon moves a skipped time forward).
    return DateTime.fromObject(
      { year: d.year, month: d.month, day: d.day, hour: time.hour, minute: time.minute },
      { zone: this.zone },
    );
  }

  private locate(t: DateTime): Cursor {
    const ms = t.toMillis();
    const date = t.toISODate() ?? '';
    for (const d of [date, addDays(date, -1), addDays(date, 1)]) {
      const segments = this.daySegments(d);
      const index = segments.findIndex((s) => s.start.toMillis() <= ms && ms < s.end.toMillis());
      if (index >= 0) return { date: d, index, segments };
    }
    throw new Error(`no session found for ${t.toISO()}`); // unreachable with a valid zone
  }

  private step(c: Cursor, dir: 1 | -1): Cursor {
    const index = c.index + dir;
    if (index >= 0 && index < c.segments.length) return { ...c, index };
    const date = addDays(c.date, dir);
    const segments = this.daySegments(date);
    return { date, segments, index: dir > 0 ? 0 : segments.length - 1 };
  }

  /** The whole calendar day [00:00, next 00:00) cut into raw segments, gaps labelled. */
  private daySegments(date: string): Segment[] {
    const cached = this.dayCache.get(date);
    if (cached) return cached;

    const h = this.hours;
    const midnight: LocalTime = { hour: 0, minute: 0 };
    const next = addDays(date, 1);
    const dayStart = this.local(date, midnight);
    const dayEnd = this.local(next, midnight);
    const sessions: Segment[] = [];
    let lastSessionEnd: DateTime | null = null;

    if (this.isTradingDay(date)) {
      const early = this.isEarlyClose(date);
      const at = (t: LocalTime) => this.local(date, t);
      const close = at(early ? h.earlyClose : h.regularClose);
      const lateClose = at(early ? h.earlyAfterHoursClose : h.afterHoursClose);
      sessions.push(
        { kind: 'overnight', start: dayStart, end: at(h.preMarketOpen), tradingDate: date },
        { kind: 'pre-market', start: at(h.preMarketOpen), end: at(h.regularOpen), tradingDate: date },
        { kind: 'regular', start: at(h.regularOpen), end: close, tradingDate: date },
        { kind: 'after-hours', start: close, end: lateClose, tradingDate: date },
      );
      lastSessionEnd = lateClose;
    }
    // The evening before a trading day opens its overnight, whatever today is.
    if (this.isTradingDay(next)) {
      sessions.push({ kind: 'overnight', start: this.local(date, h.overnightOpen), end: dayEnd, tradingDate: next });
    }

    const out: Segment[] = [];
    let cursor = dayStart;
    const gap = (end: DateTime) => {
      if (end > cursor) out.push({ kind: this.gapKind(date, cursor, lastSessionEnd), start: cursor, end, tradingDate: null });
    };
    for (const s of sessions) {
      if (!(s.end > s.start)) continue; // empty when config makes boundaries equal
      gap(s.start);
      out.push(s);
      cursor = s.end;
    }
    gap(dayEnd);

    if (this.dayCache.size > 2000) this.dayCache.clear();
    this.dayCache.set(date, out);
    return out;
  }

  private gapKind(date: string, start: DateTime, lastSessionEnd: DateTime | null): SessionKind {
    const weekday = weekdayOf(date);
    if (weekday >= 6) return 'weekend';
    if (this.holidayName(date) !== null) return 'holiday';
    if (weekday === 5 && lastSessionEnd && start >= lastSessionEnd) return 'weekend';
    return 'closed';
  }
}

function segmentAt(c: Cursor): Segment {
  const seg = c.segments[c.index];
  if (!seg) throw new Error('calendar cursor out of range');
  return seg;
}

function isTradingKind(kind: SessionKind): kind is TradingSessionKind {
  return TRADING_KINDS.has(kind);
}
