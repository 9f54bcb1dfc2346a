/**
 * Inbound alerts, normalised, and the policy's routing of them: which route an alert takes
 * (first match wins) and which group it belongs to. Pure: no I/O, no clock.
 */
export const ALERT_SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** One alert as every source is normalised to (see src/app/ports/alert-source.ts). */
export interface Alert {
  /** The source's name as the policy knows it (`alertmanager`, or the generic payload's `source`). */
  source: string;
  /** Stable across repeats and the resolve of the same alert (Alertmanager: the fingerprint). */
  dedupKey: string;
  /** Which occurrence: Alertmanager's startsAt; '' when the source has no notion of it. */
  occurrence: string;
  status: 'firing' | 'resolved';
  title: string;
  severity: AlertSeverity;
  /** The affected service, when the payload names one. */
  service: string | null;
  labels: Record<string, string>;
  link: string | null;
  startsAt: Date;
  endsAt: Date | null;
  /** The part of the payload this alert came from, kept as sent. */
  raw: unknown;
}

export type LabelMatch = { equals: string } | { regex: string } | { exists: boolean };

export interface AlertRouteMatch {
  sources: string[];
  severities: AlertSeverity[];
  labels: Record<string, LabelMatch>;
}

export type AlertAction = 'declare' | 'triage' | 'attach' | 'drop';

export interface AlertRoute {
  name: string;
  match: AlertRouteMatch;
  action: AlertAction;
  /** declare: the incident's severity; triage: what its Declare button declares; attach: the fallback's. */
  severity: string | null;
  /** The incident's service; null takes the alert's. */
  service: string | null;
  responders: { users: string[]; groups: string[] };
  /** attach only: with no open incident of the service, `triage`, `declare` (at `severity`) or `drop`. */
  fallback: 'triage' | 'declare' | 'drop';
  /** The triage channel (name) for `triage`, and for `attach` falling back to it. */
  channel: string;
  /** A template over `{source}`, `{service}`, `{severity}` and `{<label>}`. */
  groupKey: string;
  groupWindowMs: number;
  /** Resolve the incident when every alert of a group it holds has resolved (default: only say so). */
  autoResolve: boolean;
}

export const DEFAULT_GROUP_KEY = '{source}/{alertname}/{service}';

/** The `source` of alerts made from incidents PagerDuty opened itself (docs/alerts.md). */
export const PAGERDUTY_SOURCE = 'pagerduty';

/** Severity from the words senders use: sev1–sev4 or critical/error/warning/info (and a few aliases). */
export function alertSeverityOf(text: string | null | undefined): AlertSeverity | null {
  const t = (text ?? '').trim().toLowerCase();
  const map: Record<string, AlertSeverity> = {
    sev1: 'critical', critical: 'critical', page: 'critical', p1: 'critical',
    sev2: 'error', error: 'error', high: 'error', p2: 'error',
    sev3: 'warning', warning: 'warning', warn: 'warning', medium: 'warning', p3: 'warning',
    sev4: 'info', info: 'info', low: 'info', none: 'info', p4: 'info', p5: 'info',
  };
  return map[t] ?? null;
}

function labelMatches(value: string | undefined, m: LabelMatch): boolean {
  if ('exists' in m) return m.exists === (value !== undefined && value !== '');
  if (value === undefined) return false;
  if ('equals' in m) return value === m.equals;
  return new RegExp(`^(?:${m.regex})$`).test(value);
}

/** Whether the route's match holds for the alert; an empty match holds for every alert. */
export function routeMatches(route: AlertRoute, alert: Alert): boolean {
  const { match } = route;
  if (match.sources.length && !match.sources.includes(alert.source)) return false;
  if (match.severities.length && !match.severities.includes(alert.severity)) return false;
  const fields = fieldsOf(alert);
  return Object.entries(match.labels).every(([k, m]) => labelMatches(fields[k], m));
}

/** The first route that matches (the policy guarantees the last matches everything). */
export function routeAlert(routes: AlertRoute[], alert: Alert): AlertRoute {
  const route = routes.find((r) => routeMatches(r, alert));
  if (!route) throw new Error('no alert route matched: the policy must end with a catch-all route');
  return route;
}

/** Labels plus `source`, `service` and `severity` (labels win where a sender sets them). */
function fieldsOf(alert: Alert): Record<string, string> {
  return { source: alert.source, severity: alert.severity, ...(alert.service ? { service: alert.service } : {}), ...alert.labels };
}

/** The group an alert belongs to under the route: its template filled in (a missing field is `-`). */
export function groupKeyOf(route: AlertRoute, alert: Alert): string {
  const fields: Record<string, string> = { ...fieldsOf(alert), source: alert.source, ...(alert.service ? { service: alert.service } : {}) };
  return `${route.name}:${route.groupKey.replace(/\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g, (_, k: string) => fields[k] || '-')}`;
}

/** The names a template uses, for validating the policy. */
export function templateFields(template: string): string[] {
  return [...template.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]!);
}

/** What the ingest did with an alert, as recorded and audited. */
export type AlertOutcome = 'declared' | 'joined' | 'attached' | 'triaged' | 'dismissed' | 'dropped' | 'resolved' | 'resolved_unmatched';
