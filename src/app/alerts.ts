import { groupKeyOf, routeAlert, type Alert, type AlertOutcome, type AlertRoute } from '../domain/alerts.js';
import { integrationDeclarer } from '../domain/declarer.js';
import { Deferral } from '../domain/errors.js';
import { incidentRef, TITLE_MAX } from '../domain/incident.js';
import { declareIncident } from './declare-incident.js';
import { recordResolution } from './resolution.js';
import type { IncidentDeps } from './deps.js';
import type { WorkRun } from './jobs/define.js';
import { esc, linkTo } from './messages.js';
import type { NormalisedBatch } from './ports/alert-source.js';
import type { AlertRow, AlertStore, AlertTx, TriageTouch } from './ports/alert-store.js';
import { warRoomThread } from './war-room-posts.js';
import { syncIncidentView } from './setup-war-room.js';

export interface AlertDeps {
  alerts: AlertStore;
  incidents: IncidentDeps;
}

/** A war-room alert post waits this long after the first alert it lists, gathering the rest. */
export const ALERT_POST_COALESCE_MS = 3000;
/**
 * …and at least this long after the incident's previous post: in a storm a room gets a list every
 * 15 s, not every 3 s (issue 11's budget is 0.05 Slack calls per alert), and a lone alert still
 * shows within 3 s.
 */
export const ALERT_POST_GAP_MS = 15_000;
/** Alerts one post claims (a bigger backlog is listed by the next). */
const POST_MAX = 1000;
/** Lines listed in one war-room post; the rest are counted. */
const POST_LINES = 15;

export interface IngestResult {
  accepted: number;
  duplicates: number;
  truncated: number;
  outcomes: Partial<Record<AlertOutcome, number>>;
  /** INC-n of every incident the batch declared or joined. */
  incidents: string[];
}

/** `alertmanager`, or a generic source made into an integration source id. */
function sourceId(source: string): string {
  const id = source.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 64);
  return id || 'alerts';
}

const clip = (text: string, max: number) => ([...text].length > max ? `${[...text].slice(0, max - 1).join('')}…` : text);

/**
 * Records a batch of alerts and does what their routes say, in one transaction: the alerts, the
 * declarations they cause, the war-room posts and the audit events commit together or not at
 * all. A resend (same source, dedup key, status and occurrence) is counted as a duplicate and
 * does nothing. `sender` is the endpoint (for the metrics), `actor` the API token (`token:<name>`).
 */
export async function ingestAlerts(deps: AlertDeps, sender: string, batch: NormalisedBatch, actor: string, opts: { routes?: AlertRoute[] } = {}): Promise<IngestResult> {
  const { policy, clock } = deps.incidents;
  const receivedAt = clock.now();
  const planned = batch.alerts.map((alert) => {
    const route = routeAlert(opts.routes ?? policy.alerts.routes, alert);
    return { alert, route, groupKey: groupKeyOf(route, alert) };
  });
  const result: IngestResult = { accepted: 0, duplicates: 0, truncated: batch.truncated, outcomes: {}, incidents: [] };
  const touched = new Set<number>();
  await deps.alerts.transaction(async (tx) => {
    // Every group lock first, in one sorted pass: two batches never wait on each other crosswise.
    await tx.lockGroups([...new Set(planned.map((p) => p.groupKey))]);
    for (const { alert, route, groupKey } of planned) {
      const id = await tx.insert({ alert, receivedAt, route: route.name, groupKey });
      if (id === null) {
        result.duplicates += 1;
        continue;
      }
      result.accepted += 1;
      const { outcome, incidentId, groupClear, groupRoute, triage } =
        alert.status === 'firing' ? await onFiring(deps, tx, alert, route, groupKey, id, receivedAt) : await onResolved(tx, alert, route);
      await tx.settle(id, outcome, incidentId, triage?.id ?? null);
      result.outcomes[outcome] = (result.outcomes[outcome] ?? 0) + 1;
      if (triage) await tx.enqueue({ kind: 'alerts.triage', dedupeKey: triage.renderKey, payload: { triageId: triage.id } });
      if (incidentId !== null) {
        // One post for every alert until it runs: the key changes only when a post claims alerts,
        // which waits for this batch's commit, so one enqueue per incident covers the whole batch.
        if (!touched.has(incidentId)) await tx.enqueue({ kind: 'alerts.post', dedupeKey: await tx.postKeyFor(incidentId), payload: { incidentId } });
        touched.add(incidentId);
        if (groupClear) {
          const state = await tx.groupState(incidentId, groupClear);
          const auto = policy.alerts.routes.find((r) => r.name === groupRoute)?.autoResolve ?? false;
          if (state.firing === 0 && auto) {
            // In a job of its own: resolving locks the incident, which must not wait behind this batch's audit lock.
            await tx.enqueue({ kind: 'alerts.auto-resolve', dedupeKey: `alerts-autoresolve-${incidentId}-${id}`, payload: { incidentId, groupKey: groupClear, source: alert.source } });
          } else if (state.firing === 0) {
            const text = `:white_check_mark: All ${state.total} alert${state.total === 1 ? '' : 's'} of group \`${esc(groupClear)}\` have resolved. ${incidentRef(incidentId)} stays open until someone resolves it: click *Resolve* once you are sure (or \`/incident resolve <summary>\`).`;
            await tx.enqueue({ kind: 'incident.resolve-offer', dedupeKey: `alerts-clear-${incidentId}-${id}`, payload: { incidentId, text, reason: 'alerts' } });
          }
        }
      }
      await tx.audit({
        actor,
        action: 'alert.received',
        incidentId,
        subject: `${alert.source}:${alert.dedupKey}`,
        data: { alert_id: id, status: alert.status, title: alert.title, severity: alert.severity, service: alert.service, route: route.name, group_key: groupKey, outcome, ...(triage ? { triage_id: triage.id } : {}) },
      });
    }
    if (batch.truncated > 0) {
      await tx.audit({ actor, action: 'alert.truncated', incidentId: null, subject: batch.alerts[0]?.source ?? 'alerts', data: { truncated: batch.truncated, received: batch.alerts.length } });
    }
  });
  for (const [outcome, n] of Object.entries(result.outcomes)) deps.incidents.metrics.alerts(sender, outcome, n);
  deps.incidents.metrics.alerts(sender, 'duplicate', result.duplicates);
  result.incidents = [...touched].sort((a, b) => a - b).map(incidentRef);
  return result;
}

type Decision = { outcome: AlertOutcome; incidentId: number | null; groupClear?: string; groupRoute?: string; triage?: TriageTouch };

async function onFiring(deps: AlertDeps, tx: AlertTx, alert: Alert, route: AlertRoute, groupKey: string, alertId: number, now: Date): Promise<Decision> {
  if (route.action === 'drop') return { outcome: 'dropped', incidentId: null };
  // An open group joins its incident: never a second declaration, never a second page.
  const open = await tx.openGroupIncident(groupKey, new Date(now.getTime() - route.groupWindowMs));
  if (open !== null) return { outcome: 'joined', incidentId: open };
  if (route.action === 'attach') {
    const existing = await tx.openIncidentOfService(route.service!);
    if (existing !== null) return { outcome: 'attached', incidentId: existing };
    if (route.fallback === 'drop') return { outcome: 'dropped', incidentId: null };
    if (route.fallback === 'triage') return toTriage(tx, alert, route, groupKey, now);
  }
  if (route.action === 'triage') return toTriage(tx, alert, route, groupKey, now);
  return { outcome: 'declared', incidentId: await declareFor(deps, tx, alert, route, alertId) };
}

/** Onto the group's triage post (a dismissed one keeps its alerts, quietly), or a new post. */
async function toTriage(tx: AlertTx, alert: Alert, route: AlertRoute, groupKey: string, now: Date): Promise<Decision> {
  const joined = await tx.joinTriage(groupKey, new Date(now.getTime() - route.groupWindowMs), now);
  if (joined) return { outcome: joined.status === 'dismissed' ? 'dismissed' : 'triaged', incidentId: null, triage: joined };
  const triage = await tx.openTriage({ groupKey, route: route.name, channel: route.channel, title: clip(alert.title, TITLE_MAX), severity: route.severity!, service: route.service ?? (alert.service ? clip(alert.service, 100) : null), at: now });
  return { outcome: 'triaged', incidentId: null, triage };
}

async function onResolved(tx: AlertTx, alert: Alert, route: AlertRoute): Promise<Decision> {
  const firing = await tx.firingRecord(alert.source, alert.dedupKey, alert.occurrence);
  if (!firing?.incidentId && firing?.triageId) return { outcome: 'resolved', incidentId: null, triage: await tx.touchTriage(firing.triageId) };
  if (!firing?.incidentId) return { outcome: route.action === 'drop' ? 'dropped' : 'resolved_unmatched', incidentId: null };
  return { outcome: 'resolved', incidentId: firing.incidentId, groupClear: firing.groupKey, groupRoute: firing.route };
}

async function declareFor(deps: AlertDeps, tx: AlertTx, alert: Alert, route: AlertRoute, alertId: number): Promise<number> {
  const monitor = alert.labels['alertname'] ?? alert.title;
  const declarer = integrationDeclarer(sourceId(alert.source), clip(`${alert.source} — ${monitor}`, 80), alert.link);
  const service = route.service ?? (alert.service ? clip(alert.service, 100) : null);
  const { incident, created } = await declareIncident(deps.incidents, {
    requestKey: `alert-${alertId}`,
    severity: route.severity!,
    title: clip(alert.title, TITLE_MAX),
    service,
    declarer,
  });
  const { users, groups } = route.responders;
  if (created && (users.length || groups.length)) {
    await tx.enqueue({ kind: 'incident.invite', dedupeKey: `alert-responders-${incident.id}`, payload: { incidentId: incident.id, users, groups } });
  }
  return incident.id;
}

/**
 * A group whose route says `auto_resolve: true` has all resolved: resolve the incident as the
 * integration (audited, the ladder stopped, PagerDuty resolved, the war room told). Checks again
 * first: an alert of the group that fired meanwhile, or an incident already resolved, stops it.
 */
export async function autoResolveGroup(deps: AlertDeps, p: { incidentId: number; groupKey: string; source: string }): Promise<void> {
  const state = await deps.alerts.groupState(p.incidentId, p.groupKey);
  if (state.firing > 0) return;
  const inc = deps.incidents;
  await inc.store.transaction(async (tx) => {
    const incident = await tx.lockIncident(p.incidentId);
    if (!incident || incident.status !== 'open') return;
    const now = inc.clock.now();
    const actor = `integration:${sourceId(p.source)}`;
    const summary = `All ${state.total} alert${state.total === 1 ? '' : 's'} of group ${p.groupKey} resolved (auto_resolve).`;
    const seq = await recordResolution(tx, incident, { actor, summary, now, data: { auto_resolve: true, group_key: p.groupKey } });
    const text = `:white_check_mark: *Resolved* automatically: all ${state.total} alert${state.total === 1 ? '' : 's'} of group \`${esc(p.groupKey)}\` have resolved and its route says \`auto_resolve: true\`.`;
    await tx.enqueue({ kind: 'incident.notice', dedupeKey: `notice-${seq}`, payload: { incidentId: incident.id, where: 'war-room', text } });
    await tx.enqueue({ kind: 'incident.sync', dedupeKey: `sync-${incident.id}-v${incident.version}`, payload: { incidentId: incident.id } });
  });
}

/**
 * Lists the alerts that joined an incident since its last list, in one war-room post. The first
 * start only waits ({@link ALERT_POST_COALESCE_MS}, or until {@link ALERT_POST_GAP_MS} after the
 * previous post), so every alert of the span is in the post.
 */
export async function postAlerts(deps: AlertDeps, incidentId: number, job: WorkRun): Promise<void> {
  if (job.attempt === 1) {
    const last = await deps.alerts.lastPostAt(incidentId);
    const sinceLast = last ? deps.incidents.clock.now().getTime() - last.getTime() : Infinity;
    // Clamped: a clock set back (tests) must not make the wait longer than the gap.
    const wait = Math.min(ALERT_POST_GAP_MS, Math.max(ALERT_POST_COALESCE_MS, ALERT_POST_GAP_MS - Math.max(0, sinceLast)));
    throw new Deferral('gathering alerts for one war-room post', wait);
  }
  // The room first: waiting for it claims nothing, so alerts arriving meanwhile join this post.
  const place = await warRoomThread(deps.incidents, incidentId, job.attempt - 1);
  const rows = await deps.alerts.claimForPost(incidentId, job.dedupeKey, deps.incidents.clock.now(), POST_MAX);
  if (rows.length === 0) return;
  const counts = await deps.alerts.counts(incidentId);
  await deps.incidents.chat.postNotice(place, alertPostText(rows, counts), { key: job.dedupeKey, retry: job.attempt > 2 });
  // The card's alert counts, re-rendered once per post rather than once per alert.
  await syncIncidentView(deps.incidents, incidentId, true);
  // More than one post holds: the rest go in the next one.
  if (rows.length === POST_MAX) {
    await deps.incidents.store.enqueue({ kind: 'alerts.post', dedupeKey: await deps.alerts.nextPostKey(incidentId), payload: { incidentId } });
  }
}

export function alertPostText(rows: AlertRow[], counts: { firing: number; resolved: number }): string {
  const firing = rows.filter((r) => r.status === 'firing').length;
  const head = `:rotating_light: *${rows.length} alert${rows.length === 1 ? '' : 's'}* (${firing} firing, ${rows.length - firing} resolved) · in all ${counts.firing} firing / ${counts.resolved} resolved`;
  const lines = rows.slice(0, POST_LINES).map((r) => {
    const title = esc(clip(r.title, 150));
    const named = linkTo(r.link, title);
    return `• ${r.status === 'firing' ? ':red_circle:' : ':large_green_circle:'} ${r.status} · ${r.severity} · ${named}${r.service ? ` · ${esc(clip(r.service, 60))}` : ''}`;
  });
  const more = rows.length > POST_LINES ? [`…and ${rows.length - POST_LINES} more`] : [];
  return [head, ...lines, ...more].join('\n');
}
