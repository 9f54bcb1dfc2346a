import { readFileSync } from 'node:fs';
import { DateTime } from 'luxon';
import { parse, stringify } from 'yaml';
import { DEFAULT_POLICY_PATH, parsePolicy } from '../../src/config/policy-schema.js';
import type { Policy } from '../../src/domain/policy.js';
import { nextWholeSecond } from './clock.js';

/**
 * Seconds from the demo's start (t0, just before the bot starts) at which its two compliance tasks
 * open, warn and fall due: after the Sev1 story (about 10 s), and late enough that a slow start
 * of the bot on a busy machine is still on time for them.
 */
export const DEMO_TASKS = {
  missed: { id: 'nscc-settlement', title: 'NSCC settlement file', opens: 12, warnBefore: 2, due: 16, page: 'clearing-oncall' },
  done: { id: 'finra-cat', title: 'FINRA CAT reporting', opens: 13, warnBefore: 10, due: 70, page: 'sre-oncall' },
} as const;

/** The demo tasks' own channel (a task may name its team's channel; #compliance is the default). */
export const DEMO_TASK_CHANNEL = 'regulatory-reporting';

/** The Sev1 ladder in the demo: seconds where the policy has minutes. */
export const DEMO_LADDER = { respondWithin: 5, step2: 5, step3: 20 } as const;

/** How far past t0 the demo's times reach (the latest due time, with room for a slow start). */
export const DEMO_SPAN_MS = 120_000;

export interface DemoSchedule {
  date: string;
  at: (seconds: number) => DateTime;
}

/**
 * The default policy, timed for a demo that runs in seconds: the Sev1 ladder climbs after 5 s and
 * 20 s instead of 5 and 10 minutes, and two compliance tasks open, warn and fall due a few seconds
 * after `t0` (real wall-clock times, ET, every day). Everything else is the default policy.
 */
export function demoPolicy(t0: DateTime): { policy: Policy; schedule: DemoSchedule } {
  const p = parse(readFileSync(DEFAULT_POLICY_PATH, 'utf8'));
  const zone: string = p.timezone ?? 'America/New_York';
  const base = nextWholeSecond(t0.setZone(zone));
  const at = (s: number) => base.plus({ seconds: s });
  const hms = (s: number) => at(s).toFormat('HH:mm:ss');
  const sev1 = p.severities.sev1;
  sev1.respond_within = `${DEMO_LADDER.respondWithin}s`;
  sev1.escalation[1].after = `${DEMO_LADDER.step2}s`;
  sev1.escalation[2].after = `${DEMO_LADDER.step3}s`;
  const task = (t: (typeof DEMO_TASKS)[keyof typeof DEMO_TASKS]) => ({
    id: t.id,
    title: t.title,
    owner: 'compliance',
    channel: DEMO_TASK_CHANNEL,
    kind: 'automated',
    days: 'every-day',
    opens: hms(t.opens),
    due: hms(t.due),
    warn_before: `${t.warnBefore}s`,
    page: t.page,
    notify_on_miss: ['compliance-managers'],
  });
  p.compliance = {
    // The day's digest comes at the last second of the day: never within the demo (which keeps
    // clear of midnight), so it is not part of the story.
    digest_at: '23:59:59',
    completers: ['compliance'],
    tasks: [task(DEMO_TASKS.missed), task(DEMO_TASKS.done)],
  };
  return { policy: parsePolicy(stringify(p), 'demo policy'), schedule: { date: base.toISODate()!, at } };
}
