import { incidentRef } from '../domain/incident.js';
import type { IncidentDeps } from './deps.js';
import type { WorkRun } from './jobs/define.js';
import { Deferral, PERMANENT, PermanentError } from '../domain/errors.js';
import { humanDuration } from '../domain/escalation.js';
import type { PolicyChannel, ResolveReason } from './ports/chat.js';

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

/** A war-room notice with a **Resolve** button (PagerDuty resolved the incident), once. */
export async function postResolveOffer(inc: IncidentDeps, p: { incidentId: number; text: string; reason?: ResolveReason | undefined }, job: WorkRun): Promise<void> {
  const channelId = await warRoomChannel(inc, p.incidentId, job.attempt);
  return inc.chat.offerResolve(channelId, p.incidentId, p.text, p.reason ?? 'pagerduty', { key: job.dedupeKey, retry: job.retry });
}

/** Invites people into the war room once it exists. */
export async function inviteToWarRoom(inc: IncidentDeps, p: { incidentId: number; users: string[]; groups?: string[] | undefined }, job: WorkRun): Promise<void> {
  return inc.chat.invite(await warRoomChannel(inc, p.incidentId, job.attempt), p.users, p.groups ?? []);
}

/**
 * How a post waits for a war room that is still being built: 0.5 s, 1 s, 2 s … then every 60 s,
 * for at most 25 starts (about 18 minutes: a storm of hundreds of incidents behind Slack's limit
 * on channel creation still gets its rooms within that). Then the post gives up and is shown in
 * the announcements channel instead. It gives up at once when the setup itself failed for good.
 */
export const WAR_ROOM_WAIT = { firstMs: 500, maxMs: 60_000, starts: 25 } as const;

/** The wait before start `attempt + 1`, or null when start `attempt` was the last. */
export function warRoomWaitMs(attempt: number, wait: { firstMs: number; maxMs: number; starts: number } = WAR_ROOM_WAIT): number | null {
  if (attempt >= wait.starts) return null;
  return Math.min(wait.maxMs, wait.firstMs * 2 ** Math.max(0, attempt - 1));
}

/** How long a post waits in total before it gives up. */
export const warRoomWaitTotalMs = (wait = WAR_ROOM_WAIT): number => Array.from({ length: wait.starts - 1 }, (_, i) => warRoomWaitMs(i + 1, wait)!).reduce((a, b) => a + b, 0);

/**
 * The war room's channel. While it is still being built, wait with backoff (without spending
 * retry attempts) so the post lands once it exists; if building it failed for good, or it is
 * still not there after {@link WAR_ROOM_WAIT}, the post fails for good.
 */
export async function warRoomChannel(inc: IncidentDeps, incidentId: number, attempt: number): Promise<string> {
  return (await warRoomPlace(inc, incidentId, attempt, false)).channelId;
}

/** The war room and its pinned card (for posts in the card's thread), once both exist. */
export async function warRoomThread(inc: IncidentDeps, incidentId: number, attempt: number): Promise<{ channelId: string; threadTs: string }> {
  const { channelId, headerTs } = await warRoomPlace(inc, incidentId, attempt, true);
  return { channelId, threadTs: headerTs! };
}

async function warRoomPlace(inc: IncidentDeps, incidentId: number, attempt: number, needCard: boolean): Promise<{ channelId: string; headerTs: string | null }> {
  const state = await inc.store.warRoom(incidentId);
  if (state?.channelId && (!needCard || state.headerTs)) return { channelId: state.channelId, headerTs: state.headerTs };
  if (!state || state.failedAt) throw new PermanentError(PERMANENT.noWarRoom, `${incidentRef(incidentId)} has no war room`);
  const waitMs = warRoomWaitMs(attempt);
  if (waitMs === null) throw new PermanentError(PERMANENT.warRoomNotReady, `the war room of ${incidentRef(incidentId)} is still not set up after ${humanDuration(warRoomWaitTotalMs())}`);
  throw new Deferral(`war room of ${incidentRef(incidentId)} not ready yet (start ${attempt})`, waitMs);
}

/**
 * A war-room notice failed for good (no war room, or it never came): the update is not lost, it
 * is posted in the announcements channel, where the room would have been announced, and audited.
 */
export async function reportUndeliveredNotice(inc: IncidentDeps, p: NoticePayload, failure: { dedupeKey: string; error: string }): Promise<void> {
  const ref = incidentRef(p.incidentId);
  inc.log.error({ kind: 'incident.notice', key: failure.dedupeKey, incident: ref, error: failure.error }, 'work item failed permanently');
  await inc.store.audit({ actor: 'warroom', action: 'notice.undelivered', incidentId: p.incidentId, subject: failure.dedupeKey, data: { where: p.where, error: failure.error } });
  if (p.where !== 'war-room') return;
  const text = `:warning: An update for ${ref} could not be posted in its war room (${failure.error}):\n${p.text}`;
  await inc.chat.postNotice({ policyChannel: 'announcements' }, text, { key: `undelivered-${failure.dedupeKey}`, retry: true }).catch((err: unknown) => inc.log.error({ err, incident: ref }, 'could not report an undelivered notice'));
}
