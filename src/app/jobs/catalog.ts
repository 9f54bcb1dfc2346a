import { z } from 'zod';
import { renderDeployCard } from '../deploy-window.js';
import { digestDue, dueRun, escalateRun, openRun, planCompliance, postAboutRun, postDigest, renderRun, resolveRunPage, warnRun } from '../compliance.js';
import { fireStep, pagerFollowUp } from '../escalation/steps.js';
import { nudge } from '../escalation/nudges.js';
import { remindChecklist, renderChecklist } from '../escalation/regulatory-checklist.js';
import { createWarRoomChannel, reportSetupFailure, setupWarRoom, syncIncidentView } from '../setup-war-room.js';
import { inviteToWarRoom, postNotice, postResolveOffer, reportUndeliveredNotice } from '../war-room-posts.js';
import { autoResolveGroup, postAlerts } from '../alerts.js';
import { renderTriage, reportTriageFailure } from '../alert-triage.js';
import { defineTimer, defineWork, type TimerDef } from './define.js';

/**
 * Every job kind, declared once: its payload schema (checked again whenever the payload is read
 * back from Postgres or Redis), its handler and, for timers, its job id. The `WorkItem` and
 * `TimerSpec` unions are derived from here. Handlers live in their use-case modules; this file
 * only binds them (a handler written inline here would make the types circular).
 */
const id = z.number().int().positive();
const incident = z.object({ incidentId: id });
const run = z.object({ runId: id });
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const WORK = {
  'warroom.channel': defineWork(incident, {
    lane: 'ordered',
    run: (d, p) => createWarRoomChannel(d.incidents, p.incidentId),
    onFailed: (d, p, f) => reportSetupFailure(d.incidents, p.incidentId, f.error),
  }),
  'warroom.setup': defineWork(incident, {
    run: (d, p, job) => setupWarRoom(d.incidents, p.incidentId, job.attempt),
    onFailed: (d, p, f) => reportSetupFailure(d.incidents, p.incidentId, f.error),
  }),
  'incident.sync': defineWork(incident, { run: (d, p) => syncIncidentView(d.incidents, p.incidentId) }),
  'incident.notice': defineWork(
    z.object({
      incidentId: id,
      where: z.enum(['war-room', 'announcements', 'compliance', 'approvals']),
      text: z.string().min(1),
      unlessSuperseded: z.object({ role: z.string(), userId: z.string() }).optional(),
    }),
    { run: (d, p, job) => postNotice(d.incidents, p, job), onFailed: (d, p, f) => reportUndeliveredNotice(d.incidents, p, f) },
  ),
  'incident.resolve-offer': defineWork(z.object({ incidentId: id, text: z.string().min(1), reason: z.enum(['pagerduty', 'alerts']).optional() }), {
    run: (d, p, job) => postResolveOffer(d.incidents, p, job),
    onFailed: (d, p, f) => reportUndeliveredNotice(d.incidents, { ...p, where: 'war-room' }, f),
  }),
  'incident.invite': defineWork(z.object({ incidentId: id, users: z.array(z.string()), groups: z.array(z.string()).optional() }), { run: (d, p, job) => inviteToWarRoom(d.incidents, p, job) }),
  'alerts.post': defineWork(incident, { run: (d, p, job) => postAlerts(d.alerts, p.incidentId, job) }),
  'alerts.triage': defineWork(z.object({ triageId: id }), {
    run: (d, p, job) => renderTriage(d.alerts, p.triageId, job),
    onFailed: (d, p, f) => reportTriageFailure(d.alerts, p.triageId, f),
  }),
  'alerts.auto-resolve': defineWork(z.object({ incidentId: id, groupKey: z.string().min(1), source: z.string().min(1) }), { run: (d, p) => autoResolveGroup(d.alerts, p) }),
  'deploy.card': defineWork(z.object({ requestId: id }), { run: (d, p, job) => renderDeployCard(d.deploys, p.requestId, job.retry) }),
  'user.dm': defineWork(z.object({ userId: z.string().min(1), text: z.string().min(1) }), { run: (d, p) => d.incidents.chat.notifyUser(p.userId, p.text) }),
  'pager.event': defineWork(z.object({ incidentId: id, action: z.enum(['acknowledge', 'resolve']) }), { run: (d, p) => pagerFollowUp(d.incidents, p.incidentId, p.action) }),
  'regulatory.card': defineWork(incident, { run: (d, p, job) => renderChecklist(d.incidents, p.incidentId, job.retry) }),
  'compliance.card': defineWork(run, { countFailures: true, run: (d, p, job) => renderRun(d.compliance, p.runId, job.retry) }),
  'compliance.post': defineWork(z.object({ runId: id, text: z.string().min(1), inThread: z.boolean() }), {
    countFailures: true,
    run: (d, p, job) => postAboutRun(d.compliance, p, job.dedupeKey, job.retry),
  }),
  'compliance.escalate': defineWork(z.object({ runId: id, reason: z.enum(['missed', 'problem', 'failed']) }), {
    countFailures: true,
    run: (d, p) => escalateRun(d.compliance, p.runId, p.reason),
  }),
  'compliance.resolve-page': defineWork(run, { countFailures: true, run: (d, p) => resolveRunPage(d.compliance, p.runId) }),
  'compliance.digest': defineWork(z.object({ date: isoDate }), { countFailures: true, run: (d, p, job) => postDigest(d.compliance, p.date, job.retry) }),
};

export const TIMERS = {
  'esc-step': defineTimer(z.object({ stepId: id }), { id: (t) => `esc-${t.stepId}`, run: (d, t) => fireStep(d.incidents, t.stepId) }),
  nudge: defineTimer(z.object({ incidentId: id, seq: z.number().int().nonnegative() }), {
    id: (t) => `nudge-${t.incidentId}-${t.seq}-${t.at.getTime()}`,
    run: (d, t) => nudge(d.incidents, t.incidentId, t.seq),
  }),
  'reg-reminder': defineTimer(incident, { id: (t) => `regrem-${t.incidentId}`, run: (d, t) => remindChecklist(d.incidents, t.incidentId) }),
  'cmp-open': defineTimer(run, { id: (t) => `cmp-open-${t.runId}`, run: (d, t) => openRun(d.compliance, t.runId) }),
  'cmp-warn': defineTimer(run, { id: (t) => `cmp-warn-${t.runId}`, run: (d, t) => warnRun(d.compliance, t.runId) }),
  'cmp-due': defineTimer(run, { id: (t) => `cmp-due-${t.runId}`, run: (d, t) => dueRun(d.compliance, t.runId) }),
  'cmp-digest': defineTimer(z.object({ date: isoDate }), { id: (t) => `cmp-digest-${t.date}`, run: (d, t) => digestDue(d.compliance, t.date) }),
  'cmp-plan': defineTimer(z.object({}), { id: (t) => `cmp-plan-${t.at.getTime()}`, run: async (d) => void (await planCompliance(d.compliance)) }),
};

type Work = typeof WORK;
type Timer = typeof TIMERS;

export type WorkKind = keyof Work;
export type TimerKind = keyof Timer;

/**
 * Work that must happen after a change commits. It is written in the same transaction as the
 * change, then handed to the queue; `dedupeKey` makes a retried request or a double click
 * enqueue it once.
 */
export type WorkItem = { [K in WorkKind]: { kind: K; dedupeKey: string; payload: z.output<Work[K]['schema']> } }[WorkKind];

/** A wake-up in Redis. The deadline itself lives in Postgres; the timer only wakes a worker. */
export type TimerSpec = { [K in TimerKind]: { kind: K; at: Date } & Fields<Timer[K]['schema']> }[TimerKind];
/** A timer's own fields (none is `{}`, not zod's `Record<string, never>`). */
type Fields<S extends z.ZodType> = z.output<S> extends Record<string, never> ? unknown : z.output<S>;

/** The work kinds that run on the ordered lane. */
export const orderedWorkKinds = (): string[] => Object.entries(WORK as Record<string, { lane?: 'ordered' }>).filter(([, d]) => d.lane === 'ordered').map(([k]) => k);

/** The BullMQ job id of a wake-up (deterministic, colon-free: re-adding one that exists is a no-op). */
export function timerJobId(t: TimerSpec): string {
  return (TIMERS[t.kind] as TimerDef).id(t as never);
}
