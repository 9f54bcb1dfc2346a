import type { Declarer } from './declarer.js';
import { DomainError, type FreeTextField } from './errors.js';
import { INCIDENT_COMMANDER, roleById, type Policy } from './policy.js';

export type IncidentStatus = 'open' | 'resolved';

export interface RoleHolder {
  userId: string;
  assignedBy: string;
  assignedAt: Date;
}

export interface Incident {
  id: number;
  title: string;
  severity: string;
  status: IncidentStatus;
  customerImpact: string | null;
  service: string | null;
  isPrivate: boolean;
  /** A Slack user or an integration (see declarer.ts). */
  declarer: Declarer;
  declaredAt: Date;
  channelId: string | null;
  channelName: string | null;
  roles: Record<string, RoleHolder>;
  lastStatus: string | null;
  resolvedAt: Date | null;
  resolvedBy: string | null;
  resolution: string | null;
  /** Bumped by every change; views render the latest and skip stale re-renders. */
  version: number;
  /** The first response: an IC assigned or an acknowledgement. */
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  responseMs: number | null;
  /** Escalation fencing token (see escalation.ts judgeStep). */
  generation: number;
  clockStart: Date | null;
  clockDeferredFrom: string | null;
  pagedServices: string[];
  lastStatusAt: Date | null;
  statusSeq: number;
  nextNudgeAt: Date | null;
}

export type ResponseHow = 'acknowledged' | 'incident-commander';

/**
 * Records the first response (someone pressed Acknowledge, or an IC was assigned) and bumps the
 * escalation generation, so every pending "unless acknowledged" step stops. Returns false when
 * the incident was already answered.
 */
export function respond(incident: Incident, by: string, at: Date): boolean {
  requireOpen(incident);
  if (incident.acknowledgedAt) return false;
  incident.acknowledgedAt = at;
  incident.acknowledgedBy = by;
  incident.responseMs = Math.max(0, at.getTime() - (incident.clockStart ?? incident.declaredAt).getTime());
  incident.generation += 1;
  incident.version += 1;
  return true;
}

export const TITLE_MAX = 150;
export const TEXT_MAX = 2000;

export function incidentRef(id: number): string {
  return `INC-${id}`;
}

/** Parses `INC-42` / `inc-42` / `42`. */
export function parseIncidentRef(text: string): number | null {
  const m = /^(?:inc-)?(\d{1,9})$/i.exec(text.trim());
  return m ? Number(m[1]) : null;
}

/**
 * Control characters (newlines included) become spaces so a title stays one line in a topic,
 * a channel name and an SMS; then whitespace is collapsed.
 */
export function cleanText(text: string): string {
  // eslint-disable-next-line no-control-regex -- stripping them is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').replace(/\s+/g, ' ').trim();
}

export function validateTitle(raw: string): string {
  const title = cleanText(raw);
  if (title === '') throw new DomainError('title_required', 'An incident needs a title: say what is broken, e.g. `/incident sev2 Options quotes delayed`.');
  if ([...title].length > TITLE_MAX) {
    throw new DomainError('title_too_long', `The title is ${[...title].length} characters; keep it to ${TITLE_MAX} and put details in the customer impact or a status update.`);
  }
  return title;
}

export function validateFreeText(raw: string, what: FreeTextField, required: boolean): string | null {
  // eslint-disable-next-line no-control-regex -- keep newlines and tabs, drop the rest (NUL breaks jsonb)
  const text = raw.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '').trim();
  if (text === '') {
    if (required) throw new DomainError(`${what}_required`, `Please add the ${what.replace(/_/g, ' ')} after the subcommand.`);
    return null;
  }
  if ([...text].length > TEXT_MAX) throw new DomainError(`${what}_too_long`, `The ${what.replace(/_/g, ' ')} is over ${TEXT_MAX} characters; shorten it.`);
  return text;
}

export function requireOpen(incident: Incident): void {
  if (incident.status === 'resolved') {
    throw new DomainError('incident_resolved', `${incidentRef(incident.id)} is already resolved; declare a new incident if the problem is back.`);
  }
}

export interface RoleChange {
  role: string;
  previous: string | null;
  next: string;
}

/** Gives `role` to `userId`. Returns null when they already hold it (a double click). */
export function assignRole(policy: Policy, incident: Incident, role: string, userId: string, by: string, at: Date): RoleChange | null {
  requireOpen(incident);
  if (!roleById(policy, role)) throw new DomainError('unknown_role', `There is no role "${role}" in the policy.`);
  const previous = incident.roles[role]?.userId ?? null;
  if (previous === userId) return null;
  incident.roles[role] = { userId, assignedBy: by, assignedAt: at };
  incident.version += 1;
  return { role, previous, next: userId };
}

export function commander(incident: Incident): string | null {
  return incident.roles[INCIDENT_COMMANDER]?.userId ?? null;
}

export function changeSeverity(incident: Incident, severity: string): string {
  requireOpen(incident);
  if (incident.severity === severity) {
    throw new DomainError('same_severity', `${incidentRef(incident.id)} is already ${severity.toUpperCase()}.`);
  }
  const previous = incident.severity;
  incident.severity = severity;
  incident.generation += 1;
  incident.version += 1;
  return previous;
}

export function postStatus(incident: Incident, text: string, at: Date): void {
  requireOpen(incident);
  incident.lastStatus = text;
  incident.lastStatusAt = at;
  incident.statusSeq += 1;
  incident.version += 1;
}

export function resolve(incident: Incident, by: string, summary: string, at: Date): void {
  requireOpen(incident);
  incident.status = 'resolved';
  incident.resolvedAt = at;
  incident.resolvedBy = by;
  incident.resolution = summary;
  incident.generation += 1;
  incident.version += 1;
}

const MAX_CHANNEL_NAME = 80;

/**
 * Slack's channel-name rules: lowercase letters, digits, `-`, `_`, at most 80 characters.
 * Accents are folded (`Café` → `cafe`), everything else becomes a dash. `suffix` (2, 3, …) is
 * appended when the plain name is taken, and the slug is cut so that the whole still fits.
 */
export function channelNameFor(id: number, title: string, suffix = 1): string {
  const prefix = `inc-${id}`;
  const tail = suffix > 1 ? `-${suffix}` : '';
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const room = MAX_CHANNEL_NAME - prefix.length - tail.length - 1;
  let cut = slug.slice(0, room);
  if (cut.length < slug.length && cut.includes('-')) cut = cut.slice(0, cut.lastIndexOf('-'));
  cut = cut.replace(/-+$/, '');
  return cut ? `${prefix}-${cut}${tail}` : `${prefix}${tail}`;
}
