import { describeAction, humanDuration, judgeStep, planLadder, type EscalationAction, type LadderPlan } from '../domain/escalation.js';
import { declarerActor } from '../domain/declarer.js';
import { DomainError } from '../domain/errors.js';
import { channelNameFor, incidentRef, respond, type Incident } from '../domain/incident.js';
import { severityById } from '../domain/policy.js';
import { formatClock, formatDesk } from '../domain/time.js';
import { sessionLabel } from '../domain/deploy-rules.js';
import type { IncidentDeps } from './deps.js';
import { declarerText, esc, mention, severityLabel } from './messages.js';
import { PermanentError, type IncidentTx, type StepRow } from './ports.js';

/** Timers are normally < 0.2 s late; beyond a second something held them (a restart, lost Redis). */
const LATE_NOTICE_MS = 1000;

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
export async function recordResponse(deps: IncidentDeps, tx: IncidentTx, incident: Incident, by: string, how: 'acknowledged' | 'took Incident Commander'): Promise<boolean> {
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
  const text = `:white_check_mark: ${mention(by)} ${how} after ${humanDuration(incident.responseMs ?? 0)} — the response clock stopped${stopped ? `; ${stopped} pending escalation step${stopped > 1 ? 's' : ''} cancelled` : ''}.`;
  await tx.enqueue({ kind: 'incident.notice', dedupeKey: `notice-${seq}`, payload: { incidentId: incident.id, where: 'war-room', text } });
  if (incident.pagedServices.length) {
    await tx.enqueue({ kind: 'pager.event', dedupeKey: `pd-ack-${incident.id}`, payload: { incidentId: incident.id, action: 'acknowledge' } });
  }
  return true;
}

/** `/incident ack` and the Acknowledge button. */
export async function acknowledge(deps: IncidentDeps, where: { incidentId: number } | { channelId: string }, by: string): Promise<string> {
  return deps.store.transaction(async (tx) => {
    const incident = 'incidentId' in where ? await tx.lockIncident(where.incidentId) : await tx.lockIncidentByChannel(where.channelId);
    if (!incident) throw new DomainError('not_in_war_room', 'This channel is not an incident war room. Run `/incident ack` in the incident\'s #inc-… channel.');
    if (!(await recordResponse(deps, tx, incident, by, 'acknowledged'))) {
      return `${incidentRef(incident.id)} was already answered by ${mention(incident.acknowledgedBy!)} after ${humanDuration(incident.responseMs ?? 0)}.`;
    }
    await tx.saveIncident(incident);
    await tx.enqueue({ kind: 'incident.sync', dedupeKey: `sync-${incident.id}-v${incident.version}`, payload: { incidentId: incident.id } });
    return `Acknowledged ${incidentRef(incident.id)}. Escalation stopped; the response took ${humanDuration(incident.responseMs ?? 0)}.`;
  });
}

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
      const services = step.actions.map((a) => pageServiceOf(deps, incident, a)).filter((s): s is string => Boolean(s));
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

interface ActionResult {
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

function pageSummary(deps: IncidentDeps, incident: Incident): string {
  const s = `[${incident.severity.toUpperCase()}] ${incidentRef(incident.id)} ${incident.title}`;
  return [...s].length > 1024 ? `${[...s].slice(0, 1023).join('')}…` : s;
}

async function page(deps: IncidentDeps, incident: Incident, step: StepRow, action: Extract<EscalationAction, { kind: 'page' }>): Promise<ActionResult> {
  const service = pageServiceOf(deps, incident, action);
  const r: ActionResult = { action: `page ${service ?? action.service}`, sent: 0, failed: 0, details: [] };
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

async function openChecklist(deps: IncidentDeps, incident: Incident, step: StepRow): Promise<ActionResult> {
  const now = deps.clock.now();
  const dueAt = new Date(now.getTime() + deps.policy.regulatory.dueWithinMs);
  await deps.store.transaction(async (tx) => {
    const created = await tx.insertChecklist({ incidentId: incident.id, dueAt, items: deps.policy.regulatory.items.map((i) => ({ ...i, doneBy: null, doneAt: null })) });
    if (created) {
      await tx.audit({ actor: 'warroom', action: 'regulatory.checklist_opened', incidentId: incident.id, subject: incidentRef(incident.id), data: { due_at: dueAt.toISOString(), items: deps.policy.regulatory.items.map((i) => i.id), step: step.stepIndex } });
      tx.wake({ kind: 'reg-reminder', incidentId: incident.id, at: new Date(dueAt.getTime() - deps.policy.regulatory.remindBeforeMs) });
    }
    await tx.enqueue({ kind: 'regulatory.card', dedupeKey: `regcard-${incident.id}-open`, payload: { incidentId: incident.id } });
  });
  return { action: `regulatory checklist in #${deps.policy.channels.compliance} (due ${formatClock(dueAt, deps.policy.timezone)})`, sent: 1, failed: 0, details: [] };
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

/** The checklist is about to be late: remind its owners in the compliance channel. */
export async function remindChecklist(deps: IncidentDeps, incidentId: number): Promise<void> {
  await deps.store.transaction(async (tx) => {
    const c = await tx.lockChecklist(incidentId);
    if (!c || c.completedAt || c.remindedAt) return;
    const open = c.items.filter((i) => !i.doneAt);
    c.remindedAt = deps.clock.now();
    await tx.saveChecklist(c);
    const owners = [...new Set(open.flatMap((i) => i.owners))];
    const mentions = await Promise.all(owners.map((o) => deps.chat.groupMention(o)));
    const text = `:hourglass_flowing_sand: ${mentions.join(' ')} the regulatory checklist for ${incidentRef(incidentId)} is due at ${formatClock(c.dueAt, deps.policy.timezone)}; still open: ${open.map((i) => esc(i.title)).join('; ')}.`;
    const seq = await tx.audit({ actor: 'warroom', action: 'regulatory.checklist_reminded', incidentId, subject: incidentRef(incidentId), data: { open: open.map((i) => i.id) } });
    await tx.enqueue({ kind: 'incident.notice', dedupeKey: `regrem-${seq}`, payload: { incidentId, where: 'compliance', text } });
  });
}

/** "Done" on a checklist item: only members of the item's owner groups. */
export async function completeChecklistItem(deps: IncidentDeps, incidentId: number, itemId: string, by: string): Promise<string> {
  const c = await deps.store.checklist(incidentId);
  const item = c?.items.find((i) => i.id === itemId);
  if (!c || !item) throw new DomainError('unknown_item', 'That checklist item does not exist.');
  if (item.doneAt) return `Already done by ${mention(item.doneBy!)}.`;
  let allowed = false;
  for (const g of item.owners) if (await deps.chat.isGroupMember(g, by)) allowed = true;
  if (!allowed) {
    await deps.store.audit({ actor: by, action: 'regulatory.item_refused', incidentId, subject: incidentRef(incidentId), data: { item: itemId } });
    throw new DomainError('forbidden', `Only members of ${item.owners.map((o) => `@${o}`).join(' or ')} may complete "${item.title}".`);
  }
  return deps.store.transaction(async (tx) => {
    const locked = (await tx.lockChecklist(incidentId))!;
    const it = locked.items.find((i) => i.id === itemId)!;
    if (it.doneAt) return `Already done by ${mention(it.doneBy!)}.`;
    const now = deps.clock.now();
    it.doneBy = by;
    it.doneAt = now.toISOString();
    if (locked.items.every((i) => i.doneAt)) locked.completedAt = now;
    await tx.saveChecklist(locked);
    const late = now > locked.dueAt;
    await tx.audit({ actor: by, action: 'regulatory.item_done', incidentId, subject: incidentRef(incidentId), data: { item: itemId, late } });
    await tx.enqueue({ kind: 'regulatory.card', dedupeKey: `regcard-${incidentId}-${itemId}`, payload: { incidentId } });
    return `Marked "${it.title}" done${late ? ' (late)' : ''}.`;
  });
}

/** Posts or re-renders the checklist card. */
export async function renderChecklist(deps: IncidentDeps, incidentId: number, retry: boolean): Promise<void> {
  await deps.store.exclusive(incidentId, async () => {
    const c = await deps.store.checklist(incidentId);
    const incident = await deps.store.get(incidentId);
    if (!c || !incident) return;
    const state = await deps.store.warRoom(incidentId);
    const owners = [...new Set(c.items.flatMap((i) => i.owners))];
    const ownerMentions = Object.fromEntries(await Promise.all(owners.map(async (o) => [o, await deps.chat.groupMention(o)] as const)));
    const existing = c.channelId && c.ts ? { channelId: c.channelId, ts: c.ts } : null;
    const posted = await deps.chat.showChecklist(
      { checklist: c, incidentRef: incidentRef(incidentId), title: incident.title, warRoomChannelId: state?.channelId ?? null, ownerMentions, zone: deps.policy.timezone },
      { key: `checklist-${incidentId}`, retry },
      existing,
    );
    if (!existing) await deps.store.recordChecklistCard(incidentId, posted.channelId, posted.ts);
  });
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

/**
 * Postgres knows what must fire and when; Redis only holds wake-ups. Re-adds a wake-up for every
 * step, nudge and reminder still owed (existing job ids make this a no-op), then pings the
 * dead-man heartbeat so an outside monitor notices when this stops running.
 */
export async function reconcileTimers(deps: IncidentDeps): Promise<number> {
  const now = deps.clock.now();
  const steps = await deps.store.stepsToWake(new Date(now.getTime() - deps.staleClaimMs));
  const nudges = await deps.store.nudgesToWake();
  const reminders = await deps.store.checklistsToWake();
  await deps.timers.wake([
    ...steps.map((s) => ({ kind: 'esc-step' as const, stepId: s.id, at: s.dueAt })),
    ...nudges.map((n) => ({ kind: 'nudge' as const, incidentId: n.incidentId, seq: n.seq, at: n.at })),
    ...reminders.map((r) => ({ kind: 'reg-reminder' as const, incidentId: r.incidentId, at: new Date(r.at.getTime() - deps.policy.regulatory.remindBeforeMs) })),
  ]);
  if (deps.heartbeat) await deps.heartbeat().catch((err: Error) => deps.log.warn({ err: err.message }, 'heartbeat ping failed'));
  return steps.length + nudges.length + reminders.length;
}
