import { DomainError } from '../domain/errors.js';
import { assignRole as assign, incidentRef, type Incident } from '../domain/incident.js';
import type { IncidentDeps } from './deps.js';
import { recordResponse } from './escalation/ladder.js';
import { INCIDENT_COMMANDER } from '../domain/policy.js';
import { mention, roleLabel } from './messages.js';

export interface AssignRoleRequest {
  incidentId: number;
  role: string;
  /** Who gets the role: the clicker for "Take", the picked user for "Assign…". */
  userId: string;
  by: string;
}

/**
 * Gives a role to a user. The incident row is locked, so a burst of clicks resolves to one
 * final holder and one audit event per actual change; clicking for the current holder is a no-op.
 * The header card, topic, channel notice and invitation follow as queued work.
 */
export async function assignRole(deps: IncidentDeps, req: AssignRoleRequest): Promise<{ changed: boolean; incident: Incident }> {
  return deps.store.transaction(async (tx) => {
    const incident = await tx.lockIncident(req.incidentId);
    if (!incident) throw new DomainError('unknown_incident', `${incidentRef(req.incidentId)} does not exist.`);
    const change = assign(deps.policy, incident, req.role, req.userId, req.by, deps.clock.now());
    if (!change) return { changed: false, incident };
    if (req.role === INCIDENT_COMMANDER) await recordResponse(deps, tx, incident, req.userId, 'took Incident Commander');
    await tx.saveIncident(incident);
    const label = roleLabel(deps.policy, req.role);
    const seq = await tx.audit({
      actor: req.by,
      action: 'role.assigned',
      incidentId: incident.id,
      subject: incidentRef(incident.id),
      data: { role: req.role, previous: change.previous, next: change.next },
    });
    const handover = change.previous ? ` (took over from ${mention(change.previous)})` : '';
    const by = req.by === req.userId ? '' : `, assigned by ${mention(req.by)}`;
    await tx.enqueue({
      kind: 'incident.notice',
      dedupeKey: `notice-${seq}`,
      payload: { incidentId: incident.id, where: 'war-room', text: `${mention(req.userId)} is now ${label}${handover}${by}`, unlessSuperseded: { role: req.role, userId: req.userId } },
    });
    if (req.by !== req.userId) {
      await tx.enqueue({ kind: 'incident.invite', dedupeKey: `invite-${seq}`, payload: { incidentId: incident.id, users: [req.userId] } });
    }
    await tx.enqueue({ kind: 'incident.sync', dedupeKey: `sync-${incident.id}-v${incident.version}`, payload: { incidentId: incident.id } });
    return { changed: true, incident };
  });
}
