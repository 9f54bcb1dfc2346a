import { DateTime } from 'luxon';
import { z } from 'zod';

/**
 * The `calendar:` section of the policy. Everything about the calendar's configuration is
 * checked here, once: the domain's MarketCalendar trusts what this produces.
 */

export const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time HH:MM (24 h)');

/** `YYYY-MM-DD` naming a real day (no 2026-02-30). */
export const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((d) => DateTime.fromISO(d, { zone: 'utc' }).isValid, 'is not a real date');

export function isValidZone(zone: string): boolean {
  if (zone.trim() === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const hoursSchema = z.strictObject({
  pre_market_open: hhmm.default('04:00'),
  regular_open: hhmm.default('09:30'),
  regular_close: hhmm.default('16:00'),
  early_close: hhmm.default('13:00'),
  after_hours_close: hhmm.default('20:00'),
  early_after_hours_close: hhmm.default('17:00'),
  overnight_open: hhmm.default('20:00'),
});
type HoursKey = keyof z.infer<typeof hoursSchema>;

/** Sessions of one day must not overlap; equal boundaries just make a session empty. */
const ORDER: Array<[HoursKey, HoursKey, 'lt' | 'le']> = [
  ['pre_market_open', 'regular_open', 'le'],
  ['regular_open', 'early_close', 'lt'],
  ['regular_open', 'regular_close', 'lt'],
  ['early_close', 'regular_close', 'le'],
  ['regular_close', 'after_hours_close', 'le'],
  ['early_close', 'early_after_hours_close', 'le'],
  ['after_hours_close', 'overnight_open', 'le'],
  ['early_after_hours_close', 'overnight_open', 'le'],
];

export const calendarSchema = z.strictObject({
  extra_closures: z.array(isoDate).default(['2018-12-05', '2025-01-09']),
  extra_early_closes: z.array(isoDate).default([]),
  hours: hoursSchema
    .superRefine((h, ctx) => {
      // HH:MM strings compare like the times they name.
      for (const [lo, hi, rel] of ORDER) {
        if (rel === 'lt' ? !(h[lo] < h[hi]) : !(h[lo] <= h[hi])) {
          ctx.addIssue({ code: 'custom', path: [hi], message: `${h[hi]} must be ${rel === 'lt' ? 'after' : 'at or after'} ${lo} (${h[lo]})` });
        }
      }
    })
    .prefault({}),
});
