import type { StoredWorkItem } from '../jobs/define.js';

export interface StoredWork {
  id: number;
  item: StoredWorkItem;
  status: 'pending' | 'done' | 'failed';
  attempts: number;
}

/** The outbox's bookkeeping as the work queue needs it: Postgres says what is still owed. */
export interface WorkStore {
  /**
   * Counts a start of a pending item before its work runs and returns it with its starts so far
   * (`attempts`, 1 on the first); null when it is not pending (done, failed, unknown).
   */
  start(id: number): Promise<StoredWork | null>;
  attempted(id: number, error: string): Promise<void>;
  finish(id: number, status: 'done' | 'failed', error?: string): Promise<void>;
  /** Pending items created before `before`: what the reconciler re-offers to the queue. */
  pending(before: Date, filter?: { kinds?: string[] | undefined; excludeKinds?: string[] | undefined }, limit?: number): Promise<Array<{ id: number; item: StoredWorkItem }>>;
}
