/**
 * PagerDuty both ways, the inbound half: what a PagerDuty webhook (v3) does to a warroom incident.
 *
 * warroom pages with the dedup_key `warroom-INC-<id>` (escalation/steps.ts); PagerDuty shows it as
 * the incident's `incident_key`. An event about such an incident acts on it:
 *
 * - `incident.acknowledged`: the first response, exactly like the Acknowledge button (same lock,
 *   same fencing: the ladder stops), by the actor `pagerduty:<name>`. Already answered: nothing.
 * - `incident.resolved`: a war-room notice with a **Resolve** button; warroom does not resolve by itself.
 * - `incident.escalated` / `incident.reassigned`: a war-room line naming the new assignees.
 *
 * An incident PagerDuty opened itself (not warroom's key) is an alert with source `pagerduty`:
 * `incident.triggered` is routed like any alert, but only by routes that name the source
 * `pagerduty` (declaring from PagerDuty is opt-in, and warroom's own pages never loop back); once
 * that declared or joined a warroom incident, its acknowledgement, escalation and reassignment act
 * on it as above, and its resolve is the alert's resolve (the group's all-clear offers Resolve).
 *
 * Every other event, and every event about an incident warroom did not send, is only kept. Each
 * delivery is kept once per webhook id, in the transaction of what it causes, and audited.
 */
import { z } from 'zod';
import { alertSeverityOf, PAGERDUTY_SOURCE, routeMatches, type Alert, type AlertRoute } from '../domain/alerts.js';
import { incidentRef, type Incident } from '../domain/incident.js';
import { ingestAlerts, type AlertDeps } from './alerts.js';
import type { IncidentDeps } from './deps.js';
import { acknowledgeLocked } from './escalation/ladder.js';
import { esc, pagerDutyActor } from './messages.js';
import type { IncidentTx } from './ports/incident-store.js';

/** The dedup_key warroom's pages carry (escalation/steps.ts), read back as PagerDuty's incident_key. */
const WARROOM_INCIDENT_KEY = /^warroom-INC-(\d{1,9})$/;

const reference = z.object({ id: z.string().nullish(), summary: z.string().nullish(), html_url: z.string().nullish() });

const incidentData = z.object({
  id: z.string().min(1),
  type: z.literal('incident'),
  number: z.number().int().nullish(),
  title: z.string().nullish(),
  status: z.string().nullish(),
  incident_key: z.string().nullish(),
  html_url: z.string().nullish(),
  service: reference.nullish(),
  assignees: z.array(reference).nullish(),
  escalation_policy: reference.nullish(),
  urgency: z.string().nullish(),
  priority: reference.nullish(),
});

const envelope = z.object({
  event: z.object({
    id: z.string().min(1),
    event_type: z.string().regex(/^[a-z_]+(\.[a-z_]+)+$/, 'must be an event type like incident.acknowledged'),
    resource_type: z.string().min(1),
    occurred_at: z.iso.datetime({ offset: true }),
    agent: reference.nullish(),
    client: z.unknown().optional(),
    data: z.record(z.string(), z.unknown()),
  }),
});

/** The events that act on a warroom incident; their `data` must be an incident. */
export const ACTED_ON = ['incident.acknowledged', 'incident.resolved', 'incident.escalated', 'incident.reassigned'] as const;

export interface PagerDutyEvent {
  id: string;
  type: string;
  occurredAt: Date;
  agent: { id: string | null; name: string | null };
  /** `event.data` when it is an incident (`data.type` = incident), else null. */
  incident: z.output<typeof incidentData> | null;
}

export type ParsedWebhook = { ok: true; event: PagerDutyEvent } | { ok: false; path: string; message: string };

/** `$.event.data.assignees[0].summary` from zod's path. */
function jsonPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((p, k) => (typeof k === 'number' ? `${p}[${k}]` : `${p}.${String(k)}`), '$');
}

/** Checks a parsed body against the v3 envelope; a problem comes back with its JSON path. */
export function parsePagerDutyWebhook(body: unknown): ParsedWebhook {
  const env = envelope.safeParse(body);
  if (!env.success) {
    const issue = env.error.issues[0]!;
    return { ok: false, path: jsonPath(issue.path), message: issue.message };
  }
  const ev = env.data.event;
  let incident: PagerDutyEvent['incident'] = null;
  const mustBeIncident = (ACTED_ON as readonly string[]).includes(ev.event_type);
  if (mustBeIncident || (ev.resource_type === 'incident' && ev.data['type'] === 'incident')) {
    const data = incidentData.safeParse(ev.data);
    if (!data.success) {
      const issue = data.error.issues[0]!;
      return { ok: false, path: jsonPath(['event', 'data', ...issue.path]), message: issue.message };
    }
    incident = data.data;
  }
  return {
    ok: true,
    event: { id: ev.id, type: ev.event_type, occurredAt: new Date(ev.occurred_at), agent: { id: ev.agent?.id ?? null, name: ev.agent?.summary ?? null }, incident },
  };
}

/** What a delivery did, as kept in `pagerduty_webhooks.outcome` and the audit trail. */
export type WebhookOutcome =
  | 'acknowledged' // the first response: the ladder stopped
  | 'already_answered' // someone responded before (in Slack or PagerDuty): nothing changed
  | 'resolve_offered' // PagerDuty resolved it: the war room was offered Resolve
  | 'posted' // escalated / reassigned: a line in the war room
  | 'incident_closed' // the warroom incident is resolved already: nothing changed
  | 'not_ours' // not about an incident warroom paged: kept only
  | 'routed' // a PagerDuty incident routed as an alert (declared, joined, triage…): see the alerts table
  | 'ignored'; // an event type warroom does not act on: kept only

export interface WebhookDelivery {
  webhookId: string;
  event: PagerDutyEvent;
  /** The body as received (parsed JSON), kept as is. */
  payload: unknown;
  receivedAt: Date;
}

export interface WebhookReceipt {
  /** The webhook id was seen before: nothing was done. */
  duplicate: boolean;
  outcome: WebhookOutcome | null;
  incidentId: number | null;
}

/** The warroom incident id an incident_key points at, or null. */
export function warroomIncidentOf(incidentKey: string | null | undefined): number | null {
  const m = WARROOM_INCIDENT_KEY.exec(incidentKey ?? '');
  return m ? Number(m[1]) : null;
}

/**
 * Keeps one delivery and acts on it, in one transaction: the incident is locked first (the lock a
 * Slack acknowledgement takes too, so an ack here and one there serialize and the second finds the
 * incident answered), then the webhook id is claimed (a redelivery stops there).
 */
export async function receivePagerDutyWebhook(deps: IncidentDeps, d: WebhookDelivery, alerts: AlertDeps | null = null): Promise<WebhookReceipt> {
  const ev = d.event;
  const ours = warroomIncidentOf(ev.incident?.incident_key);
  // A PagerDuty incident that was routed as an alert acts on the incident it declared or joined.
  const routedTo = ours === null && ev.incident && alerts ? await alerts.alerts.incidentOfAlert(PAGERDUTY_SOURCE, ev.incident.id) : null;
  const target = ours ?? routedTo;
  return deps.store.transaction(async (tx) => {
    const incident = target !== null ? await tx.lockIncident(target) : null;
    const fresh = await tx.recordPagerDutyWebhook({
      webhookId: d.webhookId,
      eventId: ev.id,
      eventType: ev.type,
      pdIncidentId: ev.incident?.id ?? null,
      incidentKey: ev.incident?.incident_key ?? null,
      incidentId: incident?.id ?? null,
      outcome: 'received',
      payload: d.payload,
      receivedAt: d.receivedAt,
    });
    if (!fresh) return { duplicate: true, outcome: null, incidentId: incident?.id ?? null };
    const actor = pagerDutyActor(ev.agent.name);
    let outcome: WebhookOutcome;
    let incidentId = incident?.id ?? null;
    const asAlert = ours === null && alerts && ev.incident ? routable(alerts, ev) : null;
    if (asAlert && (ev.type === 'incident.triggered' || (ev.type === 'incident.resolved' && incident))) {
      const r = await ingestAlerts(alerts!, 'pagerduty', { alerts: [asAlert.alert], truncated: 0 }, actor, { routes: asAlert.routes });
      incidentId = r.incidents.length ? Number(r.incidents[0]!.slice('INC-'.length)) : incidentId;
      outcome = r.duplicates ? 'ignored' : 'routed';
    } else {
      outcome = incident ? await act(deps, tx, incident, d, actor) : 'not_ours';
    }
    await tx.setPagerDutyWebhookOutcome(d.webhookId, outcome);
    await tx.audit({
      actor,
      action: 'pagerduty.webhook_received',
      incidentId,
      subject: d.webhookId,
      data: {
        event_type: ev.type,
        event_id: ev.id,
        occurred_at: ev.occurredAt.toISOString(),
        agent_id: ev.agent.id,
        pd_incident: ev.incident?.id ?? null,
        pd_number: ev.incident?.number ?? null,
        incident_key: ev.incident?.incident_key ?? null,
        outcome,
      },
    });
    return { duplicate: false, outcome, incidentId };
  });
}

/**
 * A PagerDuty incident as an alert, with the routes that opt in to PagerDuty (those naming the
 * source `pagerduty`); null when none does or the event carries no incident.
 */
function routable(deps: AlertDeps, ev: PagerDutyEvent): { alert: Alert; routes: AlertRoute[] } | null {
  const routes = deps.incidents.policy.alerts.routes.filter((r) => r.match.sources.includes(PAGERDUTY_SOURCE));
  const pd = ev.incident;
  if (!routes.length || !pd) return null;
  const priority = pd.priority?.summary ?? null;
  const labels: Record<string, string> = {
    alertname: (pd.title ?? `PagerDuty #${pd.number ?? pd.id}`).slice(0, 200),
    ...(pd.service?.summary ? { service: pd.service.summary } : {}),
    ...(pd.service?.id ? { service_id: pd.service.id } : {}),
    ...(pd.urgency ? { urgency: pd.urgency } : {}),
    ...(priority ? { priority } : {}),
    ...(pd.escalation_policy?.summary ? { escalation_policy: pd.escalation_policy.summary } : {}),
    ...(pd.number ? { number: String(pd.number) } : {}),
  };
  const alert: Alert = {
    source: PAGERDUTY_SOURCE,
    dedupKey: pd.id,
    // One occurrence per PagerDuty incident: a re-trigger is the same incident, a new one a new id.
    occurrence: '',
    status: ev.type === 'incident.resolved' ? 'resolved' : 'firing',
    title: (pd.title ?? labels['alertname']!).replace(/\s+/g, ' ').trim() || labels['alertname']!,
    // Priority P1–P5 when the account uses priorities, else the urgency: high pages, low does not.
    severity: alertSeverityOf(priority) ?? (pd.urgency === 'low' ? 'warning' : 'error'),
    service: pd.service?.summary ?? null,
    labels,
    link: pd.html_url && /^https:\/\/\S+$/.test(pd.html_url) ? pd.html_url : null,
    startsAt: ev.occurredAt,
    endsAt: ev.type === 'incident.resolved' ? ev.occurredAt : null,
    raw: { event_id: ev.id, event_type: ev.type, incident: pd },
  };
  // First match wins among the opted-in routes; none matching leaves it a PagerDuty-only incident.
  return routes.some((r) => routeMatches(r, alert)) ? { alert, routes } : null;
}

async function act(deps: IncidentDeps, tx: IncidentTx, incident: Incident, d: WebhookDelivery, actor: string): Promise<WebhookOutcome> {
  const ev = d.event;
  const pd = ev.incident!;
  if (!(ACTED_ON as readonly string[]).includes(ev.type)) return 'ignored';
  if (incident.status === 'resolved') return 'incident_closed';
  const who = `*${esc(actor.slice('pagerduty:'.length))}*`;
  const ref = incidentRef(incident.id);
  const pdRef = pdLink(pd);
  switch (ev.type) {
    case 'incident.acknowledged':
      return (await acknowledgeLocked(deps, tx, incident, actor, 'acknowledged in PagerDuty')) ? 'acknowledged' : 'already_answered';
    case 'incident.resolved': {
      const text = `:large_green_circle: *Resolved in PagerDuty* by ${who} (${pdRef}). If ${ref} is over, resolve it here too:`;
      await tx.enqueue({ kind: 'incident.resolve-offer', dedupeKey: `pd-offer-${d.webhookId}`, payload: { incidentId: incident.id, text } });
      return 'resolve_offered';
    }
    default: {
      const to = assigneesText(pd);
      const policy = pd.escalation_policy?.summary ? ` (escalation policy *${esc(pd.escalation_policy.summary)}*)` : '';
      const text =
        ev.type === 'incident.escalated'
          ? `:arrow_double_up: PagerDuty escalated ${pdRef} to ${to}${policy}.`
          : `:busts_in_silhouette: PagerDuty ${pdRef} reassigned to ${to} by ${who}${policy}.`;
      await tx.enqueue({ kind: 'incident.notice', dedupeKey: `notice-pd-${d.webhookId}`, payload: { incidentId: incident.id, where: 'war-room', text } });
      return 'posted';
    }
  }
}

function assigneesText(pd: NonNullable<PagerDutyEvent['incident']>): string {
  const names = (pd.assignees ?? []).map((a) => a.summary).filter((n): n is string => Boolean(n));
  return names.length ? names.map((n) => `*${esc(n)}*`).join(', ') : '_nobody_';
}

/** `<https://…/incidents/P…|PagerDuty #12>`, or plain text when the URL is not a plain https URL. */
function pdLink(pd: NonNullable<PagerDutyEvent['incident']>): string {
  const label = `PagerDuty #${pd.number ?? pd.id}`;
  return pd.html_url && /^https:\/\/[^\s|<>]+$/.test(pd.html_url) ? `<${pd.html_url}|${label}>` : label;
}
