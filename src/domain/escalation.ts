import type { MarketCalendar, SessionKind } from './market-calendar.js';

export type PagerSeverity = 'critical' | 'error' | 'warning' | 'info';

/** What one escalation step does. Recipients are resolved when the step fires. */
export type EscalationAction =
  | { kind: 'page'; service: string }
  | { kind: 'sms'; contacts: string[]; groups: string[] }
  | { kind: 'notify'; users: string[]; groups: string[] }
  | { kind: 'regulatory' };

export interface EscalationStep {
  /** Offset from the start of the response clock. */
  afterMs: number;
  /** Fires even after someone responded (the Sev1 page at 0, the executives' notice). */
  always: boolean;
  actions: EscalationAction[];
}

export interface EscalationPolicy {
  steps: EscalationStep[];
  /** Sessions in which this severity pages nobody; its clock starts at the next staffed session. */
  quietSessions: SessionKind[];
  /** How often the IC should post `/incident status`; null for none. */
  statusEveryMs: number | null;
  pagerSeverity: PagerSeverity;
}

export interface PlannedStep {
  index: number;
  dueAt: Date;
  always: boolean;
  actions: EscalationAction[];
}

export interface LadderPlan {
  /** When the response clock starts: now, or the next staffed session. */
  clockStart: Date;
  /** The quiet session that deferred the clock, if any. */
  deferredFrom: SessionKind | null;
  steps: PlannedStep[];
}

/**
 * Plans a severity's ladder from `start` (declaration or severity change). Pure: the caller
 * stores the plan, and timers only wake the steps up.
 */
export function planLadder(policy: EscalationPolicy, start: Date, calendar: MarketCalendar): LadderPlan {
  let clockStart = start;
  let deferredFrom: SessionKind | null = null;
  if (policy.quietSessions.length) {
    let session = calendar.sessionAt(start);
    if (policy.quietSessions.includes(session.kind)) deferredFrom = session.kind;
    // Walk forward over quiet sessions (weekend → overnight → pre-market …) to the first staffed one.
    for (let i = 0; i < 64 && policy.quietSessions.includes(session.kind); i++) {
      clockStart = session.end.toJSDate();
      session = calendar.sessionAt(session.end);
    }
  }
  return {
    clockStart,
    deferredFrom,
    steps: policy.steps.map((s, index) => ({ index, dueAt: new Date(clockStart.getTime() + s.afterMs), always: s.always, actions: s.actions })),
  };
}

export type StepVerdict = 'fire' | 'skip-acknowledged' | 'stale';

/**
 * Decides, when a step's timer wakes, whether it still fires. The generation is the fencing
 * token: acknowledging, a severity change or resolving bumps it, so an old timer does nothing.
 */
export function judgeStep(step: { generation: number; always: boolean }, incident: { generation: number; open: boolean; acknowledged: boolean }): StepVerdict {
  if (!incident.open || step.generation !== incident.generation) return 'stale';
  if (incident.acknowledged && !step.always) return 'skip-acknowledged';
  return 'fire';
}

/** `5 min`, `1 h 30 min`, `45 s` for timeline lines. */
export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

export function describeAction(a: EscalationAction): string {
  switch (a.kind) {
    case 'page':
      return `page ${a.service}`;
    case 'sms':
      return `SMS to ${[...a.contacts, ...a.groups.map((g) => `@${g}`)].join(', ')}`;
    case 'notify':
      return `notify ${[...a.users.map((u) => `<@${u}>`), ...a.groups.map((g) => `@${g}`)].join(', ')}`;
    case 'regulatory':
      return 'open the regulatory checklist';
  }
}
