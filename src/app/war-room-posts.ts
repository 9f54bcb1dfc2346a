import { incidentRef } from '../domain/incident.js';
import type { IncidentDeps } from './deps.js';
import type { WorkRun } from './jobs/define.js';
import { PermanentError, TransientError, type PolicyChannel } from './ports.js';

export interface NoticePayload {
  incidentId: number;
  where: 'war-room' | PolicyChannel;
  text: string;
  /** Skip when the role has changed hands again since (a click storm posts the last word, not all). */
  unlessSuperseded?: { role: string; userId: string } | undefined;
}

/** Posts a line in the war room (or a policy channel) once. */
export async function postNotice(inc: IncidentDeps, p: NoticePayload, job: WorkRun): Promise<void> {
  const key = { key: job.dedupeKey, retry: job.retry };
  if (p.unlessSuperseded) {
    const now = await inc.store.get(p.incidentId);
    if (now?.roles[p.unlessSuperseded.role]?.userId !== p.unlessSuperseded.userId) return;
  }
  if (p.where !== 'war-room') return inc.chat.postNotice({ policyChannel: p.where }, p.text, key);
  const channelId = await warRoomChannel(inc, p.incidentId, job.attempt);
  return inc.chat.postNotice({ channelId }, p.text, key);
}

/** Invites people into the war room once it exists. */
export async function inviteToWarRoom(inc: IncidentDeps, p: { incidentId: number; users: string[] }, job: WorkRun): Promise<void> {
  return inc.chat.invite(await warRoomChannel(inc, p.incidentId, job.attempt), p.users, []);
}

/**
 * The war room's channel. While it is still being built, wait (without spending retry attempts)
 * so the post lands once it exists; if building it failed for good, so does this.
 */
async function warRoomChannel(inc: IncidentDeps, incidentId: number, attempt: number): Promise<string> {
  const state = await inc.store.warRoom(incidentId);
  if (state?.channelId) return state.channelId;
  if (!state || state.failedAt) throw new PermanentError('no_war_room', `${incidentRef(incidentId)} has no war room`);
  throw new TransientError(`war room of ${incidentRef(incidentId)} not ready yet (start ${attempt})`, 500);
}
