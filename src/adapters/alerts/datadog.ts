import { createHash } from 'node:crypto';
import { z } from 'zod';
import { alertSeverityOf, type Alert, type AlertSeverity } from '../../domain/alerts.js';
import type { AlertSource, NormalisedBatch } from '../../app/ports/alert-source.js';
import { parseOr400 } from './payload.js';

/*
 * The Datadog Webhooks integration posts whatever payload template the user writes, with its
 * `$VARIABLES` filled in as text (docs/alerts.md gives the template this reads). What the variables
 * mean, per Datadog's webhooks integration docs (docs.datadoghq.com/integrations/webhooks):
 * - $ALERT_ID: the ID of the alerting monitor; $ALERT_SCOPE: comma-separated tags triggering the
 *   alert (`availability-zone:us-east-1a, role:computing-node`), one per group of a multi-alert;
 * - $ALERT_CYCLE_KEY: "ID to link events from the time an alert triggers until it resolves";
 * - $ALERT_TRANSITION: Recovered, Triggered/Re-Triggered, No Data/Re-No Data, Warn/Re-Warn, Renotify;
 * - $ALERT_PRIORITY: P1, P2…; $ALERT_TYPE: error, warning, success, info;
 * - $TAGS: comma-separated event tags, valueless ones included (`monitor, name:myService, role:x`);
 * - $DATE: epoch milliseconds of the event (`1406662672000`); $LINK: the event's URL.
 * Datadog retries only on a 5xx (or its own internal error), 5 times, 15 s timeout each.
 */

/** Every value arrives as a string: the template keeps each variable inside quotes. */
const text = z.string().max(100_000).default('');
const required = (what: string) =>
  z
    .string()
    .trim()
    .min(1, `must not be empty: put ${what} in the payload template`)
    .max(1000)
    .refine((s) => !isUnfilled(s), `was not filled in by Datadog (still ${what}): is this a monitor notification?`);

const TRANSITIONS = ['Triggered', 'Re-Triggered', 'Recovered', 'Warn', 'Re-Warn', 'No Data', 'Re-No Data', 'Renotify'] as const;
type Transition = (typeof TRANSITIONS)[number];

const payload = z.object({
  id: text,
  alert_id: required('$ALERT_ID'),
  alert_cycle_key: required('$ALERT_CYCLE_KEY'),
  transition: z
    .string()
    .transform((s) => TRANSITIONS.find((t) => t.toLowerCase() === s.trim().toLowerCase()))
    .refine((t): t is Transition => t !== undefined, `must be one of ${TRANSITIONS.join(', ')} ($ALERT_TRANSITION)`),
  priority: text.refine((s) => isUnfilled(s) || s.trim() === '' || /^P[1-5]$/i.test(s.trim()), 'must be P1–P5 or empty ($ALERT_PRIORITY)'),
  alert_type: text,
  scope: text,
  title: required('$EVENT_TITLE'),
  message: text,
  tags: text,
  hostname: text,
  link: text,
  date: text.refine((s) => isUnfilled(s) || s.trim() === '' || /^\d{10,13}$/.test(s.trim()), 'must be epoch milliseconds like 1406662672000 ($DATE)'),
  last_updated: text,
  org_id: text,
});

/** A variable Datadog had no value for can be left in as written (`$HOSTNAME`): treat it as absent. */
function isUnfilled(s: string): boolean {
  return /^\$[A-Z][A-Z_]*(\[[^\]]*\])?$/.test(s.trim());
}
const filled = (s: string): string => (isUnfilled(s) ? '' : s.trim());

/** `key:value` pairs from a comma-separated tag list; a valueless tag (`monitor`) maps to ''. The first of a key wins. */
export function parseTags(list: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of filled(list).split(',')) {
    const tag = raw.trim();
    if (!tag) continue;
    const at = tag.indexOf(':');
    const [k, v] = at === -1 ? [tag, ''] : [tag.slice(0, at).trim(), tag.slice(at + 1).trim()];
    if (k && !(k in out)) out[k] = v;
  }
  return out;
}

/** The scope as a stable key: its tags trimmed and sorted (`*` or empty: the monitor as a whole). */
function scopeKey(scope: string): string {
  const tags = filled(scope)
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t && t !== '*');
  return [...new Set(tags)].sort().join(',');
}

/**
 * The monitor's name from the event title: Datadog prefixes it with the transition, the group and
 * sometimes the priority (`[P1] [Triggered on {service:clearing}] NSCC collateral demand`).
 */
export function monitorName(title: string): string {
  let rest = title.trim();
  const prefix = /^\[(?:P[1-5]|(?:Re-)?Triggered|Recovered|(?:Re-)?Warn|(?:Re-)?No Data|Renotify)(?: on [^\]]*)?\]\s*/i;
  while (prefix.test(rest)) rest = rest.replace(prefix, '');
  return (rest || title.trim()).replace(/\s+/g, ' ');
}

const ORDER: AlertSeverity[] = ['info', 'warning', 'error', 'critical'];
const atMost = (a: AlertSeverity, cap: AlertSeverity): AlertSeverity => (ORDER.indexOf(a) <= ORDER.indexOf(cap) ? a : cap);

/**
 * Which part of an alert cycle a notification is about. The cycle key is the occurrence; a Warn or
 * No Data in it is an occurrence of its own (`<cycle>/warn`), so a monitor that warns and then
 * alerts in one cycle is heard at both levels, while each level's repeats are duplicates.
 * A Recovered closes the cycle and every phase of it (the alert store's firingRecord).
 */
function phaseOf(t: Transition, alertType: string): '' | '/warn' | '/no-data' {
  if (t === 'Warn' || t === 'Re-Warn') return '/warn';
  if (t === 'No Data' || t === 'Re-No Data') return '/no-data';
  // A Renotify repeats the state the monitor is in; its $ALERT_TYPE says warning for a Warn.
  if (t === 'Renotify' && alertType.trim().toLowerCase() === 'warning') return '/warn';
  return '';
}

function epoch(s: string): Date | null {
  const v = filled(s);
  if (!v) return null;
  const n = Number(v);
  return new Date(v.length <= 10 ? n * 1000 : n);
}

export const datadogSource: AlertSource = {
  name: 'datadog',
  normalise(body: unknown, receivedAt: Date): NormalisedBatch {
    const p = parseOr400(payload, body);
    const transition = p.transition as Transition;
    const tags = parseTags(p.tags);
    const scope = scopeKey(p.scope);
    const monitor = monitorName(p.title);
    const host = filled(p.hostname);
    const priority = filled(p.priority).toUpperCase();
    const labels: Record<string, string> = {
      ...tags,
      ...parseTags(scope),
      alertname: monitor,
      monitor_id: p.alert_id,
      transition,
      ...(priority ? { priority } : {}),
      ...(host ? { host } : {}),
      ...(scope ? { scope } : {}),
    };
    const phase = phaseOf(transition, filled(p.alert_type));
    // The severity: tag wins over the priority; without either an alert is a warning, as from Alertmanager.
    const level = alertSeverityOf(tags['severity']) ?? alertSeverityOf(priority) ?? 'warning';
    // Warn and No Data are below the monitor's alert level: at most a warning (a route may match `transition`).
    const severity = phase === '' ? level : atMost(level, 'warning');
    const key = scope ? `${p.alert_id}:${scope}` : p.alert_id;
    const at = epoch(p.date) ?? receivedAt;
    const link = filled(p.link);
    const alert: Alert = {
      source: 'datadog',
      // One alert per monitor group (a multi-alert monitor has one per scope); long scopes hashed to fit.
      dedupKey: key.length <= 255 ? key : `${p.alert_id}:sha256:${createHash('sha256').update(scope).digest('hex')}`,
      occurrence: `${p.alert_cycle_key}${transition === 'Recovered' ? '' : phase}`,
      status: transition === 'Recovered' ? 'resolved' : 'firing',
      title: `${monitor}${scope ? ` (${scope})` : ''}`.slice(0, 1024),
      severity,
      service: tags['service'] || null,
      labels,
      link: /^https?:\/\/\S+$/.test(link) ? link.slice(0, 2000) : null,
      startsAt: at,
      endsAt: transition === 'Recovered' ? at : null,
      raw: body,
    };
    return { alerts: [alert], truncated: 0 };
  },
};
