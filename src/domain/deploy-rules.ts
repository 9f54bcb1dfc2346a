import { DateTime } from 'luxon';
import { DomainError } from './errors.js';
import { incidentRef } from './incident.js';
import type { MarketCalendar, Session, SessionKind } from './market-calendar.js';

export const DEPLOY_TYPES = ['non-critical', 'standard', 'emergency'] as const;
export type DeployType = (typeof DEPLOY_TYPES)[number];
export const APPROVALS = ['auto', 'engineering-lead', 'cto', 'forbidden'] as const;
export type Approval = (typeof APPROVALS)[number];
export type Risk = 'low' | 'medium' | 'high' | 'critical';
/** Who can grant what: an approval level, or the IC of the incident that froze deploys. */
export type Capacity = 'engineering-lead' | 'cto' | 'incident-commander';

export interface DeployWindowRule {
  name: string;
  sessions: SessionKind[];
  /** Local `HH:MM` bounds inside those sessions (the 09:20 pre-open freeze). */
  from: string | null;
  until: string | null;
  approvals: Record<DeployType, Approval>;
  risk: Risk;
}

export interface DeployPolicy {
  zone: string;
  windows: DeployWindowRule[];
  /** Slack user-group handle for each approval level. */
  approverGroups: { 'engineering-lead': string; cto: string };
  maxApprovalMs: number;
  freezeSeverities: string[];
}

/** An open incident that freezes deploys. */
export interface Freeze {
  incidentId: number;
  severity: string;
  channelId: string | null;
  commander: string | null;
}

export interface Grant {
  capacity: Capacity;
  by: string;
}

export interface DeployDecision {
  at: DateTime;
  session: Session;
  window: DeployWindowRule;
  type: DeployType;
  /** What the window's rule asks for this type (before any freeze). */
  ruleApproval: Approval;
  /** What it takes now: the rule's approval, or `forbidden` under a freeze. */
  approval: Approval;
  /** Under a freeze, an emergency also needs the incident's IC. */
  needsCommander: boolean;
  risk: Risk;
  freeze: Freeze | null;
  allowed: boolean;
  approvedBy: string[];
  reason: string;
  /** When this window's rule stops applying. */
  windowEnds: DateTime;
  nextAutoWindow: DateTime | null;
}

const HORIZON_DAYS = 14;
/** Minutes whose calendar facts are kept: a day's worth of distinct `at`s, a few hundred kB. */
const MINUTE_MEMO = 1440;

interface MinuteFacts {
  rule: DeployWindowRule;
  session: Session;
  /** Null when the rule holds to the 14-day horizon: then the end depends on the exact instant. */
  windowEnd: DateTime | null;
  nextAuto: Map<DeployType, DateTime>;
}
const RANK: Record<Approval, number> = { auto: 0, 'engineering-lead': 1, cto: 2, forbidden: 3 };

export function parseDeployType(text: string): DeployType {
  const t = text.trim().toLowerCase();
  if ((DEPLOY_TYPES as readonly string[]).includes(t)) return t as DeployType;
  throw new DomainError('unknown_deploy_type', `"${text}" is not a deploy type. Use ${DEPLOY_TYPES.join(', ')} — e.g. \`/deploy-window standard\`.`);
}

const SESSION_LABEL: Record<SessionKind, string> = {
  'pre-market': 'Pre-market',
  regular: 'Regular session',
  'after-hours': 'After-hours',
  overnight: 'Overnight',
  weekend: 'Weekend',
  holiday: 'Holiday',
  closed: 'Market closed',
};

export function sessionLabel(s: SessionKind): string {
  return SESSION_LABEL[s];
}

/**
 * The release rules: which window an instant falls in, what each deploy type needs there, and
 * when that changes. Pure; the calendar supplies sessions, the caller supplies freezes and grants.
 */
export class DeployRules {
  constructor(
    private readonly calendar: MarketCalendar,
    /** Checked by the policy's zod schema: formats, and every session covered to its end. */
    readonly policy: DeployPolicy,
  ) {}

  private zoned(at: Date | DateTime): DateTime {
    return (at instanceof Date ? DateTime.fromJSDate(at) : at).setZone(this.policy.zone);
  }

  windowAt(at: Date | DateTime): { rule: DeployWindowRule; session: Session } {
    const t = this.zoned(at);
    const session = this.calendar.sessionAt(t);
    const hhmm = t.toFormat('HH:mm');
    const rule = this.policy.windows.find((w) => w.sessions.includes(session.kind) && (!w.from || hhmm >= w.from) && (!w.until || hhmm < w.until));
    // The policy schema makes every session coverable; this guards a from/until gap.
    return { rule: rule ?? FORBID_ALL, session };
  }

  /** The next instant after `t` at which the window could change. */
  private nextChange(t: DateTime, session: Session): DateTime {
    let next = session.end;
    const cuts = new Set(this.policy.windows.flatMap((w) => [w.from, w.until]).filter((c): c is string => Boolean(c)));
    for (const day of [t.startOf('day'), t.startOf('day').plus({ days: 1 })]) {
      for (const cut of cuts) {
        const [h, m] = cut.split(':').map(Number) as [number, number];
        const at = DateTime.fromObject({ year: day.year, month: day.month, day: day.day, hour: h, minute: m }, { zone: this.policy.zone });
        if (at > t && at < next) next = at;
      }
    }
    return next;
  }

  /** Where the current window's rule stops applying (bounded by the horizon). */
  windowEnd(at: Date | DateTime): DateTime {
    let t = this.zoned(at);
    const { rule } = this.windowAt(t);
    const limit = t.plus({ days: HORIZON_DAYS });
    for (;;) {
      const next = this.nextChange(t, this.windowAt(t).session);
      if (next >= limit || this.windowAt(next).rule !== rule) return next < limit ? next : limit;
      t = next;
    }
  }

  /** When `type` is next auto-approved at or after `at` (ignoring freezes); null beyond 14 days. */
  nextAuto(type: DeployType, at: Date | DateTime): DateTime | null {
    return this.nextWhere(at, (rule) => rule.approvals[type] === 'auto');
  }

  /** When `type` is next not forbidden at or after `at`. */
  nextPermitted(type: DeployType, at: Date | DateTime): DateTime | null {
    return this.nextWhere(at, (rule) => rule.approvals[type] !== 'forbidden');
  }

  private nextWhere(at: Date | DateTime, ok: (rule: DeployWindowRule) => boolean): DateTime | null {
    let t = this.zoned(at);
    const limit = t.plus({ days: HORIZON_DAYS });
    while (t < limit) {
      const { rule, session } = this.windowAt(t);
      if (ok(rule)) return t;
      t = this.nextChange(t, session);
    }
    return null;
  }

  /**
   * The calendar half of an answer for the minute holding `at`. Sessions and window cuts fall on
   * whole minutes, so every instant of a minute has the same rule, session and window end, and
   * the same next auto window when the rule is not auto itself; walking the calendar (luxon,
   * 14 days ahead) costs about a millisecond, and a fleet of pipelines asks the same minute.
   */
  private minute(at: DateTime): MinuteFacts {
    const m = Math.floor(at.toMillis() / 60_000);
    let facts = this.minutes.get(m);
    if (!facts) {
      const start = DateTime.fromMillis(m * 60_000, { zone: this.policy.zone });
      const limit = start.plus({ days: HORIZON_DAYS });
      const { rule, session } = this.windowAt(start);
      const end = this.windowEnd(start);
      facts = { rule, session, windowEnd: end < limit ? end : null, nextAuto: new Map() };
      if (this.minutes.size >= MINUTE_MEMO) this.minutes.delete(this.minutes.keys().next().value!);
      this.minutes.set(m, facts);
    }
    return facts;
  }

  private readonly minutes = new Map<number, MinuteFacts>();

  evaluate(input: { at: Date | DateTime; type: DeployType; freezes: Freeze[]; grants?: Grant[] }): DeployDecision {
    const at = this.zoned(input.at);
    const facts = this.minute(at);
    const { rule, session } = facts;
    const ruleApproval = rule.approvals[input.type];
    const freeze = input.freezes.find((f) => this.policy.freezeSeverities.includes(f.severity)) ?? null;
    const approval: Approval = freeze && input.type !== 'emergency' ? 'forbidden' : ruleApproval;
    const needsCommander = Boolean(freeze && input.type === 'emergency' && approval !== 'forbidden');
    const grants = input.grants ?? [];
    const levelOk = approval === 'auto' || (approval !== 'forbidden' && grants.some((g) => g.capacity !== 'incident-commander' && RANK[g.capacity] >= RANK[approval]));
    const icOk = !needsCommander || grants.some((g) => g.capacity === 'incident-commander');
    const allowed = approval !== 'forbidden' && levelOk && icOk;
    let nextAutoWindow: DateTime | null;
    if (rule.approvals[input.type] === 'auto') nextAutoWindow = at;
    else {
      // From later in the same minute the next change is the same instant; only "none within
      // 14 days" depends on the exact instant, so that answer is not kept.
      const known = facts.nextAuto.get(input.type);
      nextAutoWindow = known ?? this.nextAuto(input.type, at);
      if (known === undefined && nextAutoWindow) facts.nextAuto.set(input.type, nextAutoWindow);
    }
    const where = session.kind === 'holiday' ? `Holiday (${this.calendar.holidayName(at.toISODate()!) ?? 'market closed'})` : sessionLabel(session.kind);
    let reason: string;
    if (freeze && input.type !== 'emergency') {
      reason = `Freeze: ${incidentRef(freeze.incidentId)} (${freeze.severity.toUpperCase()}) is open; ${input.type} releases are forbidden until it is resolved`;
    } else if (approval === 'forbidden') {
      reason = `${where}: ${input.type} releases are forbidden (${rule.name})`;
    } else if (approval === 'auto' && !needsCommander) {
      reason = `${where}: ${input.type} releases are auto-approved`;
    } else {
      const needs = [approval !== 'auto' ? `${approval} approval` : null, needsCommander ? `the approval of ${incidentRef(freeze!.incidentId)}'s Incident Commander` : null].filter(Boolean).join(' and ');
      reason = `${where}: ${input.type} releases need ${needs}${allowed ? ' — approved' : ''}`;
    }
    return {
      at,
      session,
      window: rule,
      type: input.type,
      ruleApproval,
      approval,
      needsCommander,
      risk: rule.risk,
      freeze,
      allowed,
      approvedBy: allowed ? grants.map((g) => g.by) : [],
      reason,
      windowEnds: facts.windowEnd ?? this.windowEnd(at),
      nextAutoWindow,
    };
  }

  /** The capacities a request needs: the approval level, and the IC under a freeze. */
  capacitiesNeeded(decision: DeployDecision): Capacity[] {
    const out: Capacity[] = [];
    if (decision.approval === 'engineering-lead' || decision.approval === 'cto') out.push(decision.approval);
    if (decision.needsCommander) out.push('incident-commander');
    return out;
  }

  /** An approval lasts until its window ends, and never longer than the policy's maximum. */
  approvalExpiry(windowStart: DateTime, decision: DeployDecision): DateTime {
    const cap = windowStart.plus({ milliseconds: this.policy.maxApprovalMs });
    return decision.windowEnds < cap ? decision.windowEnds : cap;
  }
}

const FORBID_ALL: DeployWindowRule = {
  name: 'no rule covers this time',
  sessions: [],
  from: null,
  until: null,
  approvals: { 'non-critical': 'forbidden', standard: 'forbidden', emergency: 'forbidden' },
  risk: 'critical',
};
