import { declaringUser } from '../domain/declarer.js';
import { channelNameFor, incidentRef, type Incident } from '../domain/incident.js';
import { severityById } from '../domain/policy.js';
import type { IncidentDeps } from './deps.js';
import { declarerText, topicFor } from './messages.js';
import { PERMANENT, PermanentError, TransientError } from '../domain/errors.js';
import type { AlertCounts, IncidentView } from './ports/chat.js';
import type { WarRoomState } from './ports/incident-store.js';

const MAX_NAME_SUFFIX = 20;

export function viewOf(incident: Incident, state: WarRoomState | null, alerts: AlertCounts | null = null): IncidentView {
  const anyAlerts = alerts && alerts.firing + alerts.resolved > 0 ? alerts : null;
  return { incident, ref: incidentRef(incident.id), channelId: state?.channelId ?? null, channelName: state?.channelName ?? null, alerts: anyAlerts };
}

/**
 * Builds the war room step by step. Each step's result is recorded before the next starts, so a
 * retry (after a crash, a 429, a 5xx) resumes where the last attempt stopped:
 * channel → topic → invitations → header card → pin → announcement.
 *
 * The dangerous crash is the one right after `conversations.create` succeeded but before its id was
 * recorded: the retry meets `name_taken` for the name it chose itself, so it adopts the channel the
 * bot created for this incident rather than opening `…-2`.
 */
export async function setupWarRoom(deps: IncidentDeps, incidentId: number, attempt = 1): Promise<void> {
  const retry = attempt > 1;
  const { store } = deps;
  const snap = await store.snapshot(incidentId);
  if (!snap) throw new PermanentError(PERMANENT.unknownIncident, `${incidentRef(incidentId)} not found`);
  const { incident, state, alerts } = snap;
  if (state.readyAt) return;

  if (!state.channelId) {
    await ensureChannel(deps, incident, state);
    await store.recordWarRoom(incidentId, { channelId: state.channelId, channelName: state.channelName });
  }
  await finishSetup(deps, incident, state, alerts, retry);
}

/**
 * Step one, on its own ordered queue: channel creation is the call Slack limits hardest (Tier 2,
 * about 20 a minute). In a storm the rooms open in declaration order, and each declarer whose
 * room waits is told so once, with how many are ahead.
 */
export async function createWarRoomChannel(deps: IncidentDeps, incidentId: number): Promise<void> {
  const snap = await deps.store.snapshot(incidentId);
  if (!snap) throw new PermanentError(PERMANENT.unknownIncident, `${incidentRef(incidentId)} not found`);
  const { incident, state } = snap;
  const next = { kind: 'warroom.setup' as const, dedupeKey: `setup-${incidentId}`, payload: { incidentId } };
  if (!state.channelId) {
    try {
      await ensureChannel(deps, incident, state);
    } catch (err) {
      if (err instanceof TransientError && err.retryAfterMs !== null) {
        // Everyone whose room now waits behind the limit hears it once (deduplicated per incident).
        const waiting = await deps.store.waitingForChannel();
        for (const [ahead, w] of waiting.entries()) {
          const text = `:hourglass: Slack is rate-limiting channel creation, so the war room for ${incidentRef(w.id)} is queued (${ahead} ahead of it). The incident is recorded and its room will open in order; nothing is lost.`;
          const user = declaringUser(w.declarer);
          // An integration has no DM: its notice goes to the announcements channel.
          await deps.store.enqueue(
            user
              ? { kind: 'user.dm', dedupeKey: `queued-${w.id}`, payload: { userId: user, text } }
              : { kind: 'incident.notice', dedupeKey: `queued-${w.id}`, payload: { incidentId: w.id, where: 'announcements', text: `${text} (Declared by ${declarerText(w.declarer)}.)` } },
          );
        }
      }
      throw err;
    }
  }
  await deps.store.channelCreated(incidentId, state.channelId!, state.channelName!, next);
}

async function ensureChannel(deps: IncidentDeps, incident: Incident, state: WarRoomState): Promise<void> {
  const { store, chat } = deps;
  const incidentId = incident.id;
  {
    let suffix = 1;
    if (state.channelName) {
      const m = /-(\d+)$/.exec(state.channelName);
      suffix = m && state.channelName !== channelNameFor(incident.id, incident.title) ? Number(m[1]) : 1;
    }
    for (; !state.channelId; suffix += 1) {
      if (suffix > MAX_NAME_SUFFIX) throw new PermanentError(PERMANENT.noFreeChannelName, `no free channel name for ${incidentRef(incident.id)} after ${MAX_NAME_SUFFIX} tries`);
      const name = channelNameFor(incident.id, incident.title, suffix);
      if (state.channelName !== name) {
        state.channelName = name;
        await store.recordWarRoom(incidentId, { channelName: name });
      }
      const created = await chat.createChannel(name, incident.isPrivate);
      if (created.ok) {
        state.channelId = created.id;
      } else {
        // Ours from an attempt that crashed before recording it? Adopt it; otherwise try the next name.
        const own = await chat.findOwnChannel(name, new Date(incident.declaredAt.getTime() - 60_000));
        if (own) state.channelId = own;
      }
    }
  }
}

async function finishSetup(deps: IncidentDeps, incident: Incident, state: WarRoomState, alerts: AlertCounts, retry: boolean): Promise<void> {
  const { store, chat, policy } = deps;
  const incidentId = incident.id;
  const channelId = state.channelId!;
  const view = viewOf(incident, state, alerts);

  if (!state.topicSet) {
    await chat.setTopic(channelId, topicFor(policy, incident));
    await store.recordWarRoom(incidentId, { topicSet: true });
  }
  if (!state.invited) {
    const sev = severityById(policy, incident.severity);
    const declarer = declaringUser(incident.declarer);
    const users = [...new Set([...(declarer ? [declarer] : []), ...(sev?.defaultResponders.users ?? [])])];
    await chat.invite(channelId, users, sev?.defaultResponders.groups ?? []);
    await store.recordWarRoom(incidentId, { invited: true });
  }
  if (!state.headerTs) {
    state.headerTs = await chat.postHeader(channelId, view, { key: `header-${incident.id}`, retry });
    await store.recordWarRoom(incidentId, { headerTs: state.headerTs });
  }
  if (!state.pinned) {
    await chat.pin(channelId, state.headerTs);
    await store.recordWarRoom(incidentId, { pinned: true });
  }
  if (!state.announceTs) {
    const sev = severityById(policy, incident.severity);
    const posted = await chat.announce(view, { key: `announce-${incident.id}`, retry }, sev?.announceGroups ?? []);
    await store.recordWarRoom(incidentId, { announceChannelId: posted.channelId, announceTs: posted.ts });
  }
  // Everything above rendered this snapshot; the sync below shows anything that changed meanwhile.
  await store.recordWarRoom(
    incidentId,
    { readyAt: deps.clock.now(), renderedVersion: incident.version },
    { actor: 'warroom', action: 'warroom.ready', incidentId, subject: incidentRef(incidentId), data: { channel: channelId, name: state.channelName } },
  );
  // Changes made while the room was being built (a role taken from the announcement) show now.
  await syncIncidentView(deps, incidentId);
}

/**
 * Re-renders the header card, topic and announcement from Postgres. Idempotent, so it is safe to
 * run after every change, in any order: it always shows the latest state.
 */
export async function syncIncidentView(deps: IncidentDeps, incidentId: number, force = false): Promise<void> {
  await deps.store.exclusive(incidentId, async () => {
    const snap = await deps.store.snapshot(incidentId);
    const channelId = snap?.state.channelId;
    if (!snap || !channelId) return; // the setup job renders it when the room exists
    const { incident, state } = snap;
    // A burst of clicks queues many syncs; the first to run shows them all, the rest skip.
    if (!force && state.renderedVersion >= incident.version) return;
    const view = viewOf(incident, state, snap.alerts);
    if (state.headerTs) await deps.chat.updateHeader(channelId, state.headerTs, view);
    if (state.topicSet) await deps.chat.setTopic(channelId, topicFor(deps.policy, incident));
    if (state.announceChannelId && state.announceTs) await deps.chat.updateAnnouncement(state.announceChannelId, state.announceTs, view);
    await deps.store.recordWarRoom(incidentId, { renderedVersion: incident.version });
  });
}

/**
 * The setup failed for good (a permanent Slack error, or retries exhausted). Nothing is dropped
 * silently: it is audited, the announcements channel hears of it, and a user declarer is told directly.
 */
export async function reportSetupFailure(deps: IncidentDeps, incidentId: number, error: string): Promise<void> {
  const incident = await deps.store.get(incidentId);
  if (!incident) return;
  const ref = incidentRef(incidentId);
  const text = `:warning: The war room for ${ref} could not be set up (${error}). The incident is recorded; open a channel by hand and tell #${deps.policy.channels.announcements}.`;
  const user = declaringUser(incident.declarer);
  // Queued, not posted from here: when Slack itself is the failure (a revoked token), the queue
  // retries with backoff and the report arrives once Slack works again. The announcements
  // channel always hears it; a user declarer is also told directly (an integration has no DM).
  if (user) await deps.store.enqueue({ kind: 'user.dm', dedupeKey: `setup-failed-dm-${incidentId}`, payload: { userId: user, text } });
  await deps.store.enqueue({ kind: 'incident.notice', dedupeKey: `setup-failed-${incidentId}`, payload: { incidentId, where: 'announcements', text } });
  // Recorded after the reports are queued: a crash in between re-runs this, and the dedupe keys
  // keep the reports to one each.
  await deps.store.recordWarRoom(incidentId, { failedAt: deps.clock.now() }, { actor: 'warroom', action: 'warroom.failed', incidentId, subject: ref, data: { error } });
}
