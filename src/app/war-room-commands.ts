import { declaringUser } from '../domain/declarer.js';
import { DomainError } from '../domain/errors.js';
import { changeSeverity as changeSev, incidentRef, postStatus as post, validateFreeText, type Incident } from '../domain/incident.js';
import { formatDesk } from '../domain/time.js';
import { severityById } from '../domain/policy.js';
import type { IncidentDeps } from './deps.js';
import { startLadder } from './escalation/ladder.js';
import type { IncidentTx } from './ports/incident-store.js';
import { recordResolution } from './resolution.js';
import { esc, mention, roleLabel, severityLabel } from './messages.js';
import { ForbiddenError } from '../domain/errors.js';
import type { IncidentAction, Policy } from '../domain/policy.js';

/** Runs a war-room command against the incident that owns `channelId`, row-locked. */
async function inWarRoom<T>(deps: IncidentDeps, channelId: string, fn: (tx: IncidentTx, incident: Incident) => Promise<T>): Promise<T> {
  return deps.store.transaction(async (tx) => {
    const incident = await tx.lockIncidentByChannel(channelId);
    if (!incident) throw new DomainError('not_in_war_room', 'This channel is not an incident war room. Run the command in the incident\'s #inc-… channel.');
    return fn(tx, incident);
  });
}

async function followUp(tx: IncidentTx, incident: Incident, seq: number, text: string, alsoAnnounce: boolean): Promise<void> {
  await tx.enqueue({ kind: 'incident.notice', dedupeKey: `notice-${seq}`, payload: { incidentId: incident.id, where: 'war-room', text } });
  if (alsoAnnounce) {
    await tx.enqueue({ kind: 'incident.notice', dedupeKey: `announce-${seq}`, payload: { incidentId: incident.id, where: 'announcements', text: `${incidentRef(incident.id)}: ${text}` } });
  }
  await tx.enqueue({ kind: 'incident.sync', dedupeKey: `sync-${incident.id}-v${incident.version}`, payload: { incidentId: incident.id } });
}

/** `/incident status <text>`: records the update and posts it in the war room. */
export async function postStatus(deps: IncidentDeps, channelId: string, userId: string, rawText: string): Promise<Incident> {
  const text = validateFreeText(rawText, 'status_update', true)!;
  return inWarRoom(deps, channelId, async (tx, incident) => {
    const now = deps.clock.now();
    post(incident, text, now);
    // A new status resets the nudge: the next reminder is one interval from now.
    const every = severityById(deps.policy, incident.severity)?.escalation.statusEveryMs;
    incident.nextNudgeAt = every ? new Date(now.getTime() + every) : null;
    if (incident.nextNudgeAt) tx.wake({ kind: 'nudge', incidentId: incident.id, seq: incident.statusSeq, at: incident.nextNudgeAt });
    await tx.saveIncident(incident);
    const seq = await tx.audit({ actor: userId, action: 'incident.status_posted', incidentId: incident.id, subject: incidentRef(incident.id), data: { text } });
    await followUp(tx, incident, seq, `:memo: *Status update* from ${mention(userId)}:\n${esc(text)}`, false);
    return incident;
  });
}

/**
 * The policy's permission for an incident action: a role on the incident, its declarer, or a
 * member of a listed group. A denial is audited and explained.
 */
export async function authorize(deps: IncidentDeps, channelId: string, userId: string, action: IncidentAction): Promise<void> {
  const incident = await deps.store.findByChannel(channelId);
  if (!incident) return; // the use case reports "not a war room"
  const perm = deps.policy.permissions[action];
  if (perm.declarer && declaringUser(incident.declarer) === userId) return;
  if (perm.roles.some((r) => incident.roles[r]?.userId === userId)) return;
  for (const g of perm.groups) if (await deps.chat.isGroupMember(g, userId)) return;
  const who = [
    ...perm.roles.map((r) => roleLabel(deps.policy, r)),
    ...(perm.declarer ? ['the declarer'] : []),
    ...perm.groups.map((g) => `@${g}`),
  ].join(', ');
  await deps.store.audit({ actor: userId, action: 'incident.denied', incidentId: incident.id, subject: incidentRef(incident.id), data: { attempted: action } });
  throw new ForbiddenError(`Only ${who} may ${action === 'resolve' ? 'resolve' : 'change the severity of'} ${incidentRef(incident.id)}.`);
}

/** `/incident sevN <reason>` in the war room. Announced, since a severity change changes who cares. */
export async function changeSeverity(deps: IncidentDeps, channelId: string, userId: string, severity: string, rawReason: string): Promise<{ incident: Incident; previous: string }> {
  if (!severityById(deps.policy, severity)) throw new DomainError('unknown_severity', `"${severity}" is not a severity.`);
  const reason = validateFreeText(rawReason, 'reason', true)!;
  await authorize(deps, channelId, userId, 'change_severity');
  return inWarRoom(deps, channelId, async (tx, incident) => {
    const previous = changeSev(incident, severity);
    // The old ladder stops (its generation is stale); the new severity's ladder starts now.
    await tx.cancelStaleSteps(incident.id, incident.generation);
    await startLadder(deps, tx, incident, deps.clock.now());
    await tx.saveIncident(incident);
    const seq = await tx.audit({ actor: userId, action: 'incident.severity_changed', incidentId: incident.id, subject: incidentRef(incident.id), data: { from: previous, to: severity, reason } });
    const text = `:rotating_light: Severity changed ${previous.toUpperCase()} → *${severityLabel(deps.policy, severity)}* by ${mention(userId)}: ${esc(reason)}`;
    await followUp(tx, incident, seq, text, true);
    return { incident, previous };
  });
}

/** `/incident resolve <summary>`. */
export async function resolveIncident(deps: IncidentDeps, channelId: string, userId: string, rawSummary: string): Promise<Incident> {
  const summary = validateFreeText(rawSummary, 'summary', true)!;
  await authorize(deps, channelId, userId, 'resolve');
  return inWarRoom(deps, channelId, async (tx, incident) => {
    const now = deps.clock.now();
    const seq = await recordResolution(tx, incident, { actor: userId, summary, now });
    const text = `:white_check_mark: *Resolved* by ${mention(userId)} at ${formatDesk(now, deps.policy.timezone)}: ${esc(summary)}`;
    await followUp(tx, incident, seq, text, false);
    return incident;
  });
}

const ACTION_TEXT: Record<string, (d: Record<string, unknown>, policy: Policy) => string> = {
  'incident.declared': (d) => `declared ${String(d['severity']).toUpperCase()}: ${esc(String(d['title']))}`,
  'role.assigned': (d, policy) => `${esc(roleLabel(policy, String(d['role'])))} → ${mention(String(d['next']))}${d['previous'] ? ` (was ${mention(String(d['previous']))})` : ''}`,
  'incident.status_posted': (d) => `status: ${esc(String(d['text']))}`,
  'incident.severity_changed': (d) => `severity ${String(d['from']).toUpperCase()} → ${String(d['to']).toUpperCase()}: ${esc(String(d['reason']))}`,
  'incident.resolved': (d) => `resolved: ${esc(String(d['summary']))}`,
  'incident.acknowledged': (d) => `${String(d['how'])} after ${Math.round(Number(d['response_ms']) / 1000)} s (response)`,
  'escalation.step_fired': (d) => `escalation step ${Number(d['step']) + 1}: ${String(d['status'])}${Number(d['lateness_ms']) > 5000 ? ` (${Math.round(Number(d['lateness_ms']) / 1000)} s late)` : ''}`,
  'incident.status_nudged': () => 'reminded the IC to post a status update',
  'regulatory.checklist_opened': () => 'opened the regulatory checklist',
  'pagerduty.webhook_received': (d) => `PagerDuty ${esc(String(d['event_type']))}${d['pd_number'] ? ` (#${Number(d['pd_number'])})` : ''}: ${esc(String(d['outcome']))}`,
  'warroom.ready': (d) => `opened the war room <#${String(d['channel'])}>`,
  'warroom.failed': (d) => `could not set up the war room: ${esc(String(d['error']))}`,
  'alert.received': (d) => `alert ${String(d['status'])} (${String(d['outcome'])}, route ${esc(String(d['route']))}): ${esc(String(d['title']))}`,
};

/** `/incident timeline`: the incident's audit events, oldest first, as the IC reads them. */
export async function incidentTimeline(deps: IncidentDeps, channelId: string): Promise<string> {
  const incident = await deps.store.findByChannel(channelId);
  if (!incident) throw new DomainError('not_in_war_room', 'This channel is not an incident war room. Run `/incident timeline` in the incident\'s #inc-… channel.');
  const events = await deps.store.timeline(incident.id);
  const lines = events.map((e) => {
    const render = ACTION_TEXT[e.action];
    const what = render ? render(e.data ?? {}, deps.policy) : esc(e.action);
    return `• ${formatDesk(e.occurredAt, deps.policy.timezone)} — ${e.actor.startsWith('U') ? mention(e.actor) : esc(e.actor)} ${what}`;
  });
  const header = `*Timeline of ${incidentRef(incident.id)}* (${events.length} events)`;
  // Slack's text limit: keep the newest events when the timeline is long.
  let body = lines.join('\n');
  while (body.length > 3500 && lines.length > 1) {
    lines.shift();
    body = `… earlier events omitted\n${lines.join('\n')}`;
  }
  return `${header}\n${body}`;
}
