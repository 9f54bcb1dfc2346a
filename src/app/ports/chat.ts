import type { Checklist } from './incident-store.js';
import type { Incident } from '../../domain/incident.js';
import type { ComplianceRunView } from './compliance-store.js';
import type { DeployRequest } from './deploy-store.js';
import type { TriageSnapshot } from './alert-store.js';

/** Why a **Resolve** button is offered: PagerDuty resolved it, or every alert of a group recovered. */
export type ResolveReason = 'pagerduty' | 'alerts';

/** A channel named in the policy (`channels.*`). */
export type PolicyChannel = 'announcements' | 'compliance' | 'approvals';

/** What the war room looks like, independent of Block Kit. */
export interface IncidentView {
  incident: Incident;
  ref: string;
  channelId: string | null;
  channelName: string | null;
  /** The alerts that joined the incident (the latest state of each); null when none did. */
  alerts: AlertCounts | null;
}

export interface AlertCounts {
  firing: number;
  resolved: number;
}

/**
 * Identifies a post for idempotency. `retry` says an earlier attempt may have posted it already,
 * so the platform looks for it first (costly, so only then).
 */
export interface PostKey {
  key: string;
  retry: boolean;
}

export type CreateChannelResult = { ok: true; id: string } | { ok: false; reason: 'name_taken' };

/**
 * The chat platform as the use cases need it. Implementations map vendor errors to
 * `TransientError` (retry, maybe after a delay) or `PermanentError` (report to a human).
 * Posting methods take an idempotency `key`: a retry after a crash finds the earlier post
 * instead of posting twice.
 */
export interface ChatPlatform {
  createChannel(name: string, isPrivate: boolean): Promise<CreateChannelResult>;
  /** A channel with this name that the bot itself created since `since`, if any. */
  findOwnChannel(name: string, since: Date): Promise<string | null>;
  setTopic(channelId: string, topic: string): Promise<void>;
  /** Invites users (ids) and the members of user groups (handles); existing members are fine. */
  invite(channelId: string, users: string[], groups: string[]): Promise<void>;
  postHeader(channelId: string, view: IncidentView, key: PostKey): Promise<string>;
  updateHeader(channelId: string, ts: string, view: IncidentView): Promise<void>;
  pin(channelId: string, ts: string): Promise<void>;
  announce(view: IncidentView, key: PostKey, mentionGroups: string[]): Promise<{ channelId: string; ts: string }>;
  updateAnnouncement(channelId: string, ts: string, view: IncidentView): Promise<void>;
  /** A plain post; with `threadTs`, a reply in that thread. */
  postNotice(target: { channelId: string; threadTs?: string } | { policyChannel: PolicyChannel }, text: string, key: PostKey): Promise<void>;
  /** A notice in the war room with a **Resolve** button (the click runs the resolve use case). */
  offerResolve(channelId: string, incidentId: number, text: string, reason: ResolveReason, key: PostKey): Promise<void>;
  /** A direct message; used to tell a declarer what went wrong. */
  notifyUser(userId: string, text: string): Promise<void>;
  /** Is the user in the user group (handle)? Membership is read from the platform each time. */
  isGroupMember(handle: string, userId: string): Promise<boolean>;
  groupMembers(handle: string): Promise<string[]>;
  /** `<!subteam^…>` for a handle (or `@handle` when the group does not exist). */
  groupMention(handle: string): Promise<string>;
  /** The phone number in the user's profile, as typed (the caller validates E.164). */
  userPhone(userId: string): Promise<string | null>;
  /** Posts (or updates) a compliance run's card in its task's channel. */
  showComplianceRun(view: ComplianceRunView, key: PostKey, existing: { channelId: string; ts: string } | null): Promise<{ channelId: string; ts: string }>;
  /** Posts text in a channel named by the policy (joining it if public), optionally in a thread. */
  postInChannel(channelName: string, text: string, key: PostKey, threadTs?: string | null): Promise<string>;
  /** Posts the regulatory checklist card in the compliance channel, or updates it. */
  showChecklist(view: ChecklistView, key: PostKey, existing: { channelId: string; ts: string } | null): Promise<{ channelId: string; ts: string }>;

  /** Posts a triage post in its channel (joining it if public), or updates it in place. */
  showTriage(view: TriageView, key: PostKey, existing: { channelId: string; ts: string } | null): Promise<{ channelId: string; ts: string }>;

  /** Posts the approval card, or updates it in place when `existing` is given. */
  showDeployRequest(view: DeployRequestView, key: PostKey, existing: { channelId: string; ts: string } | null): Promise<{ channelId: string; ts: string }>;
}

export interface ChecklistView {
  checklist: Checklist;
  incidentRef: string;
  title: string;
  warRoomChannelId: string | null;
  ownerMentions: Record<string, string>;
  zone: string;
}

/** A triage post: the group's alerts and, while open, Declare / Attach to INC-n… / Dismiss. */
export interface TriageView extends TriageSnapshot {
  zone: string;
}

/** A deploy request as the approval card shows it. */
export interface DeployRequestView {
  request: DeployRequest;
  approverGroups: string[];
  commander: string | null;
  zone: string;
}
