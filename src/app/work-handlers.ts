import type { IncidentDeps } from './deps.js';
import { renderDeployCard, type DeployDeps } from './deploy-window.js';
import type { TimerSpec, WorkItem } from './ports.js';
import { fireStep, nudge, pagerFollowUp, remindChecklist, renderChecklist } from './escalation.js';
import { reportSetupFailure, setupWarRoom, syncIncidentView } from './setup-war-room.js';

export interface WorkDeps {
  incidents: IncidentDeps;
  deploys: DeployDeps;
}

/** Runs one queued work item. Every handler is idempotent: the queue delivers at least once. */
export async function runWork(deps: WorkDeps, item: WorkItem, attempt: number): Promise<void> {
  const inc = deps.incidents;
  const retry = attempt > 1;
  switch (item.kind) {
    case 'warroom.setup':
      return setupWarRoom(inc, item.payload.incidentId, attempt);
    case 'incident.sync':
      return syncIncidentView(inc, item.payload.incidentId);
    case 'incident.notice': {
      const { incidentId, where, text } = item.payload;
      const key = { key: item.dedupeKey, retry };
      if (where !== 'war-room') return inc.chat.postNotice({ policyChannel: where }, text, key);
      const state = await inc.store.warRoom(incidentId);
      // The room is still being built: fail transiently so the notice lands after it exists.
      if (!state?.channelId) throw new WarRoomNotReady(incidentId, attempt);
      return inc.chat.postNotice({ channelId: state.channelId }, text, key);
    }
    case 'incident.invite': {
      const state = await inc.store.warRoom(item.payload.incidentId);
      if (!state?.channelId) throw new WarRoomNotReady(item.payload.incidentId, attempt);
      return inc.chat.invite(state.channelId, item.payload.users, []);
    }
    case 'deploy.card':
      return renderDeployCard(deps.deploys, item.payload.requestId, retry);
    case 'user.dm':
      return inc.chat.notifyUser(item.payload.userId, item.payload.text);
    case 'pager.event':
      return pagerFollowUp(inc, item.payload.incidentId, item.payload.action);
    case 'regulatory.card':
      return renderChecklist(inc, item.payload.incidentId, retry);
  }
}

/** Called once when a work item has failed for good: audited, logged, and shown to a human where possible. */
export async function onWorkFailed(deps: WorkDeps, item: WorkItem, error: string): Promise<void> {
  const inc = deps.incidents;
  if (item.kind === 'warroom.setup') return reportSetupFailure(inc, item.payload.incidentId, error);
  inc.log.error({ kind: item.kind, key: item.dedupeKey, error }, 'work item failed permanently');
  const incidentId = 'incidentId' in item.payload ? item.payload.incidentId : null;
  await inc.store.audit({ actor: 'warroom', action: 'work.failed', incidentId, subject: item.dedupeKey, data: { kind: item.kind, error } });
}

export class WarRoomNotReady extends Error {
  constructor(incidentId: number, attempt: number) {
    super(`war room of INC-${incidentId} not ready yet (attempt ${attempt})`);
    this.name = 'WarRoomNotReady';
  }
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
  }
}
