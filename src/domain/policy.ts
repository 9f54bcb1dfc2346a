import type { AlertRoute } from './alerts.js';
import type { ComplianceTask } from './compliance-schedule.js';
import type { EscalationPolicy } from './escalation.js';
import type { DeployPolicy } from './deploy-rules.js';
import type { CalendarConfig } from './market-calendar.js';

/**
 * The operating model as data. Everything an ops team tunes without a release lives here; the
 * YAML schema that produces it is in src/config/policy-schema.ts.
 */
export interface Responders {
  /** Slack user ids. */
  users: string[];
  /** Slack user-group handles (without `@`), resolved to members at use. */
  groups: string[];
}

export interface SeverityPolicy {
  /** `sev1` … `sev9`; the number orders them, 1 being the most severe. */
  id: string;
  label: string;
  description: string;
  respondWithinMs: number;
  requiredRoles: string[];
  defaultResponders: Responders;
  /** Groups mentioned in the announcement (the Sev1 group). */
  announceGroups: string[];
  escalation: EscalationPolicy;
}

export interface RolePolicy {
  id: string;
  label: string;
  description: string;
}

export interface ServicePolicy {
  id: string;
  name: string;
  /** The PagerDuty service (policy name) that owns it: `page: owner` pages this. */
  pagerduty: string | null;
}

export interface RegulatoryItem {
  id: string;
  title: string;
  /** User-group handles whose members own (and may tick) the item. */
  owners: string[];
}

export interface Policy {
  timezone: string;
  calendar: CalendarConfig;
  deploy: DeployPolicy;
  /** Named bearer tokens for the HTTP APIs; each value is read from the environment variable named. */
  apiTokens: Array<{ name: string; env: string; scopes: ApiScope[] }>;
  /** Who may do what to an incident (beyond declaring, which anyone may). */
  permissions: Record<IncidentAction, Permission>;
  pagerduty: {
    /** Policy name → the environment variable holding its Events API v2 routing key. */
    services: Record<string, { routingKeyEnv: string }>;
    /** Paged by `page: owner` when the incident's service names no PagerDuty service. */
    defaultService: string | null;
  };
  /** SMS contact groups: name → E.164 numbers. */
  contacts: Record<string, string[]>;
  regulatory: { dueWithinMs: number; remindBeforeMs: number; items: RegulatoryItem[] };
  compliance: {
    tasks: ComplianceTask[];
    /** Local `HH:MM` of the daily digest in the compliance channel. */
    digestAt: string;
    /** Groups whose members may complete any task (besides the task's owner group). */
    completers: string[];
  };
  severities: SeverityPolicy[];
  roles: RolePolicy[];
  services: ServicePolicy[];
  channels: { announcements: string; compliance: string; approvals: string };
  /** Inbound alerts: routes in order, the last one a catch-all (docs/alerts.md). */
  alerts: { routes: AlertRoute[] };
}

export const INCIDENT_COMMANDER = 'incident_commander';

export function severityById(policy: Policy, id: string): SeverityPolicy | undefined {
  return policy.severities.find((s) => s.id === id);
}

export function roleById(policy: Policy, id: string): RolePolicy | undefined {
  return policy.roles.find((r) => r.id === id);
}

/** `sev1–sev4`, for error messages. */
export function severityRange(policy: Policy): string {
  const ids = policy.severities.map((s) => s.id);
  return ids.length > 1 ? `${ids[0]}–${ids[ids.length - 1]}` : (ids[0] ?? '');
}

export type ApiScope = 'deploy-gate' | 'compliance' | 'alerts';
export type IncidentAction = 'resolve' | 'change_severity';

/** Anyone matching any entry may act: a role on the incident, its declarer, or a group member. */
export interface Permission {
  roles: string[];
  declarer: boolean;
  groups: string[];
}
