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
  settle(id: number, action: AlertOutcome, incidentId: number | null): Promise<void>;
  /**
   * The key of the war-room post that will list this incident's new alerts. Holds the incident's
   * post lock (shared) until commit, so a post never claims alerts before this batch is visible.
   */
  postKeyFor(incidentId: number): Promise<string>;
  /** The open incident of the group whose latest alert came at or after `since` (the rolling window). */
  openGroupIncident(groupKey: string, since: Date): Promise<number | null>;
  /** The most recently declared open incident of the service. */
  openIncidentOfService(service: string): Promise<number | null>;
  /** The incident the firing record of this alert joined. */
  firingRecord(source: string, dedupKey: string, occurrence: string): Promise<{ incidentId: number | null; groupKey: string; route: string } | null>;
  /** Alerts of the group in the incident whose latest record still fires, and how many it had in all. */
  groupState(incidentId: number, groupKey: string): Promise<{ firing: number; total: number }>;
  audit(entry: AuditEntry): Promise<number>;
  enqueue(item: WorkItem): Promise<void>;
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
}
