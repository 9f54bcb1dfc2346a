import { declarerActor, integrationDeclarer, type Declarer } from '../domain/declarer.js';
import { DomainError } from '../domain/errors.js';
import { type Incident, validateFreeText, validateTitle } from '../domain/incident.js';
import { severityById, severityRange } from '../domain/policy.js';
import type { IncidentDeps } from './deps.js';
import { startLadder } from './escalation/ladder.js';

export interface DeclareRequest {
  /** Identifies the Slack request (trigger id, view id): a retry or double submit declares once. */
  requestKey: string;
  severity: string;
  title: string;
  customerImpact?: string | null;
  service?: string | null;
  isPrivate?: boolean;
  /** A Slack user (the slash command, the modal) or an integration (an alert route, an API client). */
  declarer: Declarer;
  originChannel?: string | null;
}

/**
 * Validates, then records the incident, its audit event and the war-room setup job in one
 * transaction. Returns fast (this runs before Slack's 3-second ack); the war room is built by
 * the `warroom.setup` job.
 *
 * Integrations: `requestKey` should name the source and its own event id (`alertmanager:<fingerprint>`),
 * so a redelivered alert declares once. The audit actor is `integration:<source>`.
 *
 * Errors: DomainError `unknown_severity`, `title_required`, `title_too_long`, `*_too_long`, `bad_declarer`.
 */
export async function declareIncident(deps: IncidentDeps, req: DeclareRequest): Promise<{ incident: Incident; created: boolean }> {
  const { policy } = deps;
  if (!severityById(policy, req.severity)) {
    throw new DomainError('unknown_severity', `"${req.severity}" is not a severity. Use ${severityRange(policy)}.`);
  }
  const declarer = req.declarer.kind === 'integration' ? integrationDeclarer(req.declarer.source, req.declarer.name, req.declarer.link) : req.declarer;
  const title = validateTitle(req.title);
  const customerImpact = validateFreeText(req.customerImpact ?? '', 'customer_impact', false);
  const service = validateFreeText(req.service ?? '', 'service', false);
  if (service && [...service].length > 100) throw new DomainError('service_too_long', 'The affected service name is over 100 characters.');

  return deps.store.transaction(async (tx) => {
    const result = await tx.insertIncident({
      requestKey: req.requestKey,
      title,
      severity: req.severity,
      customerImpact,
      service,
      isPrivate: req.isPrivate ?? false,
      declarer,
      declaredAt: deps.clock.now(),
      originChannel: req.originChannel ?? null,
    });
    if (!result.created) return result;
    const { incident } = result;
    await tx.enqueue({ kind: 'warroom.channel', dedupeKey: `channel-${incident.id}`, payload: { incidentId: incident.id } });
    // The response clock starts now (or at the next staffed session): steps are rows before any timer.
    await startLadder(deps, tx, incident, incident.declaredAt);
    await tx.saveIncident(incident);
    // The audit event commits with the declaration (the sealer chains it after the commit).
    await tx.audit({
      actor: declarerActor(declarer),
      action: 'incident.declared',
      incidentId: incident.id,
      subject: `INC-${incident.id}`,
      data: {
        title,
        severity: req.severity,
        customer_impact: customerImpact,
        service,
        private: incident.isPrivate,
        ...(declarer.kind === 'integration' ? { declarer: { kind: 'integration', source: declarer.source, name: declarer.name } } : {}),
      },
    });
    return result;
  });
}
