import { DateTime } from 'luxon';

/**
 * Calendar-date helpers for the market calendar. Dates are plain 'YYYY-MM-DD'; arithmetic on
 * them is done in UTC, where a day is always a day.
 */

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A date argument of a calendar query (not configuration: the policy's dates are checked by
 * its zod schema). Callers pass user-derived dates, so a bad one is an error, not a guess.
 */
export function parseIsoDate(value: string, field: string): DateTime {
  const dt = ISO_DATE.test(value) ? DateTime.fromISO(value, { zone: 'utc' }) : null;
  if (!dt || !dt.isValid) {
    throw new Error(`${field} must be an ISO date (YYYY-MM-DD), got ${JSON.stringify(value)}`);
  }
  return dt;
}

export function isoOf(dt: DateTime): string {
  return dt.toFormat('yyyy-MM-dd');
}

export function addDays(date: string, days: number): string {
  return isoOf(DateTime.fromISO(date, { zone: 'utc' }).plus({ days }));
}

/** 1 = Monday … 7 = Sunday. */
export function weekdayOf(date: string): number {
  return DateTime.fromISO(date, { zone: 'utc' }).weekday;
}

export function ymd(year: number, month: number, day: number): DateTime {
  return DateTime.utc(year, month, day);
}
