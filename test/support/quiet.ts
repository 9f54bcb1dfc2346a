import { parseDuration } from '../../src/domain/duration.js';
import type { Policy } from '../../src/domain/policy.js';
import { SHORT_QUEUE } from './harness.js';

/**
 * The only sleep the suite allows. Everything that should happen is awaited on state (Postgres,
 * what the fakes received); this proves that nothing MORE happens — no second page, no step after
 * an acknowledgement — for as long as it would take to happen. `ms` comes from a bound below
 * (derived from the policy and the queue settings), never from a literal at the call site.
 */
export async function nothingMoreWithin(ms: number, _what: string): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/**
 * How late a due timer may fire here: the reconciler's interval (it re-adds a lost wake-up) plus
 * one retry backoff. Past this, a step that was going to fire has fired.
 */
export const TIMER_GRACE_MS = SHORT_QUEUE.reconcileEveryMs + SHORT_QUEUE.backoffMs * 2;

/**
 * A sealing round of a handful of audit events takes a few milliseconds here; a sealer that could
 * go on (nothing held it back) has finished well within this.
 */
export const SEAL_ROUND_MS = 500;

/** When step `index` of a severity's ladder falls due after the response clock starts, in ms. */
export function stepDueMs(policy: Policy, severity: string, index: number): number {
  const step = ladder(policy, severity)[index];
  if (!step) throw new Error(`${severity} has no escalation step ${index}`);
  return step.afterMs;
}

function ladder(policy: Policy, severity: string) {
  const sev = policy.severities.find((s) => s.id === severity);
  if (!sev) throw new Error(`the policy has no ${severity}`);
  return sev.escalation.steps;
}

/** How long until every step of a severity's ladder would have fired, plus the grace. */
export function ladderSpanMs(policy: Policy, severity: string): number {
  return Math.max(0, ...ladder(policy, severity).map((s) => s.afterMs)) + TIMER_GRACE_MS;
}

/** A policy duration ('3s') in ms plus the timer grace: enough for a timer set to it to have fired. */
export function durationSpanMs(duration: string): number {
  return parseDuration(duration) + TIMER_GRACE_MS;
}
