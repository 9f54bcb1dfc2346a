import type { TimerSpec } from '../jobs/catalog.js';

/** Wakes workers at deadlines Postgres holds (BullMQ delayed jobs in production). */
export interface Timers {
  wake(specs: TimerSpec[]): Promise<void>;
}
