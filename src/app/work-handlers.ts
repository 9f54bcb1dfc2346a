import type { IncidentDeps } from './deps.js';
import { renderDeployCard, type DeployDeps } from './deploy-window.js';
import { digestDue, dueRun, escalateRun, openRun, planCompliance, postAboutRun, postDigest, renderRun, resolveRunPage, warnRun, type ComplianceDeps } from './compliance.js';
import { PermanentError, TransientError, type TimerSpec, type WorkItem } from './ports.js';
import { fireStep, nudge, pagerFollowUp, remindChecklist, renderChecklist } from './escalation.js';
import { createWarRoomChannel, reportSetupFailure, setupWarRoom, syncIncidentView } from './setup-war-room.js';

export interface WorkDeps {
  incidents: IncidentDeps;
  deploys: DeployDeps;
  compliance: ComplianceDeps;
}

/** Runs one queued work item. Every handler is idempotent: the queue delivers at least once. */
export async function runWork(deps: WorkDeps, item: WorkItem, attempt: number): Promise<void> {
  const inc = deps.incidents;
  const retry = attempt > 1;
  switch (item.kind) {
    case 'warroom.channel':
      return createWarRoomChannel(inc, item.payload.incidentId);
    case 'warroom.setup':
      return setupWarRoom(inc, item.payload.incidentId, attempt);
    case 'incident.sync':
      return syncIncidentView(inc, item.payload.incidentId);
    case 'incident.notice': {
      const { incidentId, where, text, unlessSuperseded } = item.payload;
      const key = { key: item.dedupeKey, retry };
      if (unlessSuperseded) {
        const now = await inc.store.get(incidentId);
        if (now?.roles[unlessSuperseded.role]?.userId !== unlessSuperseded.userId) return;
      }
      if (where !== 'war-room') return inc.chat.postNotice({ policyChannel: where }, text, key);
      const channelId = await warRoomChannel(inc, incidentId, attempt);
      return inc.chat.postNotice({ channelId }, text, key);
    }
    case 'incident.invite': {
      return inc.chat.invite(await warRoomChannel(inc, item.payload.incidentId, attempt), item.payload.users, []);
    }
    case 'deploy.card':
      return renderDeployCard(deps.deploys, item.payload.requestId, retry);
    case 'user.dm':
      return inc.chat.notifyUser(item.payload.userId, item.payload.text);
    case 'pager.event':
      return pagerFollowUp(inc, item.payload.incidentId, item.payload.action);
    case 'regulatory.card':
      return renderChecklist(inc, item.payload.incidentId, retry);
    case 'compliance.card':
      return renderRun(deps.compliance, item.payload.runId, retry);
    case 'compliance.post':
      return postAboutRun(deps.compliance, item.payload, item.dedupeKey, retry);
    case 'compliance.escalate':
      return escalateRun(deps.compliance, item.payload.runId, item.payload.reason);
    case 'compliance.resolve-page':
      return resolveRunPage(deps.compliance, item.payload.runId);
    case 'compliance.digest':
      return postDigest(deps.compliance, item.payload.date, retry);
  }
}

/** Called once when a work item has failed for good: audited, logged, and shown to a human where possible. */
export async function onWorkFailed(deps: WorkDeps, item: WorkItem, error: string): Promise<void> {
  const inc = deps.incidents;
  if (item.kind === 'warroom.setup' || item.kind === 'warroom.channel') return reportSetupFailure(inc, item.payload.incidentId, error);
  inc.log.error({ kind: item.kind, key: item.dedupeKey, error }, 'work item failed permanently');
  const incidentId = 'incidentId' in item.payload ? item.payload.incidentId : null;
  if (item.kind.startsWith('compliance.')) inc.metrics.failure(item.kind);
  await inc.store.audit({ actor: 'warroom', action: 'work.failed', incidentId, subject: item.dedupeKey, data: { kind: item.kind, error } });
}

/**
 * The war room's channel. While it is still being built, wait (without spending retry attempts)
 * so the post lands once it exists; if building it failed for good, so does this.
 */
async function warRoomChannel(inc: IncidentDeps, incidentId: number, attempt: number): Promise<string> {
  const state = await inc.store.warRoom(incidentId);
  if (state?.channelId) return state.channelId;
  if (!state || state.failedAt) throw new PermanentError('no_war_room', `INC-${incidentId} has no war room`);
  throw new TransientError(`war room of INC-${incidentId} not ready yet (start ${attempt})`, 500);
}

/** A timer woke: the handlers re-read Postgres and act only if the deadline is still live. */
export async function runTimer(deps: WorkDeps, t: TimerSpec): Promise<void> {
  switch (t.kind) {
    case 'esc-step':
      return fireStep(deps.incidents, t.stepId);
    case 'nudge':
      return nudge(deps.incidents, t.incidentId, t.seq);
    case 'reg-reminder':
      return remindChecklist(deps.incidents, t.incidentId);
    case 'cmp-open':
      return openRun(deps.compliance, t.runId);
    case 'cmp-warn':
      return warnRun(deps.compliance, t.runId);
    case 'cmp-due':
      return dueRun(deps.compliance, t.runId);
    case 'cmp-digest':
      return digestDue(deps.compliance, t.date);
    case 'cmp-plan':
      return void (await planCompliance(deps.compliance));
  }
}
