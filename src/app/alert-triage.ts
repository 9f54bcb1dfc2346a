import { userDeclarer } from '../domain/declarer.js';
import { Deferral, DomainError } from '../domain/errors.js';
import { incidentRef } from '../domain/incident.js';
import type { AlertDeps } from './alerts.js';
import { declareIncident } from './declare-incident.js';
import type { WorkRun } from './jobs/define.js';
import { esc, mention } from './messages.js';
import type { TriageDecision, TriageRow } from './ports/alert-store.js';

/** A triage post waits this long before showing a change, gathering the rest of a burst. */
export const TRIAGE_COALESCE_MS = 1000;

export type TriageChoice = { kind: 'declare' } | { kind: 'attach'; incidentId: number } | { kind: 'dismiss' };

/**
 * Posts the triage post, or updates it in place with what changed since it was last shown. One
 * render is pending per post at a time; its first start only waits, so a burst is one update.
 */
export async function renderTriage(deps: AlertDeps, triageId: number, job: WorkRun): Promise<void> {
  if (job.attempt === 1) throw new Deferral('gathering alerts for one triage update', TRIAGE_COALESCE_MS);
  const snap = await deps.alerts.claimTriageRender(triageId);
  if (!snap) return;
  const t = snap.triage;
  const existing = t.channelId && t.ts ? { channelId: t.channelId, ts: t.ts } : null;
  const posted = await deps.incidents.chat.showTriage({ ...snap, zone: deps.incidents.policy.timezone }, { key: `triage-${t.id}`, retry: job.attempt > 2 }, existing);
  if (!existing) await deps.alerts.recordTriagePost(t.id, posted.channelId, posted.ts);
}

function decided(t: TriageRow): string {
  const who = t.decidedBy ? ` by ${mention(t.decidedBy)}` : '';
  if (t.status === 'declared') return `declared as ${incidentRef(t.incidentId!)}${who}`;
  if (t.status === 'attached') return `attached to ${incidentRef(t.incidentId!)}${who}`;
  return `dismissed${who}`;
}

/**
 * **Declare**, **Attach to INC-n…** or **Dismiss** on a triage post, by `userId`. Once: a double
 * click or a second person is told what was decided, and nothing changes. Declared or attached,
 * the group's alerts join the incident (listed in its war room) and so do its later alerts, for
 * the route's group window; dismissed, later alerts of the group are kept on the post quietly.
 */
export async function decideTriage(deps: AlertDeps, triageId: number, userId: string, choice: TriageChoice): Promise<string> {
  const inc = deps.incidents;
  const known = await deps.alerts.triage(triageId);
  if (!known) throw new DomainError('bad_action', 'That triage post is not one of mine any more.');
  return deps.alerts.transaction(async (tx) => {
    // The group's lock first, as a batch of its alerts takes it: the two never wait crosswise.
    await tx.lockGroups([known.groupKey]);
    const t = (await tx.lockTriage(triageId))!;
    if (t.status !== 'open') throw new DomainError('already_done', `Those alerts were already ${decided(t)}.`);
    let incidentId: number | null = null;
    let status: TriageDecision = 'dismissed';
    if (choice.kind === 'declare') {
      const { incident, created } = await declareIncident(inc, { requestKey: `triage-${t.id}`, severity: t.severity, title: t.title, service: t.service, declarer: userDeclarer(userId) });
      const route = inc.policy.alerts.routes.find((r) => r.name === t.route);
      const { users, groups } = route?.responders ?? { users: [], groups: [] };
      if (created && (users.length || groups.length)) {
        await tx.enqueue({ kind: 'incident.invite', dedupeKey: `alert-responders-${incident.id}`, payload: { incidentId: incident.id, users, groups } });
      }
      incidentId = incident.id;
      status = 'declared';
    } else if (choice.kind === 'attach') {
      const target = await inc.store.get(choice.incidentId);
      if (!target) throw new DomainError('unknown_incident', `${incidentRef(choice.incidentId)} does not exist.`);
      if (target.status !== 'open') throw new DomainError('incident_resolved', `${incidentRef(target.id)} is resolved: attach the alerts to an open incident, or declare one.`);
      incidentId = target.id;
      status = 'attached';
    }
    const touch = await tx.decideTriage(t.id, { status, incidentId, decidedBy: userId, at: inc.clock.now() });
    await tx.enqueue({ kind: 'alerts.triage', dedupeKey: touch.renderKey, payload: { triageId: t.id } });
    if (incidentId !== null) await tx.enqueue({ kind: 'alerts.post', dedupeKey: await tx.postKeyFor(incidentId), payload: { incidentId } });
    await tx.audit({ actor: userId, action: `alert.triage_${status}`, incidentId, subject: `triage-${t.id}`, data: { group_key: t.groupKey, route: t.route, title: t.title } });
    return `The alerts of \`${esc(t.groupKey)}\` ${decided({ ...t, status, incidentId, decidedBy: null })}.`;
  });
}

/**
 * A triage post could not be shown for good (the channel does not exist, the bot is not in a
 * private one): the alerts are not left unseen. Logged, audited, and said in the announcements channel.
 */
export async function reportTriageFailure(deps: AlertDeps, triageId: number, failure: { dedupeKey: string; error: string }): Promise<void> {
  const inc = deps.incidents;
  const t = await deps.alerts.triage(triageId);
  if (!t) return;
  inc.log.error({ kind: 'alerts.triage', key: failure.dedupeKey, triage: triageId, channel: t.channel, error: failure.error }, 'triage post failed permanently');
  await inc.store.audit({ actor: 'warroom', action: 'alert.triage_undelivered', incidentId: null, subject: `triage-${t.id}`, data: { channel: t.channel, error: failure.error, group_key: t.groupKey } });
  const text = `:warning: Alerts need triage but could not be posted in #${t.channel} (${esc(failure.error)}): *${esc(t.title)}* (route \`${esc(t.route)}\`, group \`${esc(t.groupKey)}\`). Create the channel or invite the bot; they are recorded in the \`alerts\` table.`;
  await inc.chat.postNotice({ policyChannel: 'announcements' }, text, { key: `triage-undelivered-${t.id}`, retry: true });
}
