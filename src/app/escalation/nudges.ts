/** Status nudges: remind the IC when no update came within the severity's interval. */
import { humanDuration } from '../../domain/escalation.js';
import { incidentRef } from '../../domain/incident.js';
import { severityById } from '../../domain/policy.js';
import type { IncidentDeps } from '../deps.js';
import { mention } from '../messages.js';

/** A nudge timer woke: remind the IC when no status update came within the severity's interval. */
export async function nudge(deps: IncidentDeps, incidentId: number, seq: number): Promise<void> {
  await deps.store.transaction(async (tx) => {
    const incident = await tx.lockIncident(incidentId);
    if (!incident || incident.status !== 'open' || incident.statusSeq !== seq || !incident.nextNudgeAt) return;
    const now = deps.clock.now();
    if (incident.nextNudgeAt.getTime() > now.getTime() + 1000) return; // rescheduled since
    const every = severityById(deps.policy, incident.severity)?.escalation.statusEveryMs;
    if (!every) return;
    deps.metrics.timerLateness('nudge', now.getTime() - incident.nextNudgeAt.getTime());
    const since = incident.lastStatusAt ?? incident.clockStart ?? incident.declaredAt;
    const ic = incident.roles['incident_commander']?.userId;
    const text = ic
      ? `:alarm_clock: ${mention(ic)} no status update for ${humanDuration(now.getTime() - since.getTime())}. Post one with \`/incident status <what we know, what we're doing>\`.`
      : `:alarm_clock: No status update for ${humanDuration(now.getTime() - since.getTime())}, and no Incident Commander yet — take the role on the pinned card.`;
    const seqAudit = await tx.audit({ actor: 'warroom', action: 'incident.status_nudged', incidentId, subject: incidentRef(incidentId), data: { since: since.toISOString(), ic: ic ?? null } });
    await tx.enqueue({ kind: 'incident.notice', dedupeKey: `notice-${seqAudit}`, payload: { incidentId, where: 'war-room', text } });
    incident.nextNudgeAt = new Date(now.getTime() + every);
    await tx.saveIncident(incident);
    tx.wake({ kind: 'nudge', incidentId, seq, at: incident.nextNudgeAt });
    deps.metrics.nudge();
  });
}
