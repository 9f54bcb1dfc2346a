/** Running an escalation step: claim it once, page, text, notify, record what was delivered. */
import { PAGERDUTY_SOURCE } from '../../domain/alerts.js';
import { describeAction, humanDuration, judgeStep, type EscalationAction } from '../../domain/escalation.js';
import { declarerActor } from '../../domain/declarer.js';
import { PermanentError } from '../../domain/errors.js';
import { channelNameFor, incidentRef, type Incident } from '../../domain/incident.js';
import { severityById } from '../../domain/policy.js';
import { formatClock, formatDesk } from '../../domain/time.js';
import type { IncidentDeps } from '../deps.js';
import { declarerText, esc, mention, severityLabel } from '../messages.js';
import type { StepRow } from '../ports/incident-store.js';
import { openChecklist } from './regulatory-checklist.js';

/** Timers are normally < 0.2 s late; beyond a second something held them (a restart, lost Redis). */
const LATE_NOTICE_MS = 1000;
function ownerService(deps: IncidentDeps, incident: Incident): string | null {
  const svc = deps.policy.services.find((s) => s.id === incident.service || s.name === incident.service);
  return svc?.pagerduty ?? deps.policy.pagerduty.defaultService;
}

function pageServiceOf(deps: IncidentDeps, incident: Incident, action: EscalationAction): string | null {
  if (action.kind !== 'page') return null;
  return action.service === 'owner' ? ownerService(deps, incident) : action.service;
}

const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * A step's timer woke. Claim it in Postgres (once per incident, generation and step; only while
 * the incident still needs it), run its actions, record the outcome. A claimed step that dies
 * half-way is re-run by the reconciler; recipients already reached are skipped.
 */
export async function fireStep(deps: IncidentDeps, stepId: number): Promise<void> {
  const peek = await deps.store.step(stepId);
  if (!peek || !['pending', 'claimed'].includes(peek.status)) return;
  const claim = await deps.store.transaction(async (tx) => {
    // Lock order: incident, then step — the same as acknowledge, so the two cannot deadlock.
    const incident = await tx.lockIncident(peek.incidentId);
    const step = await tx.lockStep(stepId);
    if (!incident || !step || !['pending', 'claimed'].includes(step.status)) return null;
    const verdict = judgeStep(step, { generation: incident.generation, open: incident.status === 'open', acknowledged: incident.acknowledgedAt !== null });
    if (verdict === 'stale') {
      await tx.updateStep(step.id, { status: 'cancelled', doneAt: deps.clock.now() });
      return null;
    }
    if (verdict === 'skip-acknowledged') {
      await tx.updateStep(step.id, { status: 'skipped', doneAt: deps.clock.now() });
      await tx.audit({ actor: 'warroom', action: 'escalation.step_skipped', incidentId: incident.id, subject: incidentRef(incident.id), data: { step: step.stepIndex, reason: 'acknowledged' } });
      return null;
    }
    if (step.status === 'pending') {
      const now = deps.clock.now();
      step.latenessMs = Math.max(0, now.getTime() - step.dueAt.getTime());
      step.status = 'claimed';
      await tx.updateStep(step.id, { status: 'claimed', claimedAt: now, firedAt: now, latenessMs: step.latenessMs });
      deps.metrics.timerLateness('esc-step', step.latenessMs);
      // Recorded before the page goes out, so acknowledge/resolve reach every alert we may have opened.
      const services = openedByPagerDuty(incident) ? [] : step.actions.map((a) => pageServiceOf(deps, incident, a)).filter((s): s is string => Boolean(s));
      const added = services.filter((s) => !incident.pagedServices.includes(s));
      if (added.length) {
        incident.pagedServices = [...incident.pagedServices, ...added];
        await tx.saveIncident(incident);
      }
    }
    return { incident, step };
  });
  if (!claim) return;
  const { incident, step } = claim;
  const results = await runActions(deps, incident, step);
  const failed = results.filter((r) => r.failed > 0).length;
  const allFailed = results.length > 0 && results.every((r) => r.sent === 0 && r.failed > 0);
  await deps.store.transaction(async (tx) => {
    const status = allFailed ? 'failed' : failed ? 'partial' : 'sent';
    await tx.updateStep(step.id, { status, doneAt: deps.clock.now(), outcome: results });
    if (failed) deps.metrics.failure('escalation_step');
    const deliveredLateMs = deps.clock.now().getTime() - step.dueAt.getTime();
    const line = timelineLine(deps, incident, step, results, deliveredLateMs);
    const seq = await tx.audit({
      actor: 'warroom',
      action: 'escalation.step_fired',
      incidentId: incident.id,
      subject: incidentRef(incident.id),
      data: { step: step.stepIndex, generation: step.generation, due_at: step.dueAt.toISOString(), lateness_ms: step.latenessMs, status, results },
    });
    await tx.enqueue({ kind: 'incident.notice', dedupeKey: `notice-${seq}`, payload: { incidentId: incident.id, where: 'war-room', text: line } });
  });
}

export interface ActionResult {
  action: string;
  sent: number;
  failed: number;
  details: string[];
}

async function runActions(deps: IncidentDeps, incident: Incident, step: StepRow): Promise<ActionResult[]> {
  const results: ActionResult[] = [];
  for (const action of step.actions) {
    switch (action.kind) {
      case 'page':
        results.push(await page(deps, incident, step, action));
        break;
      case 'sms':
        results.push(await sms(deps, incident, step, action));
        break;
      case 'notify':
        results.push(await notify(deps, incident, step, action));
        break;
      case 'regulatory':
        results.push(await openChecklist(deps, incident, step));
        break;
    }
  }
  return results;
}

/** Declared from an incident PagerDuty opened (an `incident.triggered` webhook routed as an alert). */
function openedByPagerDuty(incident: Incident): boolean {
  return incident.declarer.kind === 'integration' && incident.declarer.source === PAGERDUTY_SOURCE;
}

function pageSummary(deps: IncidentDeps, incident: Incident): string {
  const s = `[${incident.severity.toUpperCase()}] ${incidentRef(incident.id)} ${incident.title}`;
  return [...s].length > 1024 ? `${[...s].slice(0, 1023).join('')}…` : s;
}

async function page(deps: IncidentDeps, incident: Incident, step: StepRow, action: Extract<EscalationAction, { kind: 'page' }>): Promise<ActionResult> {
  const service = pageServiceOf(deps, incident, action);
  const r: ActionResult = { action: `page ${service ?? action.service}`, sent: 0, failed: 0, details: [] };
  if (openedByPagerDuty(incident)) {
    // PagerDuty is already paging for it (and its ack reaches warroom): a second PagerDuty incident would page twice.
    r.details.push('not sent: PagerDuty opened this incident and pages for it');
    return r;
  }
  if (!service) {
    r.failed = 1;
    r.details.push('no PagerDuty service for this incident');
    return r;
  }
  if (await deps.store.delivered(step.id, 'page', service)) {
    r.sent = 1;
    return r;
  }
  const state = await deps.store.warRoom(incident.id);
  const sev = severityById(deps.policy, incident.severity)!;
  try {
    await deps.pager.send({
      action: 'trigger',
      service,
      dedupKey: `warroom-${incidentRef(incident.id)}`,
      summary: pageSummary(deps, incident),
      severity: sev.escalation.pagerSeverity,
      source: 'warroom',
      ...(incident.service ? { component: incident.service } : {}),
      // The page goes out before the war room exists (speed first); its name is already known.
      customDetails: { incident: incidentRef(incident.id), severity: incident.severity, declared_by: declarerActor(incident.declarer), declared_at: incident.declaredAt.toISOString(), war_room: `#${state?.channelName ?? channelNameFor(incident.id, incident.title)}`, step: step.stepIndex },
      links: state?.channelId ? [{ href: `https://slack.com/app_redirect?channel=${state.channelId}`, text: `War room #${state.channelName}` }] : [],
    });
    await deps.store.recordDelivery(step.id, 'page', service, 'sent');
    deps.metrics.page('sent');
    r.sent = 1;
  } catch (err) {
    if (!(err instanceof PermanentError)) {
      deps.metrics.page('retried');
      throw err;
    }
    await deps.store.recordDelivery(step.id, 'page', service, 'failed', err.message);
    deps.metrics.page('failed');
    r.failed = 1;
    r.details.push(err.message);
  }
  return r;
}

function smsBody(deps: IncidentDeps, incident: Incident, step: StepRow, channelName: string | null): string {
  const waited = humanDuration(Math.max(0, step.dueAt.getTime() - (incident.clockStart ?? incident.declaredAt).getTime()));
  const title = [...incident.title].length > 40 ? `${[...incident.title].slice(0, 39).join('')}…` : incident.title;
  const wait = step.dueAt.getTime() - (incident.clockStart ?? incident.declaredAt).getTime() < 1000 ? 'just declared' : `no response for ${waited}`;
  return `warroom ${incident.severity.toUpperCase()} ${incidentRef(incident.id)}: ${title} - ${wait}. Slack #${channelName ?? channelNameFor(incident.id, incident.title)}`;
}

async function sms(deps: IncidentDeps, incident: Incident, step: StepRow, action: Extract<EscalationAction, { kind: 'sms' }>): Promise<ActionResult> {
  const r: ActionResult = { action: describeAction(action), sent: 0, failed: 0, details: [] };
  const recipients = new Map<string, string>(); // phone → who
  for (const c of action.contacts) for (const n of deps.policy.contacts[c] ?? []) recipients.set(n, c);
  for (const g of action.groups) {
    for (const u of await deps.chat.groupMembers(g)) {
      const phone = (await deps.chat.userPhone(u))?.replace(/[\s().-]/g, '') ?? '';
      if (E164.test(phone)) recipients.set(phone, `<@${u}>`);
      else if (!(await deps.store.delivered(step.id, 'sms', `user:${u}`))) {
        await deps.store.recordDelivery(step.id, 'sms', `user:${u}`, 'failed', 'no E.164 phone in the Slack profile');
        r.failed += 1;
        r.details.push(`<@${u}> has no usable phone number in Slack`);
      }
    }
  }
  const state = await deps.store.warRoom(incident.id);
  const body = smsBody(deps, incident, step, state?.channelName ?? null);
  for (const [phone, who] of recipients) {
    if (await deps.store.delivered(step.id, 'sms', phone)) {
      r.sent += 1;
      continue;
    }
    try {
      const { id } = await deps.sms.send(phone, body);
      await deps.store.recordDelivery(step.id, 'sms', phone, 'sent', id);
      deps.metrics.sms('sent');
      r.sent += 1;
    } catch (err) {
      if (!(err instanceof PermanentError)) {
        deps.metrics.sms('retried');
        throw err;
      }
      await deps.store.recordDelivery(step.id, 'sms', phone, 'failed', `${err.code}: ${err.message}`);
      deps.metrics.sms('failed');
      r.failed += 1;
      r.details.push(`${who} (${phone.slice(0, -4)}••••): ${err.code === '21211' ? 'invalid number' : err.code === '21610' ? 'unsubscribed' : err.message}`);
    }
  }
  return r;
}

async function notify(deps: IncidentDeps, incident: Incident, step: StepRow, action: Extract<EscalationAction, { kind: 'notify' }>): Promise<ActionResult> {
  const r: ActionResult = { action: describeAction(action), sent: 0, failed: 0, details: [] };
  const users = new Set(action.users);
  for (const g of action.groups) for (const u of await deps.chat.groupMembers(g)) users.add(u);
  const state = await deps.store.warRoom(incident.id);
  const room = state?.channelId ? `<#${state.channelId}>` : 'the war room';
  const text = `:rotating_light: ${severityLabel(deps.policy, incident.severity)} ${incidentRef(incident.id)}: ${esc(incident.title)} — ${room}. Declared ${formatDesk(incident.declaredAt, deps.policy.timezone)} by ${declarerText(incident.declarer)}.`;
  for (const u of users) {
    if (await deps.store.delivered(step.id, 'dm', u)) {
      r.sent += 1;
      continue;
    }
    try {
      await deps.chat.notifyUser(u, text);
      await deps.store.recordDelivery(step.id, 'dm', u, 'sent');
      r.sent += 1;
    } catch (err) {
      if (!(err instanceof PermanentError)) throw err;
      await deps.store.recordDelivery(step.id, 'dm', u, 'failed', err.message);
      r.failed += 1;
      r.details.push(`<@${u}>: ${err.code}`);
    }
  }
  if (state?.channelId && !(await deps.store.delivered(step.id, 'channel', state.channelId))) {
    const mentions = [...action.users.map(mention), ...(await Promise.all(action.groups.map((g) => deps.chat.groupMention(g))))];
    await deps.chat.postNotice({ channelId: state.channelId }, `:loudspeaker: Notified ${mentions.join(' ')} (${users.size} by DM).`, { key: `notify-${step.id}`, retry: true });
    await deps.store.recordDelivery(step.id, 'channel', state.channelId, 'sent');
  }
  return r;
}

/** "⏱ 5 min without a response: SMS to @sre-managers — 2 sent". */
function timelineLine(deps: IncidentDeps, incident: Incident, step: StepRow, results: ActionResult[], deliveredLateMs: number): string {
  const offset = step.dueAt.getTime() - (incident.clockStart ?? incident.declaredAt).getTime();
  const when = offset < 1000 ? 'On declaration' : step.always ? `${humanDuration(offset)} after declaration` : `${humanDuration(offset)} without a response`;
  const parts = results.map((r) => {
    if (r.action.startsWith('regulatory')) return r.action;
    const counts = r.failed ? `${r.sent} sent, ${r.failed} failed` : `${r.sent} sent`;
    return `${r.action} (${counts})${r.details.length ? `: ${r.details.join('; ')}` : ''}`;
  });
  const late =
    (step.latenessMs ?? 0) > LATE_NOTICE_MS
      ? ` — :warning: fired ${humanDuration(step.latenessMs!)} late (due ${formatClock(step.dueAt, deps.policy.timezone)})`
      : deliveredLateMs > 5 * LATE_NOTICE_MS
        ? ` — :warning: delivered ${humanDuration(deliveredLateMs)} after it was due (PagerDuty/SMS errors were retried)`
        : '';
  return `:stopwatch: ${when}: ${parts.join(' · ')}${late}`;
}
/** Sends PagerDuty acknowledge / resolve for every service this incident paged. */
export async function pagerFollowUp(deps: IncidentDeps, incidentId: number, action: 'acknowledge' | 'resolve'): Promise<void> {
  const incident = await deps.store.get(incidentId);
  if (!incident) return;
  const sev = severityById(deps.policy, incident.severity)!;
  for (const service of incident.pagedServices) {
    await deps.pager.send({ action, service, dedupKey: `warroom-${incidentRef(incidentId)}`, summary: pageSummary(deps, incident), severity: sev.escalation.pagerSeverity, source: 'warroom' });
  }
}
