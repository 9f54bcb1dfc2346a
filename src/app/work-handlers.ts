import type { IncidentDeps } from './deps.js';
import type { WorkItem } from './ports.js';
import { reportSetupFailure, setupWarRoom, syncIncidentView } from './setup-war-room.js';

/** Runs one queued work item. Every handler is idempotent: the queue delivers at least once. */
export async function runWork(deps: IncidentDeps, item: WorkItem, attempt: number): Promise<void> {
  switch (item.kind) {
    case 'warroom.setup':
      return setupWarRoom(deps, item.payload.incidentId, attempt);
    case 'incident.sync':
      return syncIncidentView(deps, item.payload.incidentId);
    case 'incident.notice': {
      const { incidentId, where, text } = item.payload;
      const key = { key: item.dedupeKey, retry: attempt > 1 };
      if (where === 'announcements') return deps.chat.postNotice({ announcements: true }, text, key);
      const state = await deps.store.warRoom(incidentId);
      // The room is still being built: fail transiently so the notice lands after it exists.
      if (!state?.channelId) throw new WarRoomNotReady(incidentId, attempt);
      return deps.chat.postNotice({ channelId: state.channelId }, text, key);
    }
    case 'incident.invite': {
      const state = await deps.store.warRoom(item.payload.incidentId);
      if (!state?.channelId) throw new WarRoomNotReady(item.payload.incidentId, attempt);
      return deps.chat.invite(state.channelId, item.payload.users, []);
    }
  }
}

/** Called once when a work item has failed for good. */
export async function onWorkFailed(deps: IncidentDeps, item: WorkItem, error: string): Promise<void> {
  if (item.kind === 'warroom.setup') return reportSetupFailure(deps, item.payload.incidentId, error);
  deps.log.error({ kind: item.kind, key: item.dedupeKey, error }, 'work item failed permanently');
  await deps.store.audit({ actor: 'warroom', action: 'work.failed', incidentId: item.payload.incidentId, subject: item.dedupeKey, data: { kind: item.kind, error } });
}

export class WarRoomNotReady extends Error {
  constructor(incidentId: number, attempt: number) {
    super(`war room of INC-${incidentId} not ready yet (attempt ${attempt})`);
    this.name = 'WarRoomNotReady';
  }
}
