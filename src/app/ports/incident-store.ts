import type { Declarer } from '../../domain/declarer.js';
import type { EscalationAction, PlannedStep } from '../../domain/escalation.js';
import type { Incident } from '../../domain/incident.js';
import type { TimerSpec, WorkItem } from '../jobs/catalog.js';
import type { AuditEntry, AuditView } from './audit.js';
import type { AlertCounts } from './chat.js';

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

/** One delivery of a PagerDuty webhook (v3), as kept: raw payload, what it was about, what it did. */
export interface PagerDutyWebhookRecord {
  webhookId: string;
  eventId: string;
  eventType: string;
  pdIncidentId: string | null;
  incidentKey: string | null;
  /** The warroom incident it matched, if any. */
  incidentId: number | null;
  outcome: string;
  payload: unknown;
  receivedAt: Date;
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
  /**
   * Keeps a PagerDuty webhook delivery; false when its webhook id was kept before (a redelivery).
   * A concurrent delivery of the same id waits here for the first one's commit.
   */
  recordPagerDutyWebhook(record: PagerDutyWebhookRecord): Promise<boolean>;
  setPagerDutyWebhookOutcome(webhookId: string, outcome: string): Promise<void>;
}

export interface IncidentStore {
  transaction<T>(fn: (tx: IncidentTx) => Promise<T>): Promise<T>;
  get(id: number): Promise<Incident | null>;
  findByChannel(channelId: string): Promise<Incident | null>;
  warRoom(id: number): Promise<WarRoomState | null>;
  /** Firing / resolved of the alerts that joined the incident (the latest record of each). */
  alertCounts(id: number): Promise<AlertCounts>;
  /** The incident, its war room and its alert counts, read together (one round trip). */
  snapshot(id: number): Promise<{ incident: Incident; state: WarRoomState; alerts: AlertCounts } | null>;
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
