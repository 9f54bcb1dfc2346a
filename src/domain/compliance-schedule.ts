import { DateTime } from 'luxon';
import type { MarketCalendar } from './market-calendar.js';

export type TaskDays = 'trading-days' | 'weekdays' | 'every-day';
export type TaskKind = 'automated' | 'manual';

/** When a task opens and is due: local `HH:MM`, or an offset after that day's regular close. */
export type TaskTime = { at: string } | { afterClose: number };

export interface ComplianceTask {
  id: string;
  title: string;
  /** Slack user-group handle. */
  owner: string;
  channel: string;
  kind: TaskKind;
  days: TaskDays;
  opens: TaskTime;
  due: TaskTime;
  warnBeforeMs: number;
  /** PagerDuty service paged on a miss or a reported problem (null: none). */
  pagerduty: string | null;
  /** Groups notified on a miss (DM + channel mention). */
  notifyOnMiss: string[];
}

export interface PlannedRun {
  taskId: string;
  /** The trading (or calendar) date the run covers, ISO. */
  date: string;
  opensAt: Date;
  warnAt: Date;
  dueAt: Date;
}

function runsOn(days: TaskDays, date: string, calendar: MarketCalendar): boolean {
  const weekday = DateTime.fromISO(date).weekday;
  switch (days) {
    case 'trading-days':
      return calendar.isTradingDay(date);
    case 'weekdays':
      return weekday <= 5;
    case 'every-day':
      return true;
  }
}

/**
 * The instant of a task time on a date, in the zone. Built from the local date and time, so a
 * 02:00 task exists exactly once on both DST change days (a skipped 02:00 moves to 03:00).
 */
function instant(t: TaskTime, date: string, zone: string, calendar: MarketCalendar): Date {
  if ('at' in t) {
    const [h, m, s = 0] = t.at.split(':').map(Number) as [number, number, number?];
    const d = DateTime.fromISO(date, { zone });
    return DateTime.fromObject({ year: d.year, month: d.month, day: d.day, hour: h, minute: m, second: s }, { zone }).toJSDate();
  }
  const regular = calendar.schedule(date).sessions.find((s) => s.kind === 'regular');
  // On a day without a regular session (a weekday holiday for a `weekdays` task) use the usual close.
  const close = regular ? regular.end : DateTime.fromISO(`${date}T16:00`, { zone });
  return close.plus({ milliseconds: t.afterClose }).toJSDate();
}

/** Runs of `tasks` for the dates `from` … `from + days - 1` (ISO dates in the zone). */
export function planRuns(tasks: ComplianceTask[], calendar: MarketCalendar, zone: string, from: string, days: number): PlannedRun[] {
  const out: PlannedRun[] = [];
  let d = DateTime.fromISO(from, { zone });
  for (let i = 0; i < days; i++, d = d.plus({ days: 1 })) {
    const date = d.toISODate()!;
    for (const task of tasks) {
      if (!runsOn(task.days, date, calendar)) continue;
      const opensAt = instant(task.opens, date, zone, calendar);
      const dueAt = instant(task.due, date, zone, calendar);
      // A warning that would come with the card itself is noise: then warnAt = dueAt (no warning).
      const warn = dueAt.getTime() - task.warnBeforeMs;
      out.push({ taskId: task.id, date, opensAt, dueAt, warnAt: new Date(warn > opensAt.getTime() ? warn : dueAt.getTime()) });
    }
  }
  return out.sort((a, b) => a.opensAt.getTime() - b.opensAt.getTime());
}

export type RunState = 'scheduled' | 'open' | 'done' | 'missed' | 'failed';

/** How a run ended, for the digest and the examiner: on time, late (+12 m), missed, open. */
export function runOutcome(run: { status: RunState; dueAt: Date; doneAt: Date | null }): 'on time' | 'late' | 'missed' | 'open' | 'failed' | 'scheduled' {
  if (run.status === 'done') return run.doneAt && run.doneAt > run.dueAt ? 'late' : 'on time';
  return run.status === 'scheduled' ? 'scheduled' : run.status === 'missed' ? 'missed' : run.status === 'failed' ? 'failed' : 'open';
}
