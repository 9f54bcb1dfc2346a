import { readFileSync } from 'node:fs';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { DEFAULT_POLICY_PATH, parsePolicy } from '../../src/config/policy-schema.js';
import {
  DEFAULT_CALENDAR_CONFIG,
  MarketCalendar,
  type CalendarConfig,
  type SessionKind,
} from '../../src/domain/market-calendar.js';

const ZONE = 'America/New_York';
const cal = new MarketCalendar();

/** Wall-clock time in New York. */
function et(date: string, time: string): DateTime {
  const dt = DateTime.fromISO(`${date}T${time}`, { zone: ZONE });
  if (!dt.isValid) throw new Error(`bad test time ${date} ${time}`);
  return dt;
}

function iso(dt: DateTime | null): string | null {
  return dt ? dt.setZone(ZONE).toISO({ suppressMilliseconds: true, suppressSeconds: true }) : null;
}

// NYSE's published calendar (PLATFORM.md), month-day lists.
const NYSE: Record<number, { closures: string[]; early: string[] }> = {
  2024: {
    closures: ['01-01', '01-15', '02-19', '03-29', '05-27', '06-19', '07-04', '09-02', '11-28', '12-25'],
    early: ['07-03', '11-29', '12-24'],
  },
  2025: {
    closures: ['01-01', '01-09', '01-20', '02-17', '04-18', '05-26', '06-19', '07-04', '09-01', '11-27', '12-25'],
    early: ['07-03', '11-28', '12-24'],
  },
  2026: {
    closures: ['01-01', '01-19', '02-16', '04-03', '05-25', '06-19', '07-03', '09-07', '11-26', '12-25'],
    early: ['11-27', '12-24'],
  },
  2027: {
    closures: ['01-01', '01-18', '02-15', '03-26', '05-31', '06-18', '07-05', '09-06', '11-25', '12-24'],
    early: ['11-26'],
  },
  2028: {
    closures: ['01-17', '02-21', '04-14', '05-29', '06-19', '07-04', '09-04', '11-23', '12-25'],
    early: ['07-03', '11-24'],
  },
};

function daysOf(year: number): string[] {
  const out: string[] = [];
  for (let d = DateTime.utc(year, 1, 1); d.year === year; d = d.plus({ days: 1 })) out.push(d.toFormat('yyyy-MM-dd'));
  return out;
}

describe('NYSE holidays and early closes 2024–2028', () => {
  for (const [yearText, expected] of Object.entries(NYSE)) {
    const year = Number(yearText);
    it(`${year}: exactly the published full closures`, () => {
      const actual = daysOf(year).filter((d) => cal.holidayName(d) !== null);
      expect(actual).toEqual(expected.closures.map((md) => `${year}-${md}`));
      for (const d of actual) expect(cal.isTradingDay(d)).toBe(false);
    });
    it(`${year}: exactly the published early closes`, () => {
      const actual = daysOf(year).filter((d) => cal.isEarlyClose(d));
      expect(actual).toEqual(expected.early.map((md) => `${year}-${md}`));
    });
    it(`${year}: every other weekday trades`, () => {
      const closed = new Set(expected.closures.map((md) => `${year}-${md}`));
      for (const d of daysOf(year)) {
        const weekday = DateTime.fromISO(d).weekday;
        expect(cal.isTradingDay(d), d).toBe(weekday <= 5 && !closed.has(d));
      }
    });
  }

  it.each([
    ['2026-11-26', 'Thanksgiving Day'],
    ['2026-04-03', 'Good Friday'],
    ['2025-01-09', 'National Day of Mourning'],
    ['2018-12-05', 'National Day of Mourning'],
    ['2026-07-03', 'Independence Day'],
    ['2027-12-24', 'Christmas Day'],
    ['2027-06-18', 'Juneteenth National Independence Day'],
    ['2026-01-19', 'Martin Luther King Jr. Day'],
    ['2026-11-27', null],
    ['2026-11-28', null], // Saturday: weekends are not holidays
    ['2028-01-01', null], // Saturday New Year: no holiday at all
    ['2021-06-18', null], // Juneteenth only from 2022
  ])('holidayName(%s) = %s', (date, name) => {
    expect(cal.holidayName(date)).toBe(name);
  });

  it('names configured one-off closures and honours extra early closes', () => {
    const custom = new MarketCalendar({
      ...DEFAULT_CALENDAR_CONFIG,
      extraClosures: ['2026-03-11'],
      extraEarlyCloses: ['2026-03-12'],
    });
    expect(custom.holidayName('2026-03-11')).toBe('Market closure');
    expect(custom.holidayName('2025-01-09')).toBeNull(); // the default list was replaced
    expect(custom.isEarlyClose('2026-03-12')).toBe(true);
    expect(iso(custom.sessionAt(et('2026-03-12', '13:30')).start)).toBe('2026-03-12T13:00-04:00');
  });
});

// Kind one minute before / at / one minute after each boundary.
const BOUNDARIES = ['04:00', '09:20', '09:30', '13:00', '16:00', '17:00', '20:00'] as const;
type Boundary = (typeof BOUNDARIES)[number];
const O = 'overnight', P = 'pre-market', R = 'regular', A = 'after-hours', W = 'weekend', H = 'holiday', C = 'closed';
type Triple = [SessionKind, SessionKind, SessionKind];
const all = (k: SessionKind): Triple => [k, k, k];

const ORDINARY: Record<Boundary, Triple> = {
  '04:00': [O, P, P],
  '09:20': all(P),
  '09:30': [P, R, R],
  '13:00': all(R),
  '16:00': [R, A, A],
  '17:00': all(A),
  '20:00': [A, O, O],
};
const EARLY_CLOSE: Record<Boundary, Triple> = {
  ...ORDINARY,
  '13:00': [R, A, A],
  '16:00': all(A),
};

const BOUNDARY_CASES: Array<[string, string, Record<Boundary, Triple>]> = [
  ['ordinary Wednesday', '2026-11-18', ORDINARY],
  ['Wednesday before Thanksgiving', '2026-11-25', { ...ORDINARY, '20:00': [A, C, C] }],
  ['Thanksgiving (Thursday holiday)', '2026-11-26', { ...Object.fromEntries(BOUNDARIES.map((b) => [b, all(H)])), '20:00': [H, O, O] } as Record<Boundary, Triple>],
  ['Friday after Thanksgiving (early close)', '2026-11-27', { ...EARLY_CLOSE, '17:00': [A, W, W], '20:00': all(W) }],
  ['ordinary Friday', '2026-11-20', { ...ORDINARY, '20:00': [A, W, W] }],
  ['ordinary Sunday', '2026-11-22', { ...Object.fromEntries(BOUNDARIES.map((b) => [b, all(W)])), '20:00': [W, O, O] } as Record<Boundary, Triple>],
  ['DST start Sunday', '2026-03-08', { ...Object.fromEntries(BOUNDARIES.map((b) => [b, all(W)])), '20:00': [W, O, O] } as Record<Boundary, Triple>],
  ['DST end Sunday', '2026-11-01', { ...Object.fromEntries(BOUNDARIES.map((b) => [b, all(W)])), '20:00': [W, O, O] } as Record<Boundary, Triple>],
  ['Monday after DST start', '2026-03-09', ORDINARY],
  ['Monday after DST end', '2026-11-02', ORDINARY],
  ['Christmas Eve 2026 (Thursday early close before a holiday)', '2026-12-24', { ...EARLY_CLOSE, '17:00': [A, C, C], '20:00': all(C) }],
  ['Christmas Day 2026 (Friday holiday)', '2026-12-25', Object.fromEntries(BOUNDARIES.map((b) => [b, all(H)])) as Record<Boundary, Triple>],
  ['Thursday before Good Friday', '2026-04-02', { ...ORDINARY, '20:00': [A, C, C] }],
  ['MLK Day (Monday holiday)', '2026-01-19', { ...Object.fromEntries(BOUNDARIES.map((b) => [b, all(H)])), '20:00': [H, O, O] } as Record<Boundary, Triple>],
  ['Sunday before MLK Day', '2026-01-18', Object.fromEntries(BOUNDARIES.map((b) => [b, all(W)])) as Record<Boundary, Triple>],
];

describe('sessions at every boundary', () => {
  for (const [label, date, table] of BOUNDARY_CASES) {
    describe(`${label} ${date}`, () => {
      it.each(BOUNDARIES.map((b) => [b, table[b]] as const))('%s', (time, expected) => {
        const t = et(date, time);
        const actual = [t.minus({ minutes: 1 }), t, t.plus({ minutes: 1 })].map((x) => cal.sessionAt(x).kind);
        expect(actual).toEqual(expected);
      });
    });
  }

  it.each([
    // [label, instant (ET), kind, start, end, tradingDate]
    ['closed the evening before Thanksgiving', '2026-11-25T22:00', C, '2026-11-25T20:00-05:00', '2026-11-26T00:00-05:00', null],
    ['Thanksgiving until its evening', '2026-11-26T00:00', H, '2026-11-26T00:00-05:00', '2026-11-26T20:00-05:00', null],
    ['Thanksgiving evening opens Friday', '2026-11-26T23:59', O, '2026-11-26T20:00-05:00', '2026-11-27T04:00-05:00', '2026-11-27'],
    ['after-hours on the early close', '2026-11-27T13:30', A, '2026-11-27T13:00-05:00', '2026-11-27T17:00-05:00', '2026-11-27'],
    ['weekend from the early close', '2026-11-27T17:00', W, '2026-11-27T17:00-05:00', '2026-11-29T20:00-05:00', null],
    ['overnight across midnight', '2026-11-19T01:00', O, '2026-11-18T20:00-05:00', '2026-11-19T04:00-05:00', '2026-11-19'],
    ['closed after Christmas Eve close', '2026-12-24T18:00', C, '2026-12-24T17:00-05:00', '2026-12-25T00:00-05:00', null],
    ['Christmas (Friday holiday) all day', '2026-12-25T21:00', H, '2026-12-25T00:00-05:00', '2026-12-26T00:00-05:00', null],
    ['weekend after a Friday holiday', '2026-12-26T12:00', W, '2026-12-26T00:00-05:00', '2026-12-27T20:00-05:00', null],
    ['Good Friday: closed Thursday evening', '2026-04-02T23:00', C, '2026-04-02T20:00-04:00', '2026-04-03T00:00-04:00', null],
    ['Good Friday holiday', '2026-04-03T20:30', H, '2026-04-03T00:00-04:00', '2026-04-04T00:00-04:00', null],
    ['weekend into a Monday holiday stops at midnight', '2026-01-18T21:00', W, '2026-01-16T20:00-05:00', '2026-01-19T00:00-05:00', null],
    ['Monday holiday evening opens Tuesday', '2026-01-19T20:00', O, '2026-01-19T20:00-05:00', '2026-01-20T04:00-05:00', '2026-01-20'],
    ['New Year 2028 is a Saturday: Dec 31 trades', '2027-12-31T12:00', R, '2027-12-31T09:30-05:00', '2027-12-31T16:00-05:00', '2027-12-31'],
    ['New Year 2028 weekend', '2028-01-01T00:00', W, '2027-12-31T20:00-05:00', '2028-01-02T20:00-05:00', null],
  ] as const)('%s', (_label, at, kind, start, end, tradingDate) => {
    const s = cal.sessionAt(DateTime.fromISO(at, { zone: ZONE }));
    expect({ kind: s.kind, start: iso(s.start), end: iso(s.end), tradingDate: s.tradingDate }).toEqual({
      kind,
      start,
      end,
      tradingDate,
    });
  });

  it('accepts a Date or a DateTime in any zone and answers in the calendar zone', () => {
    const fromDate = cal.sessionAt(new Date('2026-11-27T18:30:00Z'));
    const fromTokyo = cal.sessionAt(DateTime.fromISO('2026-11-28T03:30', { zone: 'Asia/Tokyo' }));
    expect(fromDate.kind).toBe('after-hours');
    expect(fromTokyo.kind).toBe('after-hours');
    expect(fromDate.start.zoneName).toBe(ZONE);
  });
});

describe('DST', () => {
  it.each([
    // The weekend spans the change; the Sunday overnight opens at 20:00 local either way.
    ['2026-03-07T12:00', '2026-03-07T01:00:00.000Z', '2026-03-09T00:00:00.000Z', 47],
    ['2026-10-31T12:00', '2026-10-31T00:00:00.000Z', '2026-11-02T01:00:00.000Z', 49],
  ])('weekend containing %s runs %s → %s (%d h)', (at, start, end, hours) => {
    const s = cal.sessionAt(et(at.slice(0, 10), at.slice(11)));
    expect(s.kind).toBe('weekend');
    expect(s.start.toUTC().toISO()).toBe(start);
    expect(s.end.toUTC().toISO()).toBe(end);
    expect(s.end.diff(s.start, 'hours').hours).toBe(hours);
  });

  it.each([
    ['2026-03-08', '2026-03-09T00:00:00.000Z', '2026-03-09T08:00:00.000Z'],
    ['2026-11-01', '2026-11-02T01:00:00.000Z', '2026-11-02T09:00:00.000Z'],
  ])('Sunday %s: overnight 20:00 local → Monday pre-market 04:00 local', (sunday, overnightStartZ, preMarketZ) => {
    const overnight = cal.sessionAt(et(sunday, '20:00'));
    expect(overnight.kind).toBe('overnight');
    expect(overnight.start.toUTC().toISO()).toBe(overnightStartZ);
    expect(overnight.end.toUTC().toISO()).toBe(preMarketZ);
    expect(overnight.end.diff(overnight.start, 'hours').hours).toBe(8);
    const pre = cal.nextSessionStart('pre-market', et(sunday, '20:00'));
    expect(pre?.toUTC().toISO()).toBe(preMarketZ);
    expect(cal.sessionAt(new Date(preMarketZ)).kind).toBe('pre-market');
    expect(cal.sessionAt(new Date(Date.parse(preMarketZ) - 60_000)).kind).toBe('overnight');
  });

  it('overnights in the weeks around the change are 8 hours of wall clock', () => {
    for (const day of ['2026-03-05', '2026-03-10', '2026-10-29', '2026-11-03']) {
      const s = cal.sessionAt(et(day, '21:00'));
      expect(s.kind).toBe('overnight');
      expect(s.end.diff(s.start, 'hours').hours).toBe(8);
    }
  });
});

describe('nextSessionStart', () => {
  it.each([
    ['overnight', '2026-11-27', '13:30', '2026-11-29T20:00-05:00'],
    ['regular', '2026-11-25', '17:00', '2026-11-27T09:30-05:00'],
    ['weekend', '2026-11-27', '13:30', '2026-11-27T17:00-05:00'],
    ['holiday', '2026-11-25', '17:00', '2026-11-26T00:00-05:00'],
    ['closed', '2026-11-25', '17:00', '2026-11-25T20:00-05:00'],
    ['after-hours', '2026-11-27', '12:59', '2026-11-27T13:00-05:00'],
    // strictly after: at the very start of a session, the next one of that kind
    ['regular', '2026-11-18', '09:30', '2026-11-19T09:30-05:00'],
    ['pre-market', '2027-12-31', '04:00', '2028-01-03T04:00-05:00'],
    // mid-interval does not count: the weekend that is already running is skipped
    ['weekend', '2026-11-28', '12:00', '2026-12-04T20:00-05:00'],
  ] as const)('%s after %s %s → %s', (kind, date, time, expected) => {
    expect(iso(cal.nextSessionStart(kind, et(date, time)))).toBe(expected);
  });

  it('overnight runs that cross midnight count once, at their evening start', () => {
    expect(iso(cal.nextSessionStart('overnight', et('2026-11-18', '23:00')))).toBe('2026-11-19T20:00-05:00');
  });

  it('returns null when nothing of that kind starts within 400 days', () => {
    const noEarly = new MarketCalendar({ ...DEFAULT_CALENDAR_CONFIG, hours: { ...DEFAULT_CALENDAR_CONFIG.hours, preMarketOpen: '09:30' } });
    expect(noEarly.nextSessionStart('pre-market', et('2026-11-18', '12:00'))).toBeNull();
  });
});

describe('trading days', () => {
  it.each([
    ['next', '2026-11-25', '2026-11-27'],
    ['next', '2026-11-27', '2026-11-30'],
    ['next', '2027-12-30', '2027-12-31'],
    ['next', '2027-12-31', '2028-01-03'],
    ['next', '2027-12-23', '2027-12-27'],
    ['previous', '2026-11-30', '2026-11-27'],
    ['previous', '2026-11-27', '2026-11-25'],
    ['previous', '2028-01-03', '2027-12-31'],
    ['previous', '2027-01-04', '2026-12-31'],
  ] as const)('%s trading day of %s is %s', (dir, date, expected) => {
    expect(dir === 'next' ? cal.nextTradingDay(date) : cal.previousTradingDay(date)).toBe(expected);
  });
});

describe('schedule', () => {
  const view = (date: string) => {
    const s = cal.schedule(date);
    return { ...s, sessions: s.sessions.map((x) => [x.kind, iso(x.start), iso(x.end)]) };
  };

  it('early close: regular ends 13:00, after-hours 13:00–17:00, no Friday overnight', () => {
    expect(view('2026-11-27')).toEqual({
      date: '2026-11-27',
      tradingDay: true,
      holidayName: null,
      earlyClose: true,
      sessions: [
        ['pre-market', '2026-11-27T04:00-05:00', '2026-11-27T09:30-05:00'],
        ['regular', '2026-11-27T09:30-05:00', '2026-11-27T13:00-05:00'],
        ['after-hours', '2026-11-27T13:00-05:00', '2026-11-27T17:00-05:00'],
      ],
    });
  });

  it('holiday: only the evening overnight into the next trading day', () => {
    expect(view('2026-11-26')).toEqual({
      date: '2026-11-26',
      tradingDay: false,
      holidayName: 'Thanksgiving Day',
      earlyClose: false,
      sessions: [['overnight', '2026-11-26T20:00-05:00', '2026-11-27T04:00-05:00']],
    });
  });

  it('ordinary day ends with the overnight it opens (not the one it started in)', () => {
    expect(view('2026-11-18').sessions).toEqual([
      ['pre-market', '2026-11-18T04:00-05:00', '2026-11-18T09:30-05:00'],
      ['regular', '2026-11-18T09:30-05:00', '2026-11-18T16:00-05:00'],
      ['after-hours', '2026-11-18T16:00-05:00', '2026-11-18T20:00-05:00'],
      ['overnight', '2026-11-18T20:00-05:00', '2026-11-19T04:00-05:00'],
    ]);
  });

  it.each([
    ['2026-11-25', 3], // evening before a holiday: no overnight
    ['2026-11-28', 0], // Saturday
    ['2026-11-29', 1], // Sunday opens the week
    ['2026-12-25', 0], // Friday holiday
    ['2026-01-18', 0], // Sunday before a Monday holiday
  ])('%s has %d sessions', (date, count) => {
    expect(cal.schedule(date).sessions).toHaveLength(count);
  });

  it('DST Sunday overnight ends at Monday 04:00 local', () => {
    expect(view('2026-03-08').sessions).toEqual([['overnight', '2026-03-08T20:00-04:00', '2026-03-09T04:00-04:00']]);
  });
});

// The calendar's configuration is validated once, by the policy's zod schema; the domain
// calendar trusts its typed input. These cases go through that schema.
function policyWith(config: CalendarConfig): string {
  const p = parseYaml(readFileSync(DEFAULT_POLICY_PATH, 'utf8'));
  const h = config.hours;
  p.timezone = config.zone;
  p.calendar = {
    extra_closures: config.extraClosures,
    extra_early_closes: config.extraEarlyCloses,
    hours: {
      pre_market_open: h.preMarketOpen,
      regular_open: h.regularOpen,
      regular_close: h.regularClose,
      early_close: h.earlyClose,
      after_hours_close: h.afterHoursClose,
      early_after_hours_close: h.earlyAfterHoursClose,
      overnight_open: h.overnightOpen,
    },
  };
  return stringifyYaml(p);
}

describe('config validation', () => {
  const withHours = (hours: Partial<CalendarConfig['hours']>): CalendarConfig => ({
    ...DEFAULT_CALENDAR_CONFIG,
    hours: { ...DEFAULT_CALENDAR_CONFIG.hours, ...hours },
  });

  it.each([
    ['zone', { ...DEFAULT_CALENDAR_CONFIG, zone: 'America/New_Yrok' }, /timezone/],
    ['empty zone', { ...DEFAULT_CALENDAR_CONFIG, zone: '' }, /timezone/],
    ['hours.regularOpen format', withHours({ regularOpen: '9:30' }), /calendar\.hours\.regular_open/],
    ['hours.overnightOpen range', withHours({ overnightOpen: '24:00' }), /calendar\.hours\.overnight_open/],
    ['hours.earlyClose order', withHours({ earlyClose: '17:00' }), /calendar\.hours\.(regular_close|early_close)/],
    ['hours.afterHoursClose order', withHours({ afterHoursClose: '21:00' }), /calendar\.hours\.overnight_open/],
    ['hours.regularOpen order', withHours({ preMarketOpen: '10:00' }), /calendar\.hours\.regular_open/],
    ['extraClosures date', { ...DEFAULT_CALENDAR_CONFIG, extraClosures: ['2026-02-30'] }, /calendar\.extra_closures\.0/],
    ['extraEarlyCloses date', { ...DEFAULT_CALENDAR_CONFIG, extraEarlyCloses: ['tomorrow'] }, /calendar\.extra_early_closes\.0/],
  ] as Array<[string, CalendarConfig, RegExp]>)('rejects bad %s', (_label, config, message) => {
    expect(() => parsePolicy(policyWith(config))).toThrow(message);
  });

  it('the policy schema accepts the default and another valid zone', () => {
    expect(parsePolicy(policyWith(DEFAULT_CALENDAR_CONFIG)).calendar).toEqual(DEFAULT_CALENDAR_CONFIG);
    expect(parsePolicy(policyWith({ ...DEFAULT_CALENDAR_CONFIG, zone: 'Europe/London' })).calendar.zone).toBe('Europe/London');
  });

  it('accepts the default and another valid zone', () => {
    expect(() => new MarketCalendar(DEFAULT_CALENDAR_CONFIG)).not.toThrow();
    expect(() => new MarketCalendar({ ...DEFAULT_CALENDAR_CONFIG, zone: 'Europe/London' })).not.toThrow();
  });

  it('the shared default cannot be mutated', () => {
    expect(() => DEFAULT_CALENDAR_CONFIG.extraClosures.push('2026-01-02')).toThrow();
  });

  it('rejects malformed dates in queries', () => {
    expect(() => cal.isTradingDay('2026-13-01')).toThrow(/date/);
    expect(() => cal.schedule('26-11-27')).toThrow(/date/);
  });
});
