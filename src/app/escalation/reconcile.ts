/** Rebuilds the escalation wake-ups Redis may have lost, from Postgres. */
import type { IncidentDeps } from '../deps.js';

/**
 * Postgres knows what must fire and when; Redis only holds wake-ups. Re-adds a wake-up for every
 * step, nudge and reminder still owed (existing job ids make this a no-op), then pings the
 * dead-man heartbeat so an outside monitor notices when this stops running.
 */
export async function reconcileTimers(deps: IncidentDeps): Promise<number> {
  const now = deps.clock.now();
  const steps = await deps.store.stepsToWake(new Date(now.getTime() - deps.staleClaimMs));
  const nudges = await deps.store.nudgesToWake();
  const reminders = await deps.store.checklistsToWake();
  await deps.timers.wake([
    ...steps.map((s) => ({ kind: 'esc-step' as const, stepId: s.id, at: s.dueAt })),
    ...nudges.map((n) => ({ kind: 'nudge' as const, incidentId: n.incidentId, seq: n.seq, at: n.at })),
    ...reminders.map((r) => ({ kind: 'reg-reminder' as const, incidentId: r.incidentId, at: new Date(r.at.getTime() - deps.policy.regulatory.remindBeforeMs) })),
  ]);
  if (deps.heartbeat) await deps.heartbeat().catch((err: Error) => deps.log.warn({ err: err.message }, 'heartbeat ping failed'));
  return steps.length + nudges.length + reminders.length;
}
