import type { z } from 'zod';
import { JobRejectedError } from '../../domain/errors.js';
import { TIMERS, WORK, type TimerSpec } from './catalog.js';
import type { StoredTimer, StoredWorkItem, TimerDef, WorkDef, WorkDeps } from './define.js';

export type { StoredTimer, StoredWorkItem, WorkDeps } from './define.js';

function issuesOf(error: z.ZodError): Array<{ path: string; code: string }> {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), code: i.code }));
}

function decodeWork(item: StoredWorkItem): { def: WorkDef; payload: unknown } {
  const def = (WORK as Record<string, WorkDef>)[item.kind];
  if (!def) throw new JobRejectedError('work', item.kind, [{ path: 'kind', code: 'unknown_kind' }]);
  const parsed = def.schema.safeParse(item.payload);
  if (!parsed.success) throw new JobRejectedError('work', item.kind, issuesOf(parsed.error));
  return { def, payload: parsed.data };
}

/**
 * Runs one queued work item. Every handler is idempotent: the queue delivers at least once.
 * A payload that does not match its kind's schema throws {@link JobRejectedError}: never run, never retried.
 */
export async function runWork(deps: WorkDeps, item: StoredWorkItem, attempt: number): Promise<void> {
  const { def, payload } = decodeWork(item);
  await def.run(deps, payload, { dedupeKey: item.dedupeKey, attempt, retry: attempt > 1 });
}

/** Called once when a work item has failed for good: audited, logged, and shown to a human where possible. */
export async function onWorkFailed(deps: WorkDeps, item: StoredWorkItem, err: unknown): Promise<void> {
  if (err instanceof JobRejectedError) return reportRejected(deps, item.dedupeKey, err);
  const error = err instanceof Error ? err.message : String(err);
  let decoded: { def: WorkDef; payload: unknown };
  try {
    decoded = decodeWork(item);
  } catch (rejected) {
    return reportRejected(deps, item.dedupeKey, rejected as JobRejectedError);
  }
  const { def, payload } = decoded;
  if (def.onFailed) return def.onFailed(deps, payload, { dedupeKey: item.dedupeKey, error });
  const inc = deps.incidents;
  inc.log.error({ kind: item.kind, key: item.dedupeKey, error }, 'work item failed permanently');
  if (def.countFailures) inc.metrics.failure(item.kind);
  await inc.store.audit({ actor: 'warroom', action: 'work.failed', incidentId: incidentIdOf(payload), subject: item.dedupeKey, data: { kind: item.kind, error } });
}

function decodeTimer(data: StoredTimer): { def: TimerDef; spec: TimerSpec } {
  const kind = typeof data.kind === 'string' ? data.kind : String(data.kind);
  const def = (TIMERS as Record<string, TimerDef>)[kind];
  if (!def) throw new JobRejectedError('timers', kind, [{ path: 'kind', code: 'unknown_kind' }]);
  const { kind: _k, at, ...fields } = data;
  const issues = typeof at === 'number' && Number.isFinite(at) ? [] : [{ path: 'at', code: 'invalid_type' }];
  const parsed = def.schema.safeParse(fields);
  if (!parsed.success) issues.push(...issuesOf(parsed.error));
  if (issues.length || !parsed.success) throw new JobRejectedError('timers', kind, issues);
  return { def, spec: { ...(parsed.data as object), kind, at: new Date(at as number) } as TimerSpec };
}

/** A timer woke: the handlers re-read Postgres and act only if the deadline is still live. */
export async function runTimer(deps: WorkDeps, data: StoredTimer): Promise<void> {
  const { def, spec } = decodeTimer(data);
  await def.run(deps, spec as never);
}

/** A timer failed for good (a rejected payload, a DomainError): logged, audited, shown if rejected. */
export async function onTimerFailed(deps: WorkDeps, jobId: string, data: StoredTimer, err: unknown): Promise<void> {
  if (err instanceof JobRejectedError) return reportRejected(deps, jobId, err);
  const inc = deps.incidents;
  const error = err instanceof Error ? err.message : String(err);
  inc.log.error({ kind: data.kind, timer: jobId, error }, 'timer failed permanently');
  await inc.store.audit({ actor: 'warroom', action: 'timer.failed', incidentId: incidentIdOf(data), subject: jobId, data: { kind: String(data.kind), error } });
}

/**
 * A job whose payload is not what its kind declares (written by an older or newer version, or
 * edited by hand): logged, audited as `job.rejected` with the kind and where the payload is wrong
 * (never its values), and posted in the announcements channel for a human to look at.
 */
async function reportRejected(deps: WorkDeps, subject: string, err: JobRejectedError): Promise<void> {
  const inc = deps.incidents;
  inc.log.error({ queue: err.queue, kind: err.kind, job: subject, issues: err.issues }, 'job rejected: its payload does not match its kind');
  inc.metrics.failure('job_rejected');
  await inc.store.audit({ actor: 'warroom', action: 'job.rejected', incidentId: null, subject, data: { queue: err.queue, kind: err.kind, issues: err.issues } });
  const where = err.issues.map((i) => `\`${i.path || 'payload'}\` (${i.code})`).join(', ');
  const text = `:warning: A queued job was rejected and not run: \`${err.kind}\` (${subject}) has an invalid payload at ${where}. Nothing was retried; see \`job.rejected\` in the audit trail.`;
  await inc.chat.postNotice({ policyChannel: 'announcements' }, text, { key: `job-rejected-${subject}`, retry: false }).catch((e: unknown) => inc.log.error({ err: e, job: subject }, 'could not report a rejected job'));
}

function incidentIdOf(payload: unknown): number | null {
  const id = (payload as { incidentId?: unknown } | null)?.incidentId;
  return typeof id === 'number' && Number.isInteger(id) ? id : null;
}
