import type { Capacity, DeployType, Freeze, Grant } from '../domain/deploy-rules.js';
import type { EscalationAction, PlannedStep } from '../domain/escalation.js';
import type { ComplianceTask, PlannedRun, RunState } from '../domain/compliance-schedule.js';
import type { Declarer } from '../domain/declarer.js';
import type { Incident } from '../domain/incident.js';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** An append to the audit trail; the store chains and hashes it in the caller's transaction. */
export interface AuditEntry {
  actor: string;
  action: string;
  incidentId: number | null;
  subject: string;
  data?: Record<string, unknown>;
}

export interface AuditView extends AuditEntry {
  seq: number;
  occurredAt: Date;
}

/**
 * Work that must happen after a change commits (a Slack post, a page). It is written in the same
 * transaction as the change, then handed to the queue; `dedupeKey` makes a retried request or a
 * double click enqueue it once.
 */
export type WorkItem =
  | { kind: 'warroom.channel'; dedupeKey: string; payload: { incidentId: number } }
  | { kind: 'warroom.setup'; dedupeKey: string; payload: { incidentId: number } }
  | { kind: 'incident.sync'; dedupeKey: string; payload: { incidentId: number } }
  | {
      kind: 'incident.notice';
      dedupeKey: string;
      /** `unlessSuperseded`: skip when the role has changed hands again since (a click storm posts the last word, not all). */
      payload: { incidentId: number; where: 'war-room' | PolicyChannel; text: string; unlessSuperseded?: { role: string; userId: string } };
    }
  | { kind: 'incident.invite'; dedupeKey: string; payload: { incidentId: number; users: string[] } }
  | { kind: 'deploy.card'; dedupeKey: string; payload: { requestId: number } }
  | { kind: 'user.dm'; dedupeKey: string; payload: { userId: string; text: string } }
  | { kind: 'pager.event'; dedupeKey: string; payload: { incidentId: number; action: 'acknowledge' | 'resolve' } }
  | { kind: 'regulatory.card'; dedupeKey: string; payload: { incidentId: number } }
  | { kind: 'compliance.card'; dedupeKey: string; payload: { runId: number } }
  | { kind: 'compliance.post'; dedupeKey: string; payload: { runId: number; text: string; inThread: boolean } }
  | { kind: 'compliance.escalate'; dedupeKey: string; payload: { runId: number; reason: 'missed' | 'problem' | 'failed' } }
  | { kind: 'compliance.resolve-page'; dedupeKey: string; payload: { runId: number } }
  | { kind: 'compliance.digest'; dedupeKey: string; payload: { date: string } };

export type WorkKind = WorkItem['kind'];

/** Progress of the war-room setup, recorded step by step so a retry resumes where it stopped. */
export interface WarRoomState {
  originChannel: string | null;
  channelName: string | null;
  channelId: string | null;
  topicSet: boolean;
  invited: boolean;
  headerTs: string | null;
  pinned: boolean;
  announceChannelId: string | null;
  announceTs: string | null;
  readyAt: Date | null;
  failedAt: Date | null;
  renderedVersion: number;
}

export interface NewIncident {
  requestKey: string;
  title: string;
  severity: string;
  customerImpact: string | null;
  service: string | null;
  isPrivate: boolean;
  declarer: Declarer;
  declaredAt: Date;
  originChannel: string | null;
}

/** A wake-up in Redis. The deadline itself lives in Postgres; the timer only wakes a worker. */
export type TimerSpec =
  | { kind: 'esc-step'; stepId: number; at: Date }
  | { kind: 'nudge'; incidentId: number; seq: number; at: Date }
  | { kind: 'reg-reminder'; incidentId: number; at: Date }
  | { kind: 'cmp-open' | 'cmp-warn' | 'cmp-due'; runId: number; at: Date }
  | { kind: 'cmp-digest'; date: string; at: Date }
  | { kind: 'cmp-plan'; at: Date };

/** A channel named in the policy (`channels.*`). */
export type PolicyChannel = 'announcements' | 'compliance' | 'approvals';

export interface Timers {
  wake(specs: TimerSpec[]): Promise<void>;
}

/** What operators graph (Prometheus in production). */
export interface Metrics {
  timerLateness(kind: TimerSpec['kind'], ms: number): void;
  page(result: 'sent' | 'failed' | 'retried'): void;
  sms(result: 'sent' | 'failed' | 'retried'): void;
  nudge(): void;
  failure(kind: string): void;
  /** Time from receiving a Slack request to acknowledging it. */
  ack(kind: string, ms: number): void;
}

export type StepStatus = 'pending' | 'claimed' | 'sent' | 'partial' | 'failed' | 'skipped' | 'cancelled';

export interface StepRow {
  id: number;
  incidentId: number;
  generation: number;
  stepIndex: number;
  severity: string;
  dueAt: Date;
  always: boolean;
  actions: EscalationAction[];
  status: StepStatus;
  claimedAt: Date | null;
  firedAt: Date | null;
  latenessMs: number | null;
}

export interface ChecklistItemState {
  id: string;
  title: string;
  owners: string[];
  doneBy: string | null;
  doneAt: string | null;
}

export interface Checklist {
  incidentId: number;
  dueAt: Date;
  items: ChecklistItemState[];
  channelId: string | null;
  ts: string | null;
  remindedAt: Date | null;
  completedAt: Date | null;
}

/** One Postgres transaction: reads lock, writes, audit and enqueued work commit together. */
export interface IncidentTx {
  insertSteps(incidentId: number, generation: number, severity: string, steps: PlannedStep[]): Promise<StepRow[]>;
  /** Cancels pending steps of older generations (after acknowledge, severity change, resolve). */
  cancelStaleSteps(incidentId: number, currentGeneration: number): Promise<StepRow[]>;
  lockStep(stepId: number): Promise<StepRow | null>;
  updateStep(stepId: number, patch: Partial<Pick<StepRow, 'status' | 'claimedAt' | 'firedAt' | 'latenessMs'>> & { outcome?: unknown; doneAt?: Date }): Promise<void>;
  /** Schedules a wake-up once the transaction commits. */
  wake(timer: TimerSpec): void;
  insertChecklist(c: Omit<Checklist, 'channelId' | 'ts' | 'remindedAt' | 'completedAt'>): Promise<boolean>;
  lockChecklist(incidentId: number): Promise<Checklist | null>;
  saveChecklist(c: Checklist): Promise<void>;
  /** Inserts unless `requestKey` was seen; then returns the incident it declared. */
  insertIncident(draft: NewIncident): Promise<{ incident: Incident; created: boolean }>;
  /** Locks the incident row until commit (concurrent role clicks serialize here). */
  lockIncident(id: number): Promise<Incident | null>;
  lockIncidentByChannel(channelId: string): Promise<Incident | null>;
  saveIncident(incident: Incident): Promise<void>;
  audit(entry: AuditEntry): Promise<number>;
  enqueue(item: WorkItem): Promise<void>;
}

export interface IncidentStore {
  transaction<T>(fn: (tx: IncidentTx) => Promise<T>): Promise<T>;
  get(id: number): Promise<Incident | null>;
  findByChannel(channelId: string): Promise<Incident | null>;
  warRoom(id: number): Promise<WarRoomState | null>;
  /** Records the channel and queues the rest of the setup, in one transaction. */
  channelCreated(id: number, channelId: string, channelName: string, next: WorkItem): Promise<void>;
  /** Incidents still waiting for their channel, oldest first. */
  waitingForChannel(): Promise<Array<{ id: number; declarer: Declarer }>>;
  /** Queues work outside a change (e.g. telling a declarer about a delay); deduplicated. */
  enqueue(item: WorkItem): Promise<void>;
  /** Records setup progress; with `audit`, the event is appended in the same transaction. */
  recordWarRoom(id: number, patch: Partial<WarRoomState>, audit?: AuditEntry): Promise<void>;
  timeline(incidentId: number): Promise<AuditView[]>;
  /**
   * Runs `fn` while holding the incident's view lock, so re-renders of one incident never
   * overtake each other (a slow older render cannot overwrite a newer card).
   */
  exclusive<T>(incidentId: number, fn: () => Promise<T>): Promise<T>;
  /** Appends an audit event on its own (for things that happen outside a change, e.g. a failure). */
  audit(entry: AuditEntry): Promise<void>;
  step(stepId: number): Promise<StepRow | null>;
  /** Whether this recipient was already reached (or refused for good) by this step. */
  delivered(stepId: number, channel: string, recipient: string): Promise<boolean>;
  recordDelivery(stepId: number, channel: string, recipient: string, status: 'sent' | 'failed', detail?: string): Promise<void>;
  /** Steps whose timer may be missing: pending ones of the current generation, and claims older than `staleClaimBefore`. */
  stepsToWake(staleClaimBefore: Date): Promise<StepRow[]>;
  /** Open incidents with a status nudge due. */
  nudgesToWake(): Promise<Array<{ incidentId: number; seq: number; at: Date }>>;
  checklistsToWake(): Promise<Array<{ incidentId: number; at: Date }>>;
  checklist(incidentId: number): Promise<Checklist | null>;
  recordChecklistCard(incidentId: number, channelId: string, ts: string): Promise<void>;
}

/** What the war room looks like, independent of Block Kit. */
export interface IncidentView {
  incident: Incident;
  ref: string;
  channelId: string | null;
  channelName: string | null;
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
  postNotice(target: { channelId: string } | { policyChannel: PolicyChannel }, text: string, key: PostKey): Promise<void>;
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

/** A deploy request as the approval card shows it. */
export interface DeployRequestView {
  request: DeployRequest;
  approverGroups: string[];
  commander: string | null;
  zone: string;
}

export type DeployRequestStatus = 'pending' | 'approved' | 'denied';

export interface DeployRequest {
  id: number;
  type: DeployType;
  service: string;
  summary: string;
  requestedBy: string;
  requestedAt: Date;
  forAt: Date;
  session: string;
  risk: string;
  windowName: string;
  windowEnds: Date;
  capacities: Capacity[];
  grants: Array<Grant & { at: string }>;
  freezeIncidentId: number | null;
  status: DeployRequestStatus;
  decidedBy: string | null;
  decidedAt: Date | null;
  validFrom: Date | null;
  expiresAt: Date | null;
  cardChannelId: string | null;
  cardTs: string | null;
}

export type NewDeployRequest = Omit<DeployRequest, 'id' | 'grants' | 'status' | 'decidedBy' | 'decidedAt' | 'validFrom' | 'expiresAt' | 'cardChannelId' | 'cardTs'>;

export interface DeployTx {
  insertRequest(r: NewDeployRequest): Promise<DeployRequest>;
  lockRequest(id: number): Promise<DeployRequest | null>;
  saveRequest(r: DeployRequest): Promise<void>;
  audit(entry: AuditEntry): Promise<number>;
  enqueue(item: WorkItem): Promise<void>;
}

export interface DeployStore {
  transaction<T>(fn: (tx: DeployTx) => Promise<T>): Promise<T>;
  /** Open incidents of the given severities: what freezes deploys. */
  freezes(severities: string[]): Promise<Freeze[]>;
  /** Approvals for this service and type that are valid at `at`. */
  grantsAt(service: string, type: DeployType, at: Date): Promise<{ grants: Grant[]; requestId: number | null }>;
  get(id: number): Promise<DeployRequest | null>;
  recordCard(id: number, channelId: string, ts: string): Promise<void>;
  audit(entry: AuditEntry): Promise<void>;
  /** Runs `fn` holding the request's render lock. */
  exclusive<T>(requestId: number, fn: () => Promise<T>): Promise<T>;
}

export class TransientError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'TransientError';
  }
}

export class PermanentError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PermanentError';
  }
}

export interface ComplianceRun {
  id: number;
  taskId: string;
  date: string;
  opensAt: Date;
  warnAt: Date;
  dueAt: Date;
  status: RunState;
  openedAt: Date | null;
  warnedAt: Date | null;
  missedAt: Date | null;
  doneAt: Date | null;
  doneBy: string | null;
  evidence: string | null;
  note: string | null;
  problemAt: Date | null;
  problemNote: string | null;
  channelId: string | null;
  cardTs: string | null;
}

export interface ComplianceRunView {
  run: ComplianceRun;
  task: ComplianceTask;
  ownerMention: string;
  zone: string;
  /** How late the card was posted (the bot was down at opening time), in ms. */
  postedLateMs: number;
}

export interface ComplianceTx {
  lockRun(id: number): Promise<ComplianceRun | null>;
  saveRun(run: ComplianceRun): Promise<void>;
  audit(entry: AuditEntry): Promise<number>;
  enqueue(item: WorkItem): Promise<void>;
  wake(timer: TimerSpec): void;
  /** Claims the day's digest; false when it was already posted. */
  claimDigest(date: string, at: Date): Promise<boolean>;
}

export interface ComplianceStore {
  transaction<T>(fn: (tx: ComplianceTx) => Promise<T>): Promise<T>;
  /** Inserts the planned runs and digests that do not exist yet; returns the new runs. */
  materialize(runs: PlannedRun[], digests: Array<{ date: string; dueAt: Date }>): Promise<ComplianceRun[]>;
  /** Runs still expecting an open, warn or due timer. */
  liveRuns(): Promise<ComplianceRun[]>;
  pendingDigests(): Promise<Array<{ date: string; dueAt: Date }>>;
  get(id: number): Promise<ComplianceRun | null>;
  find(taskId: string, date: string): Promise<ComplianceRun | null>;
  runsOn(date: string): Promise<ComplianceRun[]>;
  lastRuns(taskId: string, n: number): Promise<ComplianceRun[]>;
  recordCard(id: number, channelId: string, ts: string): Promise<void>;
  audit(entry: AuditEntry): Promise<void>;
}
