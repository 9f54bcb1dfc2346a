import type { z } from 'zod';
import type { IncidentDeps } from '../deps.js';
import type { DeployDeps } from '../deploy-window.js';
import type { ComplianceDeps } from '../compliance.js';
import type { AlertDeps } from '../alerts.js';

/** Everything a job handler may use; built once in the composition root. */
export interface WorkDeps {
  incidents: IncidentDeps;
  deploys: DeployDeps;
  compliance: ComplianceDeps;
  alerts: AlertDeps;
}

/** What a work handler knows about its run besides the payload. */
export interface WorkRun {
  dedupeKey: string;
  /** 1 on the first start; counts every start, including waits that were not failures. */
  attempt: number;
  /** An earlier start may have done (part of) the work: look before posting again. */
  retry: boolean;
}

/**
 * A work kind: work that must happen after a change commits (a Slack post, a page). Written to the
 * outbox in the change's transaction, then run by the queue at least once.
 */
export interface WorkDef<S extends z.ZodType = z.ZodType> {
  schema: S;
  run(deps: WorkDeps, payload: z.output<S>, job: WorkRun): Promise<void>;
  /**
   * Called once when the work failed for good, instead of the default (log, audit `work.failed`).
   * Use it to tell a human where the work would have shown.
   */
  onFailed?(deps: WorkDeps, payload: z.output<S>, job: { dedupeKey: string; error: string }): Promise<void>;
  /** `ordered`: its own queue, one at a time, paused as a whole by a 429 (channel creation). */
  lane?: 'ordered';
  /** Counts permanent failures in the `failures` metric under the kind's name. */
  countFailures?: boolean;
}

/** A timer kind: a wake-up in Redis. The deadline lives in Postgres; the handler re-reads it. */
export interface TimerDef<S extends z.ZodType = z.ZodType> {
  /** The fields besides `kind` and `at`. */
  schema: S;
  /** Deterministic, colon-free BullMQ job id: re-adding a wake-up that exists is a no-op. */
  id(timer: z.output<S> & { at: Date }): string;
  run(deps: WorkDeps, timer: z.output<S> & { at: Date }): Promise<void>;
}

export const defineWork = <S extends z.ZodType>(schema: S, def: Omit<WorkDef<S>, 'schema'>): WorkDef<S> => ({ schema, ...def });

export const defineTimer = <S extends z.ZodType>(schema: S, def: Omit<TimerDef<S>, 'schema'>): TimerDef<S> => ({ schema, ...def });

/** A work item as stored (a `work_items` row): not trusted until decoded against its kind. */
export interface StoredWorkItem {
  kind: string;
  dedupeKey: string;
  payload: unknown;
}

/** A timer's data as stored in Redis (the spec's fields, the instant as epoch ms): not trusted until decoded. */
export interface StoredTimer {
  kind?: unknown;
  at?: unknown;
  [field: string]: unknown;
}
