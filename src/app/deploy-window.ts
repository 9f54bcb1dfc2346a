import { DateTime } from 'luxon';
import { DomainError, ForbiddenError } from '../domain/errors.js';
import { incidentRef } from '../domain/incident.js';
import { sessionLabel, type Capacity, type DeployDecision, type DeployRules, type DeployType, DEPLOY_TYPES } from '../domain/deploy-rules.js';
import type { MarketCalendar } from '../domain/market-calendar.js';
import type { Policy } from '../domain/policy.js';
import type { Logger } from './ports/logger.js';
import { esc, mention } from './messages.js';
import type { ChatPlatform } from './ports/chat.js';
import type { Clock } from './ports/clock.js';
import type { DeployRequest, DeployStore } from './ports/deploy-store.js';
import type { Metrics } from './ports/metrics.js';

export interface DeployDeps {
  deploys: DeployStore;
  chat: ChatPlatform;
  policy: Policy;
  rules: DeployRules;
  calendar: MarketCalendar;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
}

/** The one answer both `/deploy-window` and the HTTP gate give. */
export async function checkDeployWindow(deps: DeployDeps, q: { type: DeployType; at: DateTime; service: string | null }): Promise<DeployDecision & { requestId: number | null }> {
  const severities = deps.policy.deploy.freezeSeverities;
  const { freezes, grants, requestId } = q.service
    ? await deps.deploys.gateFacts(severities, q.service, q.type, q.at.toJSDate())
    : { freezes: await deps.deploys.freezes(severities), grants: [], requestId: null };
  return { ...deps.rules.evaluate({ at: q.at, type: q.type, freezes, grants }), requestId };
}

const zoned = (deps: DeployDeps, t: DateTime | Date) => (t instanceof Date ? DateTime.fromJSDate(t) : t).setZone(deps.policy.timezone);

/** `today 17:00 ET`, `tomorrow 09:30 ET`, `Mon 30 Nov 20:00 ET`. */
export function relativeTime(deps: DeployDeps, t: DateTime | Date, now: DateTime): string {
  const a = zoned(deps, t);
  const n = zoned(deps, now);
  const days = Math.round(a.startOf('day').diff(n.startOf('day'), 'days').days);
  const day = days === 0 ? 'today' : days === 1 ? 'tomorrow' : a.toFormat('ccc d LLL');
  return `${day} ${a.toFormat('HH:mm')} ET`;
}

const NEED: Record<string, string> = {
  auto: ':white_check_mark: auto-approved',
  'engineering-lead': ':hourglass: needs engineering-lead approval',
  cto: ':hourglass: needs CTO approval',
  forbidden: ':no_entry: forbidden',
};

function needText(d: DeployDecision): string {
  const base = NEED[d.approval]!;
  if (!d.needsCommander) return base;
  return d.approval === 'auto' ? `:hourglass: needs the IC of ${incidentRef(d.freeze!.incidentId)}` : `${base} + the IC of ${incidentRef(d.freeze!.incidentId)}`;
}

function freezeLine(d: DeployDecision): string {
  if (!d.freeze) return '*Freeze:* none';
  const f = d.freeze;
  const room = f.channelId ? ` in <#${f.channelId}>` : '';
  const ic = f.commander ? ` (IC ${mention(f.commander)})` : '';
  return `*Freeze:* :no_entry: ${incidentRef(f.incidentId)} (${f.severity.toUpperCase()}) is open${room}${ic} — non-critical and standard releases are forbidden; emergency also needs the IC`;
}

/** `/deploy-window`: the session, what each type needs, any freeze, the next auto window, today. */
export async function deployOverview(deps: DeployDeps, at: DateTime, explicit: boolean): Promise<string> {
  const decisions = await Promise.all(DEPLOY_TYPES.map((type) => checkDeployWindow(deps, { type, at, service: null })));
  const std = decisions[1]!;
  const session = std.session;
  const when = zoned(deps, at);
  const where = session.kind === 'holiday' ? `Holiday — ${deps.calendar.holidayName(when.toISODate()!) ?? 'market closed'}` : sessionLabel(session.kind);
  const nextAuto = std.nextAutoWindow;
  const lines = [
    `*Market ${explicit ? `at ${when.toFormat('ccc d LLL HH:mm')} ET` : 'now'}:* ${where} (${std.window.name}, risk ${std.risk}) — ${sessionLabel(session.kind).toLowerCase()} ends ${relativeTime(deps, session.end, when)}`,
    '*Deploys:*',
    ...decisions.map((d) => `• \`${d.type}\`: ${needText(d)}`),
    freezeLine(std),
    `*Next auto-approved window for \`standard\`:* ${nextAuto ? (nextAuto <= when ? 'now' : relativeTime(deps, nextAuto, when)) : 'none within 14 days'}${std.freeze ? ' (once the freeze lifts)' : ''}`,
    scheduleLine(deps, when),
  ];
  return lines.join('\n');
}

function scheduleLine(deps: DeployDeps, when: DateTime): string {
  const date = when.toISODate()!;
  const day = deps.calendar.schedule(date);
  const label = when.toFormat('ccc d LLL');
  if (!day.tradingDay) {
    const why = day.holidayName ? `NYSE closed (${day.holidayName})` : 'no trading (weekend)';
    const next = deps.calendar.nextTradingDay(date);
    return `*${label}:* ${why}; next trading day ${DateTime.fromISO(next).toFormat('ccc d LLL')}`;
  }
  const sessions = day.sessions.map((s) => `${s.kind} ${s.start.toFormat('HH:mm')}–${s.end.toFormat('HH:mm')}`).join(' · ');
  return `*${label}${day.earlyClose ? ' (early close 13:00)' : ''}:* ${sessions}`;
}

/** `/deploy-window <type> [at <time>]`. */
export async function deployCheckText(deps: DeployDeps, type: DeployType, at: DateTime): Promise<string> {
  const d = await checkDeployWindow(deps, { type, at, service: null });
  const when = zoned(deps, at);
  const lines = [`*\`${type}\` at ${when.toFormat('ccc d LLL HH:mm')} ET:* ${needText(d)} — ${esc(d.reason)}. Risk: ${d.risk}.`];
  if (d.freeze) lines.push(freezeLine(d));
  if (d.approval !== 'auto' || d.needsCommander) {
    const next = d.nextAutoWindow;
    const text = !next ? 'none within 14 days' : next <= when ? 'the rules allow it now' : relativeTime(deps, next, when);
    lines.push(`Next auto-approved window: ${text}${d.freeze ? ', once the freeze lifts' : ''}.`);
  }
  if (d.approval === 'forbidden' && d.freeze) {
    lines.push(`It can be requested once ${incidentRef(d.freeze.incidentId)} is resolved.`);
  } else if (d.approval === 'forbidden') {
    const opens = deps.rules.nextPermitted(type, at);
    lines.push(`It can be requested from ${opens ? relativeTime(deps, opens, when) : 'no time within 14 days'}.`);
  } else if (d.approval !== 'auto' || d.needsCommander) {
    lines.push(`Ask for approval: \`/deploy-window request ${type} <service> <change summary>\``);
  }
  return lines.join('\n');
}

/**
 * `/deploy-window request …`: records a request and posts the approval card where approval is
 * needed. A forbidden slot cannot be requested; an auto-approved one needs no request.
 */
export async function requestDeploy(
  deps: DeployDeps,
  r: { type: DeployType; service: string; at: DateTime; summary: string; requestedBy: string },
): Promise<{ request: DeployRequest | null; message: string }> {
  const d = await checkDeployWindow(deps, { type: r.type, at: r.at, service: null });
  const when = zoned(deps, r.at);
  if (d.approval === 'forbidden') {
    const opens = d.freeze ? null : deps.rules.nextPermitted(r.type, r.at);
    const after = d.freeze ? `until ${incidentRef(d.freeze.incidentId)} is resolved` : opens ? `it opens ${relativeTime(deps, opens, when)}` : 'no window opens within 14 days';
    throw new DomainError('deploy_forbidden', `${d.reason}. It cannot be requested for ${when.toFormat('ccc d LLL HH:mm')} ET; ${after}.`);
  }
  const capacities = deps.rules.capacitiesNeeded(d);
  if (capacities.length === 0) {
    return { request: null, message: `No approval needed: ${esc(d.reason)}. Go ahead.` };
  }
  const request = await deps.deploys.transaction(async (tx) => {
    const req = await tx.insertRequest({
      type: r.type,
      service: r.service,
      summary: r.summary,
      requestedBy: r.requestedBy,
      requestedAt: deps.clock.now(),
      forAt: r.at.toJSDate(),
      session: d.session.kind,
      risk: d.risk,
      windowName: d.window.name,
      windowEnds: d.windowEnds.toJSDate(),
      capacities,
      freezeIncidentId: d.needsCommander ? d.freeze!.incidentId : null,
    });
    await tx.audit({
      actor: r.requestedBy,
      action: 'deploy.requested',
      incidentId: req.freezeIncidentId,
      subject: `DEP-${req.id}`,
      data: { type: r.type, service: r.service, summary: r.summary, for: r.at.toISO(), needs: capacities, session: d.session.kind, risk: d.risk },
    });
    await tx.enqueue({ kind: 'deploy.card', dedupeKey: `deploy-card-${req.id}-v0`, payload: { requestId: req.id } });
    return req;
  });
  const needs = capacities.map((c) => (c === 'incident-commander' ? `the IC of ${incidentRef(d.freeze!.incidentId)}` : c)).join(' and ');
  return { request, message: `Deploy request DEP-${request.id} (\`${r.type}\` · \`${esc(r.service)}\`) sent to #${deps.policy.channels.approvals} for ${needs} approval. I'll tell you when it is decided.` };
}

/** Which capacity `userId` can approve in; null when none. */
async function capacityOf(deps: DeployDeps, req: DeployRequest, userId: string): Promise<Capacity | null> {
  const open = req.capacities.filter((c) => !req.grants.some((g) => g.capacity === c));
  for (const c of open) {
    if (c === 'incident-commander') {
      const freeze = (await deps.deploys.freezes(deps.policy.deploy.freezeSeverities)).find((f) => f.incidentId === req.freezeIncidentId);
      if (freeze?.commander === userId) return c;
    } else if (await deps.chat.isGroupMember(deps.policy.deploy.approverGroups[c], userId)) {
      return c;
    }
  }
  return null;
}

function who(deps: DeployDeps, req: DeployRequest): string {
  return req.capacities.map((c) => (c === 'incident-commander' ? `the IC of ${incidentRef(req.freezeIncidentId ?? 0)}` : `@${deps.policy.deploy.approverGroups[c]}`)).join(' and ');
}

/**
 * Approve or deny. Only members of the approver group (or the freezing incident's IC) may decide,
 * never the requester; every refusal is audited. Approval lasts until the window ends, at most the
 * policy's maximum.
 */
export async function decideDeploy(deps: DeployDeps, d: { requestId: number; approve: boolean; by: string }): Promise<string> {
  const current = await deps.deploys.get(d.requestId);
  if (!current) throw new DomainError('unknown_request', `DEP-${d.requestId} does not exist.`);
  const refuse = async (reason: string) => {
    await deps.deploys.audit({ actor: d.by, action: 'deploy.decision_refused', incidentId: current.freezeIncidentId, subject: `DEP-${current.id}`, data: { reason, approve: d.approve } });
    throw new ForbiddenError(reason);
  };
  if (current.status !== 'pending') return `DEP-${current.id} was already ${current.status} by ${current.decidedBy ? mention(current.decidedBy) : 'someone'}.`;
  if (current.requestedBy === d.by) await refuse(`You requested DEP-${current.id}; someone else in ${who(deps, current)} must decide it.`);
  // Membership is a Slack call: made before taking the row lock.
  const capacity = await capacityOf(deps, current, d.by);
  if (!capacity) await refuse(`Only ${who(deps, current)} may decide DEP-${current.id}.`);

  return deps.deploys.transaction(async (tx) => {
    const req = (await tx.lockRequest(d.requestId))!;
    if (req.status !== 'pending') return `DEP-${req.id} was already ${req.status} by ${req.decidedBy ? mention(req.decidedBy) : 'someone'}.`;
    const now = deps.clock.now();
    if (req.windowEnds <= now) {
      req.status = 'denied';
      req.decidedBy = 'warroom';
      req.decidedAt = now;
      await tx.saveRequest(req);
      await tx.audit({ actor: 'warroom', action: 'deploy.expired', incidentId: req.freezeIncidentId, subject: `DEP-${req.id}`, data: { window_ended: req.windowEnds.toISOString() } });
      await tx.enqueue({ kind: 'deploy.card', dedupeKey: `deploy-card-${req.id}-expired`, payload: { requestId: req.id } });
      return `DEP-${req.id}'s window (${req.windowName}) has already ended; ask for a new one.`;
    }
    let result: string;
    if (!d.approve) {
      req.status = 'denied';
      req.decidedBy = d.by;
      req.decidedAt = now;
      result = 'denied';
    } else {
      req.grants.push({ capacity: capacity!, by: d.by, at: now.toISOString() });
      const complete = req.capacities.every((c) => req.grants.some((g) => g.capacity === c));
      if (complete) {
        req.status = 'approved';
        req.decidedBy = d.by;
        req.decidedAt = now;
        const validFrom = now > req.forAt ? now : req.forAt;
        const cap = new Date(validFrom.getTime() + deps.policy.deploy.maxApprovalMs);
        req.validFrom = validFrom;
        req.expiresAt = req.windowEnds < cap ? req.windowEnds : cap;
      }
      result = complete ? 'approved' : `approved as ${capacity} (waiting for the rest)`;
    }
    await tx.saveRequest(req);
    const seq = await tx.audit({
      actor: d.by,
      action: d.approve ? 'deploy.approved' : 'deploy.denied',
      incidentId: req.freezeIncidentId,
      subject: `DEP-${req.id}`,
      data: { capacity, status: req.status, expires_at: req.expiresAt?.toISOString() ?? null },
    });
    await tx.enqueue({ kind: 'deploy.card', dedupeKey: `deploy-card-${req.id}-${seq}`, payload: { requestId: req.id } });
    if (req.status !== 'pending') {
      const until = req.expiresAt ? ` Valid until ${relativeTime(deps, req.expiresAt, DateTime.fromJSDate(now))}.` : '';
      await tx.enqueue({
        kind: 'user.dm',
        dedupeKey: `deploy-dm-${req.id}-${seq}`,
        payload: { userId: req.requestedBy, text: `Your deploy request DEP-${req.id} (\`${req.type}\` · \`${esc(req.service)}\`) was *${req.status}* by ${mention(d.by)}.${until}` },
      });
    }
    return `DEP-${req.id} ${result}.`;
  });
}

/** Posts or re-renders the approval card from Postgres (a queued job). */
export async function renderDeployCard(deps: DeployDeps, requestId: number, retry: boolean): Promise<void> {
  // One render at a time per request: the first post and a decision's update must not both post.
  await deps.deploys.exclusive(requestId, () => renderLocked(deps, requestId, retry));
}

async function renderLocked(deps: DeployDeps, requestId: number, retry: boolean): Promise<void> {
  const req = await deps.deploys.get(requestId);
  if (!req) return;
  const freeze = req.freezeIncidentId ? (await deps.deploys.freezes(deps.policy.deploy.freezeSeverities)).find((f) => f.incidentId === req.freezeIncidentId) : null;
  const view = {
    request: req,
    approverGroups: req.capacities.filter((c): c is 'engineering-lead' | 'cto' => c !== 'incident-commander').map((c) => deps.policy.deploy.approverGroups[c]),
    commander: freeze?.commander ?? null,
    zone: deps.policy.timezone,
  };
  const existing = req.cardChannelId && req.cardTs ? { channelId: req.cardChannelId, ts: req.cardTs } : null;
  const posted = await deps.chat.showDeployRequest(view, { key: `deploy-card-${req.id}`, retry }, existing);
  if (!existing) await deps.deploys.recordCard(req.id, posted.channelId, posted.ts);
}
