/** The escalation ladder: planned when an incident is declared or changes severity, stopped by the first response. */
import { planLadder, humanDuration, type LadderPlan } from '../../domain/escalation.js';
import { DomainError } from '../../domain/errors.js';
import { incidentRef, respond, type Incident } from '../../domain/incident.js';
import { severityById } from '../../domain/policy.js';
import { formatDesk } from '../../domain/time.js';
import { sessionLabel } from '../../domain/deploy-rules.js';
import type { IncidentDeps } from '../deps.js';
import { PAGERDUTY_ACTOR_PREFIX, responderText } from '../messages.js';
import type { IncidentTx } from '../ports/incident-store.js';

/**
 * Plans the current severity's ladder from `start` (declaration or severity change) in the
 * caller's transaction: steps are rows in Postgres first, timers are woken after commit.
 */
export async function startLadder(deps: IncidentDeps, tx: IncidentTx, incident: Incident, start: Date): Promise<LadderPlan> {
  const sev = severityById(deps.policy, incident.severity)!;
  const plan = planLadder(sev.escalation, start, deps.calendar);
  incident.clockStart = plan.clockStart;
  incident.clockDeferredFrom = plan.deferredFrom;
  const rows = await tx.insertSteps(incident.id, incident.generation, incident.severity, plan.steps);
  for (const r of rows) tx.wake({ kind: 'esc-step', stepId: r.id, at: r.dueAt });
  const every = sev.escalation.statusEveryMs;
  incident.nextNudgeAt = every ? new Date(Math.max(start.getTime(), plan.clockStart.getTime()) + every) : null;
  if (incident.nextNudgeAt) tx.wake({ kind: 'nudge', incidentId: incident.id, seq: incident.statusSeq, at: incident.nextNudgeAt });
  if (plan.deferredFrom) {
    const text = `:zzz: ${sessionLabel(plan.deferredFrom as never)} is a quiet session for ${incident.severity.toUpperCase()}: nobody is paged now. The response clock starts at ${formatDesk(plan.clockStart, deps.policy.timezone)}, when the next staffed session begins.`;
    await tx.enqueue({ kind: 'incident.notice', dedupeKey: `quiet-${incident.id}-g${incident.generation}`, payload: { incidentId: incident.id, where: 'war-room', text } });
  }
  return plan;
}

/**
 * The first response stops the clock: an Acknowledge click, `/incident ack`, or an IC taking the
 * role. Bumps the generation (old timers become no-ops); steps marked `always` are carried over.
 */
export type ResponseKind = 'acknowledged' | 'took Incident Commander' | 'acknowledged in PagerDuty';

export async function recordResponse(deps: IncidentDeps, tx: IncidentTx, incident: Incident, by: string, how: ResponseKind): Promise<boolean> {
  const now = deps.clock.now();
  if (!respond(incident, by, now)) return false;
  const cancelled = await tx.cancelStaleSteps(incident.id, incident.generation);
  const carried = cancelled.filter((s) => s.always);
  if (carried.length) {
    const rows = await tx.insertSteps(
      incident.id,
      incident.generation,
      incident.severity,
      carried.map((s) => ({ index: s.stepIndex, dueAt: s.dueAt, always: true, actions: s.actions })),
    );
    for (const r of rows) tx.wake({ kind: 'esc-step', stepId: r.id, at: r.dueAt });
  }
  const stopped = cancelled.length - carried.length;
  const seq = await tx.audit({
    actor: by,
    action: 'incident.acknowledged',
    incidentId: incident.id,
    subject: incidentRef(incident.id),
    data: { how, response_ms: incident.responseMs, steps_stopped: stopped },
  });
  const text = `:white_check_mark: ${responderText(by)} ${how} after ${humanDuration(incident.responseMs ?? 0)} — the response clock stopped${stopped ? `; ${stopped} pending escalation step${stopped > 1 ? 's' : ''} cancelled` : ''}.`;
  await tx.enqueue({ kind: 'incident.notice', dedupeKey: `notice-${seq}`, payload: { incidentId: incident.id, where: 'war-room', text } });
  // An acknowledgement that came from PagerDuty needs no acknowledge sent back to it.
  if (incident.pagedServices.length && !by.startsWith(PAGERDUTY_ACTOR_PREFIX)) {
    await tx.enqueue({ kind: 'pager.event', dedupeKey: `pd-ack-${incident.id}`, payload: { incidentId: incident.id, action: 'acknowledge' } });
  }
  return true;
}

/**
 * The acknowledgement itself, on an incident locked by the caller's transaction: the first
 * response stops the ladder and re-renders the card; false when someone answered before.
 * `/incident ack`, the Acknowledge button and PagerDuty's `incident.acknowledged` all come here.
 */
export async function acknowledgeLocked(deps: IncidentDeps, tx: IncidentTx, incident: Incident, by: string, how: ResponseKind = 'acknowledged'): Promise<boolean> {
  if (!(await recordResponse(deps, tx, incident, by, how))) return false;
  await tx.saveIncident(incident);
  await tx.enqueue({ kind: 'incident.sync', dedupeKey: `sync-${incident.id}-v${incident.version}`, payload: { incidentId: incident.id } });
  return true;
}

/** `/incident ack` and the Acknowledge button. */
export async function acknowledge(deps: IncidentDeps, where: { incidentId: number } | { channelId: string }, by: string): Promise<string> {
  return deps.store.transaction(async (tx) => {
    const incident = 'incidentId' in where ? await tx.lockIncident(where.incidentId) : await tx.lockIncidentByChannel(where.channelId);
    if (!incident) throw new DomainError('not_in_war_room', 'This channel is not an incident war room. Run `/incident ack` in the incident\'s #inc-… channel.');
    if (!(await acknowledgeLocked(deps, tx, incident, by))) {
      return `${incidentRef(incident.id)} was already answered by ${responderText(incident.acknowledgedBy!)} after ${humanDuration(incident.responseMs ?? 0)}.`;
    }
    return `Acknowledged ${incidentRef(incident.id)}. Escalation stopped; the response took ${humanDuration(incident.responseMs ?? 0)}.`;
  });
}
