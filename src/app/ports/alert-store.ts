import type { Alert, AlertOutcome } from '../../domain/alerts.js';
import type { WorkItem } from '../jobs/catalog.js';
import type { AuditEntry } from './audit.js';

export interface NewAlertRecord {
  alert: Alert;
  receivedAt: Date;
  route: string;
  groupKey: string;
}

export interface AlertRow {
  id: number;
  source: string;
  dedupKey: string;
  status: 'firing' | 'resolved';
  title: string;
  severity: string;
  service: string | null;
  link: string | null;
  labels: Record<string, string>;
  receivedAt: Date;
  groupKey: string;
}

/** One Postgres transaction for a batch of alerts, and whatever they cause (a declaration joins it). */
export interface AlertTx {
  /** Holds the groups' locks until commit (sorted: concurrent batches never deadlock). Take them first. */
  lockGroups(groupKeys: string[]): Promise<void>;
  /** Records the alert unless (source, dedup key, status, occurrence) was seen: the row id, or null for a resend. */
  insert(rec: NewAlertRecord): Promise<number | null>;
  settle(id: number, action: AlertOutcome, incidentId: number | null, triageId?: number | null): Promise<void>;
  /**
   * The key of the war-room post that will list this incident's new alerts. Holds the incident's
   * post lock (shared) until commit, so a post never claims alerts before this batch is visible.
   */
  postKeyFor(incidentId: number): Promise<string>;
  /** The open incident of the group whose latest alert came at or after `since` (the rolling window). */
  openGroupIncident(groupKey: string, since: Date): Promise<number | null>;
  /** The most recently declared open incident of the service. */
  openIncidentOfService(service: string): Promise<number | null>;
  /**
   * The incident the firing record of this alert joined: of the records of `occurrence` and of its
   * phases (`<occurrence>/<phase>`, Datadog's Warn and No Data within a cycle), the latest that joined
   * one, else the latest.
   */
  firingRecord(source: string, dedupKey: string, occurrence: string): Promise<{ incidentId: number | null; triageId: number | null; groupKey: string; route: string } | null>;
  /**
   * The group's triage post that is still open or dismissed and whose latest alert came at or after
   * `since`: counts one more change and holds its row until commit (a render waits for this batch).
   */
  joinTriage(groupKey: string, since: Date, at: Date): Promise<TriageTouch | null>;
  openTriage(t: NewTriage): Promise<TriageTouch>;
  /** One more change to show on the triage post (a resolve of one of its alerts). */
  touchTriage(id: number): Promise<TriageTouch>;
  /** The triage post, its row held until commit (a decision), or null. */
  lockTriage(id: number): Promise<TriageRow | null>;
  /** Records the decision; declared/attached alerts join the incident. */
  decideTriage(id: number, d: { status: TriageDecision; incidentId: number | null; decidedBy: string; at: Date }): Promise<TriageTouch>;
  /** Alerts of the group in the incident whose latest record still fires, and how many it had in all. */
  groupState(incidentId: number, groupKey: string): Promise<{ firing: number; total: number }>;
  audit(entry: AuditEntry): Promise<number>;
  enqueue(item: WorkItem): Promise<void>;
}

export type TriageStatus = 'open' | 'declared' | 'attached' | 'dismissed';
export type TriageDecision = Exclude<TriageStatus, 'open'>;

export interface NewTriage {
  groupKey: string;
  route: string;
  channel: string;
  title: string;
  severity: string;
  service: string | null;
  at: Date;
}

export interface TriageRow extends Omit<NewTriage, 'at'> {
  id: number;
  status: TriageStatus;
  incidentId: number | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  createdAt: Date;
  lastAlertAt: Date;
  channelId: string | null;
  ts: string | null;
}

/** A change to a triage post: the key of the render that will show it (one pending render per post). */
export interface TriageTouch {
  id: number;
  status: TriageStatus;
  renderKey: string;
}

/** What a triage post shows, claimed by the render that shows it. */
export interface TriageSnapshot {
  triage: TriageRow;
  counts: { firing: number; resolved: number };
  /** The latest alerts, newest first. */
  recent: AlertRow[];
  total: number;
  /** Open incidents to attach to, newest first. */
  openIncidents: Array<{ id: number; title: string; severity: string }>;
}

export interface AlertStore {
  transaction<T>(fn: (tx: AlertTx) => Promise<T>): Promise<T>;
  /**
   * Claims for the post `key` the incident's alerts not yet listed (oldest first, at most `limit`),
   * waiting for batches still being written; a retry of the same post gets the same alerts.
   */
  claimForPost(incidentId: number, key: string, at: Date, limit: number): Promise<AlertRow[]>;
  /** The key the next post of the incident's alerts goes by (see AlertTx.postKeyFor). */
  nextPostKey(incidentId: number): Promise<string>;
  counts(incidentId: number): Promise<{ firing: number; resolved: number }>;
  /** When the incident's latest alert post claimed its alerts; null before the first. */
  lastPostAt(incidentId: number): Promise<Date | null>;
  /** As AlertTx.groupState, outside a batch (the auto-resolve job checks again). */
  groupState(incidentId: number, groupKey: string): Promise<{ firing: number; total: number }>;
  /** Marks the triage post's changes so far as shown and reads what to show (waits for batches writing it). */
  claimTriageRender(id: number): Promise<TriageSnapshot | null>;
  recordTriagePost(id: number, channelId: string, ts: string): Promise<void>;
  /** The incident the latest record of this alert joined, if any (a PagerDuty incident routed as an alert). */
  incidentOfAlert(source: string, dedupKey: string): Promise<number | null>;
  /** Without a lock: which group a triage post is (a decision takes the group's lock first). */
  triage(id: number): Promise<TriageRow | null>;
}
