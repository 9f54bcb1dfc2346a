import { DateTime } from 'luxon';

/**
 * NYSE market calendar: which session an instant falls in, trading days, early closes.
 * Pure: no I/O, no clock. Every boundary is built from a local date + local time in the
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

/** Extra closures we know the reason for; any other configured closure is 'Market closure'. */
const KNOWN_CLOSURE_NAMES: Readonly<Record<string, string>> = {
  '2018-12-05': 'National Day of Mourning',
  '2025-01-09': 'National Day of Mourning',
};

const SEARCH_DAYS = 400;
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

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

// ---------------------------------------------------------------------------
// Calendar-date helpers. Dates are plain 'YYYY-MM-DD'; arithmetic on them is done in UTC,
// where a day is always a day.

function parseIsoDate(value: unknown, field: string): DateTime {
  const dt =
    typeof value === 'string' && ISO_DATE.test(value)
      ? DateTime.fromISO(value, { zone: 'utc' })
      : null;
  if (!dt || !dt.isValid) {
    throw new Error(`${field} must be an ISO date (YYYY-MM-DD), got ${JSON.stringify(value)}`);
  }
  return dt;
}

function isoOf(dt: DateTime): string {
  return dt.toFormat('yyyy-MM-dd');
}

function addDays(date: string, days: number): string {
  return isoOf(DateTime.fromISO(date, { zone: 'utc' }).plus({ days }));
}

function weekdayOf(date: string): number {
  return DateTime.fromISO(date, { zone: 'utc' }).weekday; // 1 = Monday … 7 = Sunday
}

function ymd(year: number, month: number, day: number): DateTime {
  return DateTime.utc(year, month, day);
}

/** n-th (1-based) given weekday of a month. */
function nthWeekday(year: number, month: number, weekday: number, n: number): DateTime {
  const first = ymd(year, month, 1);
  return first.plus({ days: ((weekday - first.weekday + 7) % 7) + 7 * (n - 1) });
}

function lastWeekday(year: number, month: number, weekday: number): DateTime {
  const last = ymd(year, month, 1).endOf('month').startOf('day');
  return last.minus({ days: (last.weekday - weekday + 7) % 7 });
}

/** Saturday → Friday before, Sunday → Monday after. */
function observed(dt: DateTime): DateTime {
  if (dt.weekday === 6) return dt.minus({ days: 1 });
  if (dt.weekday === 7) return dt.plus({ days: 1 });
  return dt;
}

/** Easter Sunday, Anonymous Gregorian algorithm (Meeus/Jones/Butcher). */
function easter(year: number): DateTime {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const n = h + l - 7 * m + 114;
  return ymd(year, Math.floor(n / 31), (n % 31) + 1);
}

interface YearRules {
  closures: ReadonlyMap<string, string>;
  earlyCloses: ReadonlySet<string>;
}

const yearRulesCache = new Map<number, YearRules>();

/** NYSE's standing rules for one year; config extras are applied by the calendar. */
function nyseRules(year: number): YearRules {
  const cached = yearRulesCache.get(year);
  if (cached) return cached;
  const closures = new Map<string, string>();
  const add = (dt: DateTime, name: string) => closures.set(isoOf(dt), name);

  // A Saturday New Year is not moved to Friday Dec 31 (NYSE keeps year-end trading).
  const newYear = ymd(year, 1, 1);
  if (newYear.weekday !== 6) add(observed(newYear), "New Year's Day");
  if (year >= 1998) add(nthWeekday(year, 1, 1, 3), 'Martin Luther King Jr. Day');
  add(nthWeekday(year, 2, 1, 3), "Washington's Birthday");
  add(easter(year).minus({ days: 2 }), 'Good Friday');
  add(lastWeekday(year, 5, 1), 'Memorial Day');
  if (year >= 2022) add(observed(ymd(year, 6, 19)), 'Juneteenth National Independence Day');
  add(observed(ymd(year, 7, 4)), 'Independence Day');
  add(nthWeekday(year, 9, 1, 1), 'Labor Day');
  const thanksgiving = nthWeekday(year, 11, 4, 4);
  add(thanksgiving, 'Thanksgiving Day');
  add(observed(ymd(year, 12, 25)), 'Christmas Day');

  const earlyCloses = new Set<string>();
  const july3 = ymd(year, 7, 3);
  if (july3.weekday <= 4 && !closures.has(isoOf(july3))) earlyCloses.add(isoOf(july3));
  earlyCloses.add(isoOf(thanksgiving.plus({ days: 1 })));
  const christmasEve = ymd(year, 12, 24);
  if (christmasEve.weekday <= 4 && !closures.has(isoOf(christmasEve))) {
    earlyCloses.add(isoOf(christmasEve));
  }

  const rules: YearRules = { closures, earlyCloses };
  yearRulesCache.set(year, rules);
  return rules;
}

// ---------------------------------------------------------------------------
// Config validation

function parseTime(value: unknown, field: string): LocalTime {
  const m = typeof value === 'string' ? HHMM.exec(value) : null;
  if (!m) throw new Error(`${field} must be a time 'HH:MM' (00:00–23:59), got ${JSON.stringify(value)}`);
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

function minutes(t: LocalTime): number {
  return t.hour * 60 + t.minute;
}

function validateConfig(config: CalendarConfig): { zone: string; hours: ParsedHours; extraClosures: Set<string>; extraEarlyCloses: Set<string> } {
  if (typeof config !== 'object' || config === null) throw new Error('calendar config must be an object');
  const { zone } = config;
  if (typeof zone !== 'string' || zone.trim() === '' || !DateTime.local().setZone(zone).isValid) {
    throw new Error(`zone must be a valid IANA time zone (e.g. 'America/New_York'), got ${JSON.stringify(zone)}`);
  }
  if (typeof config.hours !== 'object' || config.hours === null) throw new Error('hours must be an object');
  const keys: Array<keyof SessionHours> = [
    'preMarketOpen',
    'regularOpen',
    'regularClose',
    'earlyClose',
    'afterHoursClose',
    'earlyAfterHoursClose',
    'overnightOpen',
  ];
  const hours = {} as ParsedHours;
  for (const key of keys) hours[key] = parseTime(config.hours[key], `hours.${key}`);

  // Sessions of one day must not overlap; equal boundaries just make a session empty.
  const order: Array<[keyof SessionHours, keyof SessionHours, 'lt' | 'le']> = [
    ['preMarketOpen', 'regularOpen', 'le'],
    ['regularOpen', 'earlyClose', 'lt'],
    ['regularOpen', 'regularClose', 'lt'],
    ['earlyClose', 'regularClose', 'le'],
    ['regularClose', 'afterHoursClose', 'le'],
    ['earlyClose', 'earlyAfterHoursClose', 'le'],
    ['afterHoursClose', 'overnightOpen', 'le'],
    ['earlyAfterHoursClose', 'overnightOpen', 'le'],
  ];
  for (const [lo, hi, rel] of order) {
    const a = minutes(hours[lo]);
    const b = minutes(hours[hi]);
    if (rel === 'lt' ? !(a < b) : !(a <= b)) {
      throw new Error(
        `hours.${hi} (${config.hours[hi]}) must be ${rel === 'lt' ? 'after' : 'at or after'} hours.${lo} (${config.hours[lo]})`,
      );
    }
  }

  const dates = (field: 'extraClosures' | 'extraEarlyCloses'): Set<string> => {
    const list: unknown = config[field];
    if (!Array.isArray(list)) throw new Error(`${field} must be an array of ISO dates`);
    return new Set(list.map((d: unknown, i) => isoOf(parseIsoDate(d, `${field}[${i}]`))));
  };
  return { zone, hours, extraClosures: dates('extraClosures'), extraEarlyCloses: dates('extraEarlyCloses') };
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

  constructor(config: CalendarConfig = DEFAULT_CALENDAR_CONFIG) {
    const v = validateConfig(config);
    this.zone = v.zone;
    this.hours = v.hours;
    this.extraClosures = v.extraClosures;
    this.extraEarlyCloses = v.extraEarlyCloses;
  }

  /** Name of the full-day closure on `date`, or null (weekends are not holidays). */
  holidayName(date: string): string | null {
    const day = parseIsoDate(date, 'date');
    if (day.weekday >= 6) return null;
    const iso = isoOf(day);
    const rule = nyseRules(day.year).closures.get(iso);
    if (rule) return rule;
    if (this.extraClosures.has(iso)) return KNOWN_CLOSURE_NAMES[iso] ?? 'Market closure';
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
