import { DateTime } from 'luxon';
import { planRuns, runOutcome, type ComplianceTask } from '../domain/compliance-schedule.js';
import { DomainError, ForbiddenError } from '../domain/errors.js';
import { humanDuration } from '../domain/escalation.js';
import type { MarketCalendar } from '../domain/market-calendar.js';
import type { Policy } from '../domain/policy.js';
import { formatClock } from '../domain/time.js';
import type { Logger } from './ports/logger.js';
import { esc, mention } from './messages.js';
import type { Pager } from './ports/pager.js';
import { PermanentError } from '../domain/errors.js';
import type { ChatPlatform } from './ports/chat.js';
import type { Clock } from './ports/clock.js';
import type { ComplianceRun, ComplianceStore } from './ports/compliance-store.js';
import type { Metrics } from './ports/metrics.js';
import type { Timers } from './ports/timers.js';

export interface ComplianceDeps {
  store: ComplianceStore;
  chat: ChatPlatform;
  policy: Policy;
  calendar: MarketCalendar;
  clock: Clock;
  log: Logger;
  pager: Pager;
  timers: Timers;
  metrics: Metrics;
}

const PLAN_DAYS = 3;
const ref = (r: { taskId: string; date: string }) => `${r.taskId}/${r.date}`;

export function taskOf(deps: ComplianceDeps, taskId: string): ComplianceTask | null {
  return deps.policy.compliance.tasks.find((t) => t.id === taskId) ?? null;
}

function today(deps: ComplianceDeps, at = deps.clock.now()): string {
  return DateTime.fromJSDate(at, { zone: deps.policy.timezone }).toISODate()!;
}

/**
 * Materializes the coming runs (today and the next days) and their digests, and wakes their
 * timers. Idempotent: the unique (task, date) key makes a second planner a no-op. Runs whose
 * deadline had already passed before they were first planned (the first deployment) are skipped.
 */
export async function planCompliance(deps: ComplianceDeps): Promise<number> {
  const now = deps.clock.now();
  const zone = deps.policy.timezone;
  const planned = planRuns(deps.policy.compliance.tasks, deps.calendar, zone, today(deps, now), PLAN_DAYS).filter((r) => r.dueAt > now);
  const dates = [...new Set(planned.map((r) => r.date))];
  const [h, m, s = 0] = deps.policy.compliance.digestAt.split(':').map(Number) as [number, number, number?];
  const digests = dates.map((date) => {
    const d = DateTime.fromISO(date, { zone });
    return { date, dueAt: DateTime.fromObject({ year: d.year, month: d.month, day: d.day, hour: h, minute: m, second: s }, { zone }).toJSDate() };
  });
  const created = await deps.store.materialize(planned, digests);
  if (created.length) {
    await deps.store.audit({ actor: 'warroom', action: 'compliance.planned', incidentId: null, subject: dates.join(','), data: { runs: created.map(ref) } });
  }
  await reconcileCompliance(deps);
  return created.length;
}

/** Re-adds wake-ups for every run and digest still owed (a Redis flush loses nothing). */
export async function reconcileCompliance(deps: ComplianceDeps): Promise<void> {
  const runs = await deps.store.liveRuns();
  const digests = await deps.store.pendingDigests();
  await deps.timers.wake([
    ...runs.filter((r) => r.status === 'scheduled').map((r) => ({ kind: 'cmp-open' as const, runId: r.id, at: r.opensAt })),
    ...runs.filter((r) => !r.warnedAt && r.warnAt < r.dueAt).map((r) => ({ kind: 'cmp-warn' as const, runId: r.id, at: r.warnAt })),
    ...runs.map((r) => ({ kind: 'cmp-due' as const, runId: r.id, at: r.dueAt })),
    ...digests.map((d) => ({ kind: 'cmp-digest' as const, date: d.date, at: d.dueAt })),
  ]);
}

/** Opening time: the card appears in the task's channel. */
export async function openRun(deps: ComplianceDeps, runId: number): Promise<void> {
  await deps.store.transaction(async (tx) => {
    const run = await tx.lockRun(runId);
    if (!run || run.status !== 'scheduled') return;
    const now = deps.clock.now();
    run.status = 'open';
    run.openedAt = now;
    await tx.saveRun(run);
    const lateMs = now.getTime() - run.opensAt.getTime();
    deps.metrics.timerLateness('cmp-open', lateMs);
    await tx.audit({ actor: 'warroom', action: 'compliance.opened', incidentId: null, subject: ref(run), data: { due_at: run.dueAt.toISOString(), late_ms: lateMs } });
    await tx.enqueue({ kind: 'compliance.card', dedupeKey: `cmp-card-${run.id}-open`, payload: { runId: run.id } });
  });
}

/** Warn-before: a reply in the card's thread mentions the owner. */
export async function warnRun(deps: ComplianceDeps, runId: number): Promise<void> {
  await deps.store.transaction(async (tx) => {
    const run = await tx.lockRun(runId);
    if (!run || run.status !== 'open' || run.warnedAt) return;
    const task = taskOf(deps, run.taskId);
    if (!task) return;
    run.warnedAt = deps.clock.now();
    await tx.saveRun(run);
    const seq = await tx.audit({ actor: 'warroom', action: 'compliance.warned', incidentId: null, subject: ref(run), data: { due_at: run.dueAt.toISOString() } });
    const left = humanDuration(Math.max(0, run.dueAt.getTime() - run.warnedAt.getTime()));
    await tx.enqueue({
      kind: 'compliance.post',
      dedupeKey: `cmp-warn-${seq}`,
      payload: { runId: run.id, inThread: true, text: `:hourglass_flowing_sand: {owner} *${esc(task.title)}* for ${run.date} is due at ${formatClock(run.dueAt, deps.policy.timezone)} (in ${left}) and is not done yet.` },
    });
  });
}

/** The deadline: not done → overdue, the channel is told, the miss ladder runs once. */
export async function dueRun(deps: ComplianceDeps, runId: number): Promise<void> {
  await deps.store.transaction(async (tx) => {
    const run = await tx.lockRun(runId);
    if (!run || (run.status !== 'open' && run.status !== 'scheduled')) return;
    const task = taskOf(deps, run.taskId);
    if (!task) return;
    const now = deps.clock.now();
    if (!run.openedAt) run.openedAt = now; // never opened (the bot was down throughout): the card shows up now, overdue
    run.status = 'missed';
    run.missedAt = now;
    await tx.saveRun(run);
    deps.metrics.timerLateness('cmp-due', now.getTime() - run.dueAt.getTime());
    const seq = await tx.audit({ actor: 'warroom', action: 'compliance.missed', incidentId: null, subject: ref(run), data: { due_at: run.dueAt.toISOString(), owner: task.owner } });
    await tx.enqueue({ kind: 'compliance.card', dedupeKey: `cmp-card-${run.id}-missed`, payload: { runId: run.id } });
    await tx.enqueue({
      kind: 'compliance.post',
      dedupeKey: `cmp-miss-${seq}`,
      payload: { runId: run.id, inThread: false, text: `:rotating_light: {owner} *${esc(task.title)}* for ${run.date} missed its ${formatClock(run.dueAt, deps.policy.timezone)} deadline. Escalating${task.pagerduty ? ` (paging ${task.pagerduty})` : ''}.` },
    });
    await tx.enqueue({ kind: 'compliance.escalate', dedupeKey: `cmp-esc-${run.id}-missed`, payload: { runId: run.id, reason: 'missed' } });
  });
}

async function mayComplete(deps: ComplianceDeps, task: ComplianceTask, userId: string): Promise<boolean> {
  for (const g of [task.owner, ...deps.policy.compliance.completers]) if (await deps.chat.isGroupMember(g, userId)) return true;
  return false;
}

export type Completer = { user: string } | { token: string };
const actorOf = (c: Completer) => ('user' in c ? c.user : `token:${c.token}`);

/**
 * Marks a run done: by a member of the owner or compliance group in Slack, or by the job that
 * did the work (API token). Idempotent: completing a done run changes nothing.
 */
export async function completeRun(deps: ComplianceDeps, runId: number, by: Completer, input: { note?: string | null; evidence?: string | null }): Promise<{ run: ComplianceRun; changed: boolean }> {
  const current = await deps.store.get(runId);
  if (!current) throw new DomainError('unknown_run', 'That compliance run does not exist.');
  const task = taskOf(deps, current.taskId);
  if (!task) throw new DomainError('unknown_task', `Task ${current.taskId} is no longer in the policy.`);
  if ('user' in by && !(await mayComplete(deps, task, by.user))) {
    await deps.store.audit({ actor: by.user, action: 'compliance.completion_refused', incidentId: null, subject: ref(current), data: { owner: task.owner } });
    throw new ForbiddenError(`Only members of @${task.owner}${deps.policy.compliance.completers.map((g) => ` or @${g}`).join('')} may complete ${task.title}.`);
  }
  const note = clip(input.note, 2000);
  const evidence = clip(input.evidence, 1000);
  return deps.store.transaction(async (tx) => {
    const run = (await tx.lockRun(runId))!;
    if (run.status === 'done') return { run, changed: false };
    if (run.status === 'scheduled') throw new DomainError('not_open', `${task.title} for ${run.date} opens at ${formatClock(run.opensAt, deps.policy.timezone)}; it cannot be completed before.`);
    const now = deps.clock.now();
    const wasEscalated = run.status === 'missed' || run.status === 'failed' || run.problemAt !== null;
    run.status = 'done';
    run.doneAt = now;
    run.doneBy = actorOf(by);
    run.note = note;
    run.evidence = evidence;
    await tx.saveRun(run);
    const lateMs = Math.max(0, now.getTime() - run.dueAt.getTime());
    await tx.audit({ actor: actorOf(by), action: 'compliance.completed', incidentId: null, subject: ref(run), data: { late_ms: lateMs, evidence, note } });
    await tx.enqueue({ kind: 'compliance.card', dedupeKey: `cmp-card-${run.id}-done`, payload: { runId: run.id } });
    if (wasEscalated && task.pagerduty) await tx.enqueue({ kind: 'compliance.resolve-page', dedupeKey: `cmp-resolve-${run.id}`, payload: { runId: run.id } });
    return { run, changed: true };
  });
}

function clip(text: string | null | undefined, max: number): string | null {
  // eslint-disable-next-line no-control-regex -- NUL and friends do not belong in a record
  const t = (text ?? '').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '').trim();
  if (!t) return null;
  if ([...t].length > max) throw new DomainError('too_long', `Keep it under ${max} characters.`);
  return t;
}

/** The job that does the work reports a failure (API), or a person reports a problem (Slack): page the owner at once. */
export async function reportProblem(deps: ComplianceDeps, runId: number, by: Completer, noteText: string, failed: boolean): Promise<ComplianceRun> {
  const note = clip(noteText, 2000);
  return deps.store.transaction(async (tx) => {
    const run = await tx.lockRun(runId);
    if (!run) throw new DomainError('unknown_run', 'That compliance run does not exist.');
    const task = taskOf(deps, run.taskId)!;
    if (run.status === 'done') throw new DomainError('already_done', `${task.title} for ${run.date} is already done.`);
    run.problemAt = deps.clock.now();
    run.problemNote = note;
    if (failed && run.status !== 'missed') run.status = 'failed';
    await tx.saveRun(run);
    const seq = await tx.audit({ actor: actorOf(by), action: failed ? 'compliance.failed' : 'compliance.problem_reported', incidentId: null, subject: ref(run), data: { note } });
    await tx.enqueue({ kind: 'compliance.card', dedupeKey: `cmp-card-${run.id}-${seq}`, payload: { runId: run.id } });
    await tx.enqueue({
      kind: 'compliance.post',
      dedupeKey: `cmp-problem-${seq}`,
      payload: { runId: run.id, inThread: true, text: `:warning: {owner} ${failed ? 'the job reported a failure' : `${'user' in by ? mention(by.user) : 'someone'} reported a problem`} with *${esc(task.title)}* for ${run.date}${note ? `: ${esc(note)}` : ''}. Paging the owner.` },
    });
    await tx.enqueue({ kind: 'compliance.escalate', dedupeKey: `cmp-esc-${run.id}-${seq}`, payload: { runId: run.id, reason: failed ? 'failed' : 'problem' } });
    return run;
  });
}

const dedupKey = (run: ComplianceRun) => `warroom-CMP-${run.taskId}-${run.date}`;

/** The miss ladder: page the owner's PagerDuty service and notify the managers (DM + mention). */
export async function escalateRun(deps: ComplianceDeps, runId: number, reason: 'missed' | 'problem' | 'failed'): Promise<void> {
  const run = await deps.store.get(runId);
  const task = run && taskOf(deps, run.taskId);
  if (!run || !task) return;
  const what = reason === 'missed' ? `missed its ${formatClock(run.dueAt, deps.policy.timezone)} deadline` : reason === 'failed' ? 'failed' : 'has a reported problem';
  if (task.pagerduty) {
    try {
      await deps.pager.send({ action: 'trigger', service: task.pagerduty, dedupKey: dedupKey(run), summary: `[COMPLIANCE] ${task.title} for ${run.date} ${what}`, severity: 'error', source: 'warroom', component: task.id, customDetails: { task: task.id, date: run.date, reason, owner: task.owner, note: run.problemNote } });
      deps.metrics.page('sent');
    } catch (err) {
      if (!(err instanceof PermanentError)) throw err;
      deps.metrics.page('failed');
      deps.metrics.failure('compliance_page');
      await deps.store.audit({ actor: 'warroom', action: 'compliance.page_failed', incidentId: null, subject: ref(run), data: { error: err.message } });
      await deps.chat.postInChannel(task.channel, `:x: Paging ${task.pagerduty} for ${esc(task.title)} failed: ${esc(err.message)}`, { key: `cmp-pagefail-${run.id}-${reason}`, retry: true });
    }
  }
  const users = new Set<string>();
  for (const g of task.notifyOnMiss) for (const u of await deps.chat.groupMembers(g)) users.add(u);
  for (const u of users) await deps.chat.notifyUser(u, `:rotating_light: *${esc(task.title)}* for ${run.date} ${what}. See #${task.channel}.`);
  await deps.store.audit({ actor: 'warroom', action: 'compliance.escalated', incidentId: null, subject: ref(run), data: { reason, paged: task.pagerduty, notified: [...users] } });
}

export async function resolveRunPage(deps: ComplianceDeps, runId: number): Promise<void> {
  const run = await deps.store.get(runId);
  const task = run && taskOf(deps, run.taskId);
  if (!run || !task?.pagerduty) return;
  await deps.pager.send({ action: 'resolve', service: task.pagerduty, dedupKey: dedupKey(run), summary: task.title, severity: 'error', source: 'warroom' });
}

/** Posts or updates a run's card. */
export async function renderRun(deps: ComplianceDeps, runId: number, retry: boolean): Promise<void> {
  const run = await deps.store.get(runId);
  const task = run && taskOf(deps, run.taskId);
  if (!run || !task) return;
  const existing = run.channelId && run.cardTs ? { channelId: run.channelId, ts: run.cardTs } : null;
  const posted = await deps.chat.showComplianceRun(
    { run, task, ownerMention: await deps.chat.groupMention(task.owner), zone: deps.policy.timezone, postedLateMs: run.openedAt ? run.openedAt.getTime() - run.opensAt.getTime() : 0 },
    { key: `cmp-card-${run.id}`, retry },
    existing,
  );
  if (!existing) await deps.store.recordCard(run.id, posted.channelId, posted.ts);
}

/** A post about a run in its task's channel, `{owner}` replaced by the owner group's mention. */
export async function postAboutRun(deps: ComplianceDeps, p: { runId: number; text: string; inThread: boolean }, key: string, retry: boolean): Promise<void> {
  const run = await deps.store.get(p.runId);
  const task = run && taskOf(deps, run.taskId);
  if (!run || !task) return;
  const text = p.text.replace('{owner}', await deps.chat.groupMention(task.owner));
  await deps.chat.postInChannel(task.channel, text, { key, retry }, p.inThread ? run.cardTs : null);
}

const STATE_ICON: Record<string, string> = { 'on time': ':white_check_mark:', late: ':warning:', missed: ':red_circle:', open: ':large_blue_circle:', failed: ':x:', scheduled: ':white_circle:' };

function runLine(deps: ComplianceDeps, r: ComplianceRun, withDate: boolean): string {
  const task = taskOf(deps, r.taskId);
  const outcome = runOutcome(r);
  const zone = deps.policy.timezone;
  const who = r.doneBy ? ` by ${r.doneBy.startsWith('token:') ? `\`${r.doneBy}\`` : mention(r.doneBy)} at ${formatClock(r.doneAt!, zone)}` : '';
  const late = outcome === 'late' ? ` (+${humanDuration(r.doneAt!.getTime() - r.dueAt.getTime())})` : '';
  return `${STATE_ICON[outcome]} ${withDate ? `${r.date} ` : ''}*${esc(task?.title ?? r.taskId)}* — ${outcome}${late}${who} · due ${formatClock(r.dueAt, zone)}`;
}

/** `/compliance`: today's tasks and their states. */
export async function todayText(deps: ComplianceDeps): Promise<string> {
  const date = today(deps);
  const runs = await deps.store.runsOn(date);
  if (runs.length === 0) {
    const why = deps.calendar.isTradingDay(date) ? 'no tasks are scheduled' : `not a trading day${deps.calendar.holidayName(date) ? ` (${deps.calendar.holidayName(date)})` : ''}`;
    return `*Compliance, ${date}:* ${why}. Next trading day: ${deps.calendar.nextTradingDay(date)}.`;
  }
  return [`*Compliance, ${date}:*`, ...runs.map((r) => runLine(deps, r, false))].join('\n');
}

/** `/compliance <task-id>`: the last 10 runs that have begun (runs planned for later are not history). */
export async function historyText(deps: ComplianceDeps, taskId: string): Promise<string> {
  const task = taskOf(deps, taskId);
  if (!task) throw new DomainError('unknown_task', `There is no task "${taskId}". Tasks: ${deps.policy.compliance.tasks.map((t) => `\`${t.id}\``).join(', ')}.`);
  const runs = await deps.store.lastRuns(taskId, 10);
  if (runs.length === 0) return `*${esc(task.title)}*: no runs yet.`;
  return [`*${esc(task.title)}* — ${runs.length === 1 ? 'last run' : `last ${runs.length} runs`}:`, ...runs.map((r) => runLine(deps, r, true))].join('\n');
}

/** The daily digest: claimed once per date, then posted by a queued job. */
export async function digestDue(deps: ComplianceDeps, date: string): Promise<void> {
  await deps.store.transaction(async (tx) => {
    if (!(await tx.claimDigest(date, deps.clock.now()))) return;
    await tx.enqueue({ kind: 'compliance.digest', dedupeKey: `cmp-digest-${date}`, payload: { date } });
  });
}

export async function postDigest(deps: ComplianceDeps, date: string, retry: boolean): Promise<void> {
  const runs = await deps.store.runsOn(date);
  const counts: Record<string, number> = {};
  for (const r of runs) counts[runOutcome(r)] = (counts[runOutcome(r)] ?? 0) + 1;
  const summary = ['on time', 'late', 'missed', 'open', 'failed'].map((k) => `${counts[k] ?? 0} ${k}`).join(' · ');
  const text = [`:clipboard: *Compliance digest for ${date}:* ${summary}`, ...runs.map((r) => runLine(deps, r, false))].join('\n');
  await deps.chat.postInChannel(deps.policy.channels.compliance, text, { key: `cmp-digest-${date}`, retry });
  await deps.store.audit({ actor: 'warroom', action: 'compliance.digest_posted', incidentId: null, subject: date, data: counts });
}
