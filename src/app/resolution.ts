import { incidentRef, resolve, type Incident } from '../domain/incident.js';
import type { IncidentTx } from './ports/incident-store.js';

/**
 * Resolves an incident locked in `tx`, whoever resolves it (a person, an alert route): its
 * ladder stops, PagerDuty is told, and the resolution is audited. Returns the audit sequence
 * number, which keys the follow-up posts.
 */
export async function recordResolution(tx: IncidentTx, incident: Incident, r: { actor: string; summary: string; now: Date; data?: Record<string, unknown> }): Promise<number> {
  resolve(incident, r.actor, r.summary, r.now);
  incident.nextNudgeAt = null;
  await tx.cancelStaleSteps(incident.id, incident.generation);
  await tx.saveIncident(incident);
  if (incident.pagedServices.length) {
    await tx.enqueue({ kind: 'pager.event', dedupeKey: `pd-resolve-${incident.id}`, payload: { incidentId: incident.id, action: 'resolve' } });
  }
  return tx.audit({
    actor: r.actor,
    action: 'incident.resolved',
    incidentId: incident.id,
    subject: incidentRef(incident.id),
    data: { summary: r.summary, ...r.data, duration_ms: r.now.getTime() - incident.declaredAt.getTime() },
  });
}
