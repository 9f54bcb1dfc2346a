import type { ComplianceTask, PlannedRun, RunState } from '../../domain/compliance-schedule.js';
import type { TimerSpec, WorkItem } from '../jobs/catalog.js';
import type { AuditEntry } from './audit.js';

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
