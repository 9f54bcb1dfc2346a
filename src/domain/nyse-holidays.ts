import type { DateTime } from 'luxon';
import { isoOf, ymd } from './calendar-dates.js';

/**
 * NYSE's standing holiday and early-close rules (Rule 7.2), year by year. Pure. One-off
 * closures and early closes (national days of mourning, …) come from the policy and are
 * applied by the MarketCalendar on top of these.
 */

export interface YearRules {
  /** ISO date → holiday name. */
  closures: ReadonlyMap<string, string>;
  /** ISO dates of 13:00 closes. */
  earlyCloses: ReadonlySet<string>;
}

/** Extra closures we know the reason for; any other configured closure is 'Market closure'. */
const KNOWN_CLOSURE_NAMES: Readonly<Record<string, string>> = {
  '2018-12-05': 'National Day of Mourning',
  '2025-01-09': 'National Day of Mourning',
};

/** The name shown for a closure configured in the policy (not one of the standing rules). */
export function extraClosureName(iso: string): string {
  return KNOWN_CLOSURE_NAMES[iso] ?? 'Market closure';
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

const yearRulesCache = new Map<number, YearRules>();

/** NYSE's standing rules for one year. */
export function nyseRules(year: number): YearRules {
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
