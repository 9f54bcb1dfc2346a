var __defProp = Object.defineProperty;
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};

// src/server.ts
import { App, LogLevel as LogLevel2 } from "@slack/bolt";
import { WebClient } from "@slack/web-api";
import { Redis as Redis3 } from "ioredis";

// src/app/ports.ts
var systemClock = { now: () => /* @__PURE__ */ new Date() };
var TransientError = class extends Error {
  constructor(message, retryAfterMs2 = null) {
    super(message);
    this.retryAfterMs = retryAfterMs2;
    this.name = "TransientError";
  }
  retryAfterMs;
};
var PermanentError = class extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
    this.name = "PermanentError";
  }
  code;
};

// src/app/deploy-window.ts
import { DateTime as DateTime2 } from "luxon";

// src/domain/errors.ts
var DomainError = class extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
    this.name = "DomainError";
  }
  code;
};
var ForbiddenError = class extends DomainError {
  constructor(message) {
    super("forbidden", message);
    this.name = "ForbiddenError";
  }
};

// src/domain/policy.ts
var INCIDENT_COMMANDER = "incident_commander";
function severityById(policy, id) {
  return policy.severities.find((s) => s.id === id);
}
function roleById(policy, id) {
  return policy.roles.find((r) => r.id === id);
}
function severityRange(policy) {
  const ids = policy.severities.map((s) => s.id);
  return ids.length > 1 ? `${ids[0]}\u2013${ids[ids.length - 1]}` : ids[0] ?? "";
}

// src/domain/incident.ts
function respond(incident, by, at) {
  requireOpen(incident);
  if (incident.acknowledgedAt) return false;
  incident.acknowledgedAt = at;
  incident.acknowledgedBy = by;
  incident.responseMs = Math.max(0, at.getTime() - (incident.clockStart ?? incident.declaredAt).getTime());
  incident.generation += 1;
  incident.version += 1;
  return true;
}
var TITLE_MAX = 150;
var TEXT_MAX = 2e3;
function incidentRef(id) {
  return `INC-${id}`;
}
function cleanText(text3) {
  return text3.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, " ").replace(/\s+/g, " ").trim();
}
function validateTitle(raw) {
  const title = cleanText(raw);
  if (title === "") throw new DomainError("title_required", "An incident needs a title: say what is broken, e.g. `/incident sev2 Options quotes delayed`.");
  if ([...title].length > TITLE_MAX) {
    throw new DomainError("title_too_long", `The title is ${[...title].length} characters; keep it to ${TITLE_MAX} and put details in the customer impact or a status update.`);
  }
  return title;
}
function validateFreeText(raw, what, required) {
  const text3 = raw.replace(/\r\n?/g, "\n").replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "").trim();
  if (text3 === "") {
    if (required) throw new DomainError(`${what}_required`, `Please add the ${what.replace(/_/g, " ")} after the subcommand.`);
    return null;
  }
  if ([...text3].length > TEXT_MAX) throw new DomainError(`${what}_too_long`, `The ${what.replace(/_/g, " ")} is over ${TEXT_MAX} characters; shorten it.`);
  return text3;
}
function requireOpen(incident) {
  if (incident.status === "resolved") {
    throw new DomainError("incident_resolved", `${incidentRef(incident.id)} is already resolved; declare a new incident if the problem is back.`);
  }
}
function assignRole(policy, incident, role, userId, by, at) {
  requireOpen(incident);
  if (!roleById(policy, role)) throw new DomainError("unknown_role", `There is no role "${role}" in the policy.`);
  const previous = incident.roles[role]?.userId ?? null;
  if (previous === userId) return null;
  incident.roles[role] = { userId, assignedBy: by, assignedAt: at };
  incident.version += 1;
  return { role, previous, next: userId };
}
function commander(incident) {
  return incident.roles[INCIDENT_COMMANDER]?.userId ?? null;
}
function changeSeverity(incident, severity) {
  requireOpen(incident);
  if (incident.severity === severity) {
    throw new DomainError("same_severity", `${incidentRef(incident.id)} is already ${severity.toUpperCase()}.`);
  }
  const previous = incident.severity;
  incident.severity = severity;
  incident.generation += 1;
  incident.version += 1;
  return previous;
}
function postStatus(incident, text3, at) {
  requireOpen(incident);
  incident.lastStatus = text3;
  incident.lastStatusAt = at;
  incident.statusSeq += 1;
  incident.version += 1;
}
function resolve(incident, by, summary, at) {
  requireOpen(incident);
  incident.status = "resolved";
  incident.resolvedAt = at;
  incident.resolvedBy = by;
  incident.resolution = summary;
  incident.generation += 1;
  incident.version += 1;
}
var MAX_CHANNEL_NAME = 80;
function channelNameFor(id, title, suffix = 1) {
  const prefix = `inc-${id}`;
  const tail = suffix > 1 ? `-${suffix}` : "";
  const slug = title.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  const room = MAX_CHANNEL_NAME - prefix.length - tail.length - 1;
  let cut = slug.slice(0, room);
  if (cut.length < slug.length && cut.includes("-")) cut = cut.slice(0, cut.lastIndexOf("-"));
  cut = cut.replace(/-+$/, "");
  return cut ? `${prefix}-${cut}${tail}` : `${prefix}${tail}`;
}

// src/domain/deploy-rules.ts
import { DateTime } from "luxon";
var DEPLOY_TYPES = ["non-critical", "standard", "emergency"];
var HORIZON_DAYS = 14;
var RANK = { auto: 0, "engineering-lead": 1, cto: 2, forbidden: 3 };
function parseDeployType(text3) {
  const t = text3.trim().toLowerCase();
  if (DEPLOY_TYPES.includes(t)) return t;
  throw new DomainError("unknown_deploy_type", `"${text3}" is not a deploy type. Use ${DEPLOY_TYPES.join(", ")} \u2014 e.g. \`/deploy-window standard\`.`);
}
var SESSION_LABEL = {
  "pre-market": "Pre-market",
  regular: "Regular session",
  "after-hours": "After-hours",
  overnight: "Overnight",
  weekend: "Weekend",
  holiday: "Holiday",
  closed: "Market closed"
};
function sessionLabel(s) {
  return SESSION_LABEL[s];
}
var DeployRules = class {
  constructor(calendar, policy) {
    this.calendar = calendar;
    this.policy = policy;
    validateDeployPolicy(policy);
  }
  calendar;
  policy;
  zoned(at) {
    return (at instanceof Date ? DateTime.fromJSDate(at) : at).setZone(this.policy.zone);
  }
  windowAt(at) {
    const t = this.zoned(at);
    const session = this.calendar.sessionAt(t);
    const hhmm = t.toFormat("HH:mm");
    const rule = this.policy.windows.find((w) => w.sessions.includes(session.kind) && (!w.from || hhmm >= w.from) && (!w.until || hhmm < w.until));
    return { rule: rule ?? FORBID_ALL, session };
  }
  /** The next instant after `t` at which the window could change. */
  nextChange(t, session) {
    let next = session.end;
    const cuts = new Set(this.policy.windows.flatMap((w) => [w.from, w.until]).filter((c) => Boolean(c)));
    for (const day of [t.startOf("day"), t.startOf("day").plus({ days: 1 })]) {
      for (const cut of cuts) {
        const [h, m] = cut.split(":").map(Number);
        const at = DateTime.fromObject({ year: day.year, month: day.month, day: day.day, hour: h, minute: m }, { zone: this.policy.zone });
        if (at > t && at < next) next = at;
      }
    }
    return next;
  }
  /** Where the current window's rule stops applying (bounded by the horizon). */
  windowEnd(at) {
    let t = this.zoned(at);
    const { rule } = this.windowAt(t);
    const limit = t.plus({ days: HORIZON_DAYS });
    for (; ; ) {
      const next = this.nextChange(t, this.windowAt(t).session);
      if (next >= limit || this.windowAt(next).rule !== rule) return next < limit ? next : limit;
      t = next;
    }
  }
  /** When `type` is next auto-approved at or after `at` (ignoring freezes); null beyond 14 days. */
  nextAuto(type, at) {
    return this.nextWhere(at, (rule) => rule.approvals[type] === "auto");
  }
  /** When `type` is next not forbidden at or after `at`. */
  nextPermitted(type, at) {
    return this.nextWhere(at, (rule) => rule.approvals[type] !== "forbidden");
  }
  nextWhere(at, ok) {
    let t = this.zoned(at);
    const limit = t.plus({ days: HORIZON_DAYS });
    while (t < limit) {
      const { rule, session } = this.windowAt(t);
      if (ok(rule)) return t;
      t = this.nextChange(t, session);
    }
    return null;
  }
  evaluate(input) {
    const at = this.zoned(input.at);
    const { rule, session } = this.windowAt(at);
    const ruleApproval = rule.approvals[input.type];
    const freeze = input.freezes.find((f) => this.policy.freezeSeverities.includes(f.severity)) ?? null;
    const approval = freeze && input.type !== "emergency" ? "forbidden" : ruleApproval;
    const needsCommander = Boolean(freeze && input.type === "emergency" && approval !== "forbidden");
    const grants = input.grants ?? [];
    const levelOk = approval === "auto" || approval !== "forbidden" && grants.some((g) => g.capacity !== "incident-commander" && RANK[g.capacity] >= RANK[approval]);
    const icOk = !needsCommander || grants.some((g) => g.capacity === "incident-commander");
    const allowed = approval !== "forbidden" && levelOk && icOk;
    const nextAutoWindow = this.nextAuto(input.type, at);
    const where = session.kind === "holiday" ? `Holiday (${this.calendar.holidayName(at.toISODate()) ?? "market closed"})` : sessionLabel(session.kind);
    let reason;
    if (freeze && input.type !== "emergency") {
      reason = `Freeze: ${incidentRef(freeze.incidentId)} (${freeze.severity.toUpperCase()}) is open; ${input.type} releases are forbidden until it is resolved`;
    } else if (approval === "forbidden") {
      reason = `${where}: ${input.type} releases are forbidden (${rule.name})`;
    } else if (approval === "auto" && !needsCommander) {
      reason = `${where}: ${input.type} releases are auto-approved`;
    } else {
      const needs = [approval !== "auto" ? `${approval} approval` : null, needsCommander ? `the approval of ${incidentRef(freeze.incidentId)}'s Incident Commander` : null].filter(Boolean).join(" and ");
      reason = `${where}: ${input.type} releases need ${needs}${allowed ? " \u2014 approved" : ""}`;
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
      windowEnds: this.windowEnd(at),
      nextAutoWindow
    };
  }
  /** The capacities a request needs: the approval level, and the IC under a freeze. */
  capacitiesNeeded(decision) {
    const out = [];
    if (decision.approval === "engineering-lead" || decision.approval === "cto") out.push(decision.approval);
    if (decision.needsCommander) out.push("incident-commander");
    return out;
  }
  /** An approval lasts until its window ends, and never longer than the policy's maximum. */
  approvalExpiry(windowStart, decision) {
    const cap = windowStart.plus({ milliseconds: this.policy.maxApprovalMs });
    return decision.windowEnds < cap ? decision.windowEnds : cap;
  }
};
var FORBID_ALL = {
  name: "no rule covers this time",
  sessions: [],
  from: null,
  until: null,
  approvals: { "non-critical": "forbidden", standard: "forbidden", emergency: "forbidden" },
  risk: "critical"
};
function validateDeployPolicy(p) {
  const kinds = ["pre-market", "regular", "after-hours", "overnight", "weekend", "holiday", "closed"];
  for (const k of kinds) {
    if (!p.windows.some((w) => w.sessions.includes(k) && !w.from && !w.until) && !p.windows.some((w) => w.sessions.includes(k) && !w.until)) {
      throw new DomainError("deploy_policy", `deploy.windows: no window covers the ${k} session to its end`);
    }
  }
  for (const w of p.windows) {
    for (const [field, v] of [["from", w.from], ["until", w.until]]) {
      if (v !== null && !/^([01]\d|2[0-3]):[0-5]\d$/.test(v)) throw new DomainError("deploy_policy", `deploy.windows.${w.name}.${field}: "${v}" is not HH:MM`);
    }
  }
}

// src/app/messages.ts
function esc(text3) {
  return text3.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
var mention = (userId) => `<@${userId}>`;
function severityLabel(policy, id) {
  const s = severityById(policy, id);
  return s ? `${id.toUpperCase()} ${s.label}` : id.toUpperCase();
}
function roleLabel(policy, id) {
  return roleById(policy, id)?.label ?? id;
}
function topicFor(policy, incident) {
  const ic = incident.roles["incident_commander"]?.userId;
  const status = incident.status === "resolved" ? "RESOLVED" : "OPEN";
  const topic = `${severityLabel(policy, incident.severity)} | ${status} | IC: ${ic ? mention(ic) : "unassigned"} | ${incidentRef(incident.id)} ${incident.title}`;
  return [...topic].length > 250 ? `${[...topic].slice(0, 249).join("")}\u2026` : topic;
}

// src/app/deploy-window.ts
async function checkDeployWindow(deps, q) {
  const freezes = await deps.deploys.freezes(deps.policy.deploy.freezeSeverities);
  const { grants } = q.service ? await deps.deploys.grantsAt(q.service, q.type, q.at.toJSDate()) : { grants: [] };
  return deps.rules.evaluate({ at: q.at, type: q.type, freezes, grants });
}
var zoned = (deps, t) => (t instanceof Date ? DateTime2.fromJSDate(t) : t).setZone(deps.policy.timezone);
function relativeTime(deps, t, now) {
  const a = zoned(deps, t);
  const n = zoned(deps, now);
  const days = Math.round(a.startOf("day").diff(n.startOf("day"), "days").days);
  const day = days === 0 ? "today" : days === 1 ? "tomorrow" : a.toFormat("ccc d LLL");
  return `${day} ${a.toFormat("HH:mm")} ET`;
}
var NEED = {
  auto: ":white_check_mark: auto-approved",
  "engineering-lead": ":hourglass: needs engineering-lead approval",
  cto: ":hourglass: needs CTO approval",
  forbidden: ":no_entry: forbidden"
};
function needText(d) {
  const base = NEED[d.approval];
  if (!d.needsCommander) return base;
  return d.approval === "auto" ? `:hourglass: needs the IC of ${incidentRef(d.freeze.incidentId)}` : `${base} + the IC of ${incidentRef(d.freeze.incidentId)}`;
}
function freezeLine(d) {
  if (!d.freeze) return "*Freeze:* none";
  const f = d.freeze;
  const room = f.channelId ? ` in <#${f.channelId}>` : "";
  const ic = f.commander ? ` (IC ${mention(f.commander)})` : "";
  return `*Freeze:* :no_entry: ${incidentRef(f.incidentId)} (${f.severity.toUpperCase()}) is open${room}${ic} \u2014 non-critical and standard releases are forbidden; emergency also needs the IC`;
}
async function deployOverview(deps, at, explicit) {
  const decisions = await Promise.all(DEPLOY_TYPES.map((type) => checkDeployWindow(deps, { type, at, service: null })));
  const std = decisions[1];
  const session = std.session;
  const when = zoned(deps, at);
  const where = session.kind === "holiday" ? `Holiday \u2014 ${deps.calendar.holidayName(when.toISODate()) ?? "market closed"}` : sessionLabel(session.kind);
  const nextAuto = std.nextAutoWindow;
  const lines = [
    `*Market ${explicit ? `at ${when.toFormat("ccc d LLL HH:mm")} ET` : "now"}:* ${where} (${std.window.name}, risk ${std.risk}) \u2014 ${sessionLabel(session.kind).toLowerCase()} ends ${relativeTime(deps, session.end, when)}`,
    "*Deploys:*",
    ...decisions.map((d) => `\u2022 \`${d.type}\`: ${needText(d)}`),
    freezeLine(std),
    `*Next auto-approved window for \`standard\`:* ${nextAuto ? nextAuto <= when ? "now" : relativeTime(deps, nextAuto, when) : "none within 14 days"}${std.freeze ? " (once the freeze lifts)" : ""}`,
    scheduleLine(deps, when)
  ];
  return lines.join("\n");
}
function scheduleLine(deps, when) {
  const date = when.toISODate();
  const day = deps.calendar.schedule(date);
  const label = when.toFormat("ccc d LLL");
  if (!day.tradingDay) {
    const why = day.holidayName ? `NYSE closed (${day.holidayName})` : "no trading (weekend)";
    const next = deps.calendar.nextTradingDay(date);
    return `*${label}:* ${why}; next trading day ${DateTime2.fromISO(next).toFormat("ccc d LLL")}`;
  }
  const sessions = day.sessions.map((s) => `${s.kind} ${s.start.toFormat("HH:mm")}\u2013${s.end.toFormat("HH:mm")}`).join(" \xB7 ");
  return `*${label}${day.earlyClose ? " (early close 13:00)" : ""}:* ${sessions}`;
}
async function deployCheckText(deps, type, at) {
  const d = await checkDeployWindow(deps, { type, at, service: null });
  const when = zoned(deps, at);
  const lines = [`*\`${type}\` at ${when.toFormat("ccc d LLL HH:mm")} ET:* ${needText(d)} \u2014 ${esc(d.reason)}. Risk: ${d.risk}.`];
  if (d.freeze) lines.push(freezeLine(d));
  if (d.approval !== "auto" || d.needsCommander) {
    const next = d.nextAutoWindow;
    const text3 = !next ? "none within 14 days" : next <= when ? "the rules allow it now" : relativeTime(deps, next, when);
    lines.push(`Next auto-approved window: ${text3}${d.freeze ? ", once the freeze lifts" : ""}.`);
  }
  if (d.approval === "forbidden" && d.freeze) {
    lines.push(`It can be requested once ${incidentRef(d.freeze.incidentId)} is resolved.`);
  } else if (d.approval === "forbidden") {
    const opens = deps.rules.nextPermitted(type, at);
    lines.push(`It can be requested from ${opens ? relativeTime(deps, opens, when) : "no time within 14 days"}.`);
  } else if (d.approval !== "auto" || d.needsCommander) {
    lines.push(`Ask for approval: \`/deploy-window request ${type} <service> <change summary>\``);
  }
  return lines.join("\n");
}
async function requestDeploy(deps, r) {
  const d = await checkDeployWindow(deps, { type: r.type, at: r.at, service: null });
  const when = zoned(deps, r.at);
  if (d.approval === "forbidden") {
    const opens = d.freeze ? null : deps.rules.nextPermitted(r.type, r.at);
    const after = d.freeze ? `until ${incidentRef(d.freeze.incidentId)} is resolved` : opens ? `it opens ${relativeTime(deps, opens, when)}` : "no window opens within 14 days";
    throw new DomainError("deploy_forbidden", `${d.reason}. It cannot be requested for ${when.toFormat("ccc d LLL HH:mm")} ET; ${after}.`);
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
      freezeIncidentId: d.needsCommander ? d.freeze.incidentId : null
    });
    await tx.audit({
      actor: r.requestedBy,
      action: "deploy.requested",
      incidentId: req.freezeIncidentId,
      subject: `DEP-${req.id}`,
      data: { type: r.type, service: r.service, summary: r.summary, for: r.at.toISO(), needs: capacities, session: d.session.kind, risk: d.risk }
    });
    await tx.enqueue({ kind: "deploy.card", dedupeKey: `deploy-card-${req.id}-v0`, payload: { requestId: req.id } });
    return req;
  });
  const needs = capacities.map((c) => c === "incident-commander" ? `the IC of ${incidentRef(d.freeze.incidentId)}` : c).join(" and ");
  return { request, message: `Deploy request DEP-${request.id} (\`${r.type}\` \xB7 \`${esc(r.service)}\`) sent to #${deps.policy.channels.approvals} for ${needs} approval. I'll tell you when it is decided.` };
}
async function capacityOf(deps, req, userId) {
  const open = req.capacities.filter((c) => !req.grants.some((g) => g.capacity === c));
  for (const c of open) {
    if (c === "incident-commander") {
      const freeze = (await deps.deploys.freezes(deps.policy.deploy.freezeSeverities)).find((f) => f.incidentId === req.freezeIncidentId);
      if (freeze?.commander === userId) return c;
    } else if (await deps.chat.isGroupMember(deps.policy.deploy.approverGroups[c], userId)) {
      return c;
    }
  }
  return null;
}
function who(deps, req) {
  return req.capacities.map((c) => c === "incident-commander" ? `the IC of ${incidentRef(req.freezeIncidentId ?? 0)}` : `@${deps.policy.deploy.approverGroups[c]}`).join(" and ");
}
async function decideDeploy(deps, d) {
  const current = await deps.deploys.get(d.requestId);
  if (!current) throw new DomainError("unknown_request", `DEP-${d.requestId} does not exist.`);
  const refuse = async (reason) => {
    await deps.deploys.audit({ actor: d.by, action: "deploy.decision_refused", incidentId: current.freezeIncidentId, subject: `DEP-${current.id}`, data: { reason, approve: d.approve } });
    throw new ForbiddenError(reason);
  };
  if (current.status !== "pending") return `DEP-${current.id} was already ${current.status} by ${current.decidedBy ? mention(current.decidedBy) : "someone"}.`;
  if (current.requestedBy === d.by) await refuse(`You requested DEP-${current.id}; someone else in ${who(deps, current)} must decide it.`);
  const capacity = await capacityOf(deps, current, d.by);
  if (!capacity) await refuse(`Only ${who(deps, current)} may decide DEP-${current.id}.`);
  return deps.deploys.transaction(async (tx) => {
    const req = await tx.lockRequest(d.requestId);
    if (req.status !== "pending") return `DEP-${req.id} was already ${req.status} by ${req.decidedBy ? mention(req.decidedBy) : "someone"}.`;
    const now = deps.clock.now();
    if (req.windowEnds <= now) {
      req.status = "denied";
      req.decidedBy = "warroom";
      req.decidedAt = now;
      await tx.saveRequest(req);
      await tx.audit({ actor: "warroom", action: "deploy.expired", incidentId: req.freezeIncidentId, subject: `DEP-${req.id}`, data: { window_ended: req.windowEnds.toISOString() } });
      await tx.enqueue({ kind: "deploy.card", dedupeKey: `deploy-card-${req.id}-expired`, payload: { requestId: req.id } });
      return `DEP-${req.id}'s window (${req.windowName}) has already ended; ask for a new one.`;
    }
    let result;
    if (!d.approve) {
      req.status = "denied";
      req.decidedBy = d.by;
      req.decidedAt = now;
      result = "denied";
    } else {
      req.grants.push({ capacity, by: d.by, at: now.toISOString() });
      const complete = req.capacities.every((c) => req.grants.some((g) => g.capacity === c));
      if (complete) {
        req.status = "approved";
        req.decidedBy = d.by;
        req.decidedAt = now;
        const validFrom = now > req.forAt ? now : req.forAt;
        const cap = new Date(validFrom.getTime() + deps.policy.deploy.maxApprovalMs);
        req.validFrom = validFrom;
        req.expiresAt = req.windowEnds < cap ? req.windowEnds : cap;
      }
      result = complete ? "approved" : `approved as ${capacity} (waiting for the rest)`;
    }
    await tx.saveRequest(req);
    const seq = await tx.audit({
      actor: d.by,
      action: d.approve ? "deploy.approved" : "deploy.denied",
      incidentId: req.freezeIncidentId,
      subject: `DEP-${req.id}`,
      data: { capacity, status: req.status, expires_at: req.expiresAt?.toISOString() ?? null }
    });
    await tx.enqueue({ kind: "deploy.card", dedupeKey: `deploy-card-${req.id}-${seq}`, payload: { requestId: req.id } });
    if (req.status !== "pending") {
      const until = req.expiresAt ? ` Valid until ${relativeTime(deps, req.expiresAt, DateTime2.fromJSDate(now))}.` : "";
      await tx.enqueue({
        kind: "user.dm",
        dedupeKey: `deploy-dm-${req.id}-${seq}`,
        payload: { userId: req.requestedBy, text: `Your deploy request DEP-${req.id} (\`${req.type}\` \xB7 \`${esc(req.service)}\`) was *${req.status}* by ${mention(d.by)}.${until}` }
      });
    }
    return `DEP-${req.id} ${result}.`;
  });
}
async function renderDeployCard(deps, requestId, retry) {
  await deps.deploys.exclusive(requestId, () => renderLocked(deps, requestId, retry));
}
async function renderLocked(deps, requestId, retry) {
  const req = await deps.deploys.get(requestId);
  if (!req) return;
  const freeze = req.freezeIncidentId ? (await deps.deploys.freezes(deps.policy.deploy.freezeSeverities)).find((f) => f.incidentId === req.freezeIncidentId) : null;
  const view = {
    request: req,
    approverGroups: req.capacities.filter((c) => c !== "incident-commander").map((c) => deps.policy.deploy.approverGroups[c]),
    commander: freeze?.commander ?? null,
    zone: deps.policy.timezone
  };
  const existing = req.cardChannelId && req.cardTs ? { channelId: req.cardChannelId, ts: req.cardTs } : null;
  const posted = await deps.chat.showDeployRequest(view, { key: `deploy-card-${req.id}`, retry }, existing);
  if (!existing) await deps.deploys.recordCard(req.id, posted.channelId, posted.ts);
}

// src/app/compliance.ts
import { DateTime as DateTime5 } from "luxon";

// src/domain/compliance-schedule.ts
import { DateTime as DateTime3 } from "luxon";
function runsOn(days, date, calendar) {
  const weekday = DateTime3.fromISO(date).weekday;
  switch (days) {
    case "trading-days":
      return calendar.isTradingDay(date);
    case "weekdays":
      return weekday <= 5;
    case "every-day":
      return true;
  }
}
function instant(t, date, zone, calendar) {
  if ("at" in t) {
    const [h, m, s = 0] = t.at.split(":").map(Number);
    const d = DateTime3.fromISO(date, { zone });
    return DateTime3.fromObject({ year: d.year, month: d.month, day: d.day, hour: h, minute: m, second: s }, { zone }).toJSDate();
  }
  const regular = calendar.schedule(date).sessions.find((s) => s.kind === "regular");
  const close = regular ? regular.end : DateTime3.fromISO(`${date}T16:00`, { zone });
  return close.plus({ milliseconds: t.afterClose }).toJSDate();
}
function planRuns(tasks, calendar, zone, from, days) {
  const out = [];
  let d = DateTime3.fromISO(from, { zone });
  for (let i = 0; i < days; i++, d = d.plus({ days: 1 })) {
    const date = d.toISODate();
    for (const task of tasks) {
      if (!runsOn(task.days, date, calendar)) continue;
      const opensAt = instant(task.opens, date, zone, calendar);
      const dueAt = instant(task.due, date, zone, calendar);
      const warn = dueAt.getTime() - task.warnBeforeMs;
      out.push({ taskId: task.id, date, opensAt, dueAt, warnAt: new Date(warn > opensAt.getTime() ? warn : dueAt.getTime()) });
    }
  }
  return out.sort((a, b) => a.opensAt.getTime() - b.opensAt.getTime());
}
function runOutcome(run) {
  if (run.status === "done") return run.doneAt && run.doneAt > run.dueAt ? "late" : "on time";
  return run.status === "scheduled" ? "scheduled" : run.status === "missed" ? "missed" : run.status === "failed" ? "failed" : "open";
}

// src/domain/escalation.ts
function planLadder(policy, start, calendar) {
  let clockStart = start;
  let deferredFrom = null;
  if (policy.quietSessions.length) {
    let session = calendar.sessionAt(start);
    if (policy.quietSessions.includes(session.kind)) deferredFrom = session.kind;
    for (let i = 0; i < 64 && policy.quietSessions.includes(session.kind); i++) {
      clockStart = session.end.toJSDate();
      session = calendar.sessionAt(session.end);
    }
  }
  return {
    clockStart,
    deferredFrom,
    steps: policy.steps.map((s, index2) => ({ index: index2, dueAt: new Date(clockStart.getTime() + s.afterMs), always: s.always, actions: s.actions }))
  };
}
function judgeStep(step, incident) {
  if (!incident.open || step.generation !== incident.generation) return "stale";
  if (incident.acknowledged && !step.always) return "skip-acknowledged";
  return "fire";
}
function humanDuration(ms) {
  const s = Math.round(ms / 1e3);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}
function describeAction(a) {
  switch (a.kind) {
    case "page":
      return `page ${a.service}`;
    case "sms":
      return `SMS to ${[...a.contacts, ...a.groups.map((g) => `@${g}`)].join(", ")}`;
    case "notify":
      return `notify ${[...a.users.map((u) => `<@${u}>`), ...a.groups.map((g) => `@${g}`)].join(", ")}`;
    case "regulatory":
      return "open the regulatory checklist";
  }
}

// src/domain/time.ts
import { DateTime as DateTime4 } from "luxon";
function formatDesk(at, zone) {
  const dt = DateTime4.fromJSDate(at, { zone });
  return `${dt.toFormat("ccc d LLL HH:mm")} ${zoneAbbrev(zone)}`;
}
function formatClock(at, zone) {
  return `${DateTime4.fromJSDate(at, { zone }).toFormat("HH:mm:ss")} ${zoneAbbrev(zone)}`;
}
function zoneAbbrev(zone) {
  return zone === "America/New_York" ? "ET" : zone;
}

// src/app/compliance.ts
var PLAN_DAYS = 3;
var ref = (r) => `${r.taskId}/${r.date}`;
function taskOf(deps, taskId) {
  return deps.policy.compliance.tasks.find((t) => t.id === taskId) ?? null;
}
function today(deps, at = deps.clock.now()) {
  return DateTime5.fromJSDate(at, { zone: deps.policy.timezone }).toISODate();
}
async function planCompliance(deps) {
  const now = deps.clock.now();
  const zone = deps.policy.timezone;
  const planned = planRuns(deps.policy.compliance.tasks, deps.calendar, zone, today(deps, now), PLAN_DAYS).filter((r) => r.dueAt > now);
  const dates = [...new Set(planned.map((r) => r.date))];
  const [h, m, s = 0] = deps.policy.compliance.digestAt.split(":").map(Number);
  const digests = dates.map((date) => {
    const d = DateTime5.fromISO(date, { zone });
    return { date, dueAt: DateTime5.fromObject({ year: d.year, month: d.month, day: d.day, hour: h, minute: m, second: s }, { zone }).toJSDate() };
  });
  const created = await deps.store.materialize(planned, digests);
  if (created.length) {
    await deps.store.audit({ actor: "warroom", action: "compliance.planned", incidentId: null, subject: dates.join(","), data: { runs: created.map(ref) } });
  }
  await reconcileCompliance(deps);
  return created.length;
}
async function reconcileCompliance(deps) {
  const runs = await deps.store.liveRuns();
  const digests = await deps.store.pendingDigests();
  await deps.timers.wake([
    ...runs.filter((r) => r.status === "scheduled").map((r) => ({ kind: "cmp-open", runId: r.id, at: r.opensAt })),
    ...runs.filter((r) => !r.warnedAt && r.warnAt < r.dueAt).map((r) => ({ kind: "cmp-warn", runId: r.id, at: r.warnAt })),
    ...runs.map((r) => ({ kind: "cmp-due", runId: r.id, at: r.dueAt })),
    ...digests.map((d) => ({ kind: "cmp-digest", date: d.date, at: d.dueAt }))
  ]);
}
async function openRun(deps, runId) {
  await deps.store.transaction(async (tx) => {
    const run = await tx.lockRun(runId);
    if (!run || run.status !== "scheduled") return;
    const now = deps.clock.now();
    run.status = "open";
    run.openedAt = now;
    await tx.saveRun(run);
    const lateMs = now.getTime() - run.opensAt.getTime();
    deps.metrics.timerLateness("cmp-open", lateMs);
    await tx.audit({ actor: "warroom", action: "compliance.opened", incidentId: null, subject: ref(run), data: { due_at: run.dueAt.toISOString(), late_ms: lateMs } });
    await tx.enqueue({ kind: "compliance.card", dedupeKey: `cmp-card-${run.id}-open`, payload: { runId: run.id } });
  });
}
async function warnRun(deps, runId) {
  await deps.store.transaction(async (tx) => {
    const run = await tx.lockRun(runId);
    if (!run || run.status !== "open" || run.warnedAt) return;
    const task = taskOf(deps, run.taskId);
    if (!task) return;
    run.warnedAt = deps.clock.now();
    await tx.saveRun(run);
    const seq = await tx.audit({ actor: "warroom", action: "compliance.warned", incidentId: null, subject: ref(run), data: { due_at: run.dueAt.toISOString() } });
    const left = humanDuration(Math.max(0, run.dueAt.getTime() - run.warnedAt.getTime()));
    await tx.enqueue({
      kind: "compliance.post",
      dedupeKey: `cmp-warn-${seq}`,
      payload: { runId: run.id, inThread: true, text: `:hourglass_flowing_sand: {owner} *${esc(task.title)}* for ${run.date} is due at ${formatClock(run.dueAt, deps.policy.timezone)} (in ${left}) and is not done yet.` }
    });
  });
}
async function dueRun(deps, runId) {
  await deps.store.transaction(async (tx) => {
    const run = await tx.lockRun(runId);
    if (!run || run.status !== "open" && run.status !== "scheduled") return;
    const task = taskOf(deps, run.taskId);
    if (!task) return;
    const now = deps.clock.now();
    if (!run.openedAt) run.openedAt = now;
    run.status = "missed";
    run.missedAt = now;
    await tx.saveRun(run);
    deps.metrics.timerLateness("cmp-due", now.getTime() - run.dueAt.getTime());
    const seq = await tx.audit({ actor: "warroom", action: "compliance.missed", incidentId: null, subject: ref(run), data: { due_at: run.dueAt.toISOString(), owner: task.owner } });
    await tx.enqueue({ kind: "compliance.card", dedupeKey: `cmp-card-${run.id}-missed`, payload: { runId: run.id } });
    await tx.enqueue({
      kind: "compliance.post",
      dedupeKey: `cmp-miss-${seq}`,
      payload: { runId: run.id, inThread: false, text: `:rotating_light: {owner} *${esc(task.title)}* for ${run.date} missed its ${formatClock(run.dueAt, deps.policy.timezone)} deadline. Escalating${task.pagerduty ? ` (paging ${task.pagerduty})` : ""}.` }
    });
    await tx.enqueue({ kind: "compliance.escalate", dedupeKey: `cmp-esc-${run.id}-missed`, payload: { runId: run.id, reason: "missed" } });
  });
}
async function mayComplete(deps, task, userId) {
  for (const g of [task.owner, ...deps.policy.compliance.completers]) if (await deps.chat.isGroupMember(g, userId)) return true;
  return false;
}
var actorOf = (c) => "user" in c ? c.user : `token:${c.token}`;
async function completeRun(deps, runId, by, input) {
  const current = await deps.store.get(runId);
  if (!current) throw new DomainError("unknown_run", "That compliance run does not exist.");
  const task = taskOf(deps, current.taskId);
  if (!task) throw new DomainError("unknown_task", `Task ${current.taskId} is no longer in the policy.`);
  if ("user" in by && !await mayComplete(deps, task, by.user)) {
    await deps.store.audit({ actor: by.user, action: "compliance.completion_refused", incidentId: null, subject: ref(current), data: { owner: task.owner } });
    throw new ForbiddenError(`Only members of @${task.owner}${deps.policy.compliance.completers.map((g) => ` or @${g}`).join("")} may complete ${task.title}.`);
  }
  const note = clip(input.note, 2e3);
  const evidence = clip(input.evidence, 1e3);
  return deps.store.transaction(async (tx) => {
    const run = await tx.lockRun(runId);
    if (run.status === "done") return { run, changed: false };
    if (run.status === "scheduled") throw new DomainError("not_open", `${task.title} for ${run.date} opens at ${formatClock(run.opensAt, deps.policy.timezone)}; it cannot be completed before.`);
    const now = deps.clock.now();
    const wasEscalated = run.status === "missed" || run.status === "failed" || run.problemAt !== null;
    run.status = "done";
    run.doneAt = now;
    run.doneBy = actorOf(by);
    run.note = note;
    run.evidence = evidence;
    await tx.saveRun(run);
    const lateMs = Math.max(0, now.getTime() - run.dueAt.getTime());
    await tx.audit({ actor: actorOf(by), action: "compliance.completed", incidentId: null, subject: ref(run), data: { late_ms: lateMs, evidence, note } });
    await tx.enqueue({ kind: "compliance.card", dedupeKey: `cmp-card-${run.id}-done`, payload: { runId: run.id } });
    if (wasEscalated && task.pagerduty) await tx.enqueue({ kind: "compliance.resolve-page", dedupeKey: `cmp-resolve-${run.id}`, payload: { runId: run.id } });
    return { run, changed: true };
  });
}
function clip(text3, max) {
  const t = (text3 ?? "").replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "").trim();
  if (!t) return null;
  if ([...t].length > max) throw new DomainError("too_long", `Keep it under ${max} characters.`);
  return t;
}
async function reportProblem(deps, runId, by, noteText, failed) {
  const note = clip(noteText, 2e3);
  return deps.store.transaction(async (tx) => {
    const run = await tx.lockRun(runId);
    if (!run) throw new DomainError("unknown_run", "That compliance run does not exist.");
    const task = taskOf(deps, run.taskId);
    if (run.status === "done") throw new DomainError("already_done", `${task.title} for ${run.date} is already done.`);
    run.problemAt = deps.clock.now();
    run.problemNote = note;
    if (failed && run.status !== "missed") run.status = "failed";
    await tx.saveRun(run);
    const seq = await tx.audit({ actor: actorOf(by), action: failed ? "compliance.failed" : "compliance.problem_reported", incidentId: null, subject: ref(run), data: { note } });
    await tx.enqueue({ kind: "compliance.card", dedupeKey: `cmp-card-${run.id}-${seq}`, payload: { runId: run.id } });
    await tx.enqueue({
      kind: "compliance.post",
      dedupeKey: `cmp-problem-${seq}`,
      payload: { runId: run.id, inThread: true, text: `:warning: {owner} ${failed ? "the job reported a failure" : `${"user" in by ? mention(by.user) : "someone"} reported a problem`} with *${esc(task.title)}* for ${run.date}${note ? `: ${esc(note)}` : ""}. Paging the owner.` }
    });
    await tx.enqueue({ kind: "compliance.escalate", dedupeKey: `cmp-esc-${run.id}-${seq}`, payload: { runId: run.id, reason: failed ? "failed" : "problem" } });
    return run;
  });
}
var dedupKey = (run) => `warroom-CMP-${run.taskId}-${run.date}`;
async function escalateRun(deps, runId, reason) {
  const run = await deps.store.get(runId);
  const task = run && taskOf(deps, run.taskId);
  if (!run || !task) return;
  const what = reason === "missed" ? `missed its ${formatClock(run.dueAt, deps.policy.timezone)} deadline` : reason === "failed" ? "failed" : "has a reported problem";
  if (task.pagerduty) {
    try {
      await deps.pager.send({ action: "trigger", service: task.pagerduty, dedupKey: dedupKey(run), summary: `[COMPLIANCE] ${task.title} for ${run.date} ${what}`, severity: "error", source: "warroom", component: task.id, customDetails: { task: task.id, date: run.date, reason, owner: task.owner, note: run.problemNote } });
      deps.metrics.page("sent");
    } catch (err) {
      if (!(err instanceof PermanentError)) throw err;
      deps.metrics.page("failed");
      deps.metrics.failure("compliance_page");
      await deps.store.audit({ actor: "warroom", action: "compliance.page_failed", incidentId: null, subject: ref(run), data: { error: err.message } });
      await deps.chat.postInChannel(task.channel, `:x: Paging ${task.pagerduty} for ${esc(task.title)} failed: ${esc(err.message)}`, { key: `cmp-pagefail-${run.id}-${reason}`, retry: true });
    }
  }
  const users = /* @__PURE__ */ new Set();
  for (const g of task.notifyOnMiss) for (const u of await deps.chat.groupMembers(g)) users.add(u);
  for (const u of users) await deps.chat.notifyUser(u, `:rotating_light: *${esc(task.title)}* for ${run.date} ${what}. See #${task.channel}.`);
  await deps.store.audit({ actor: "warroom", action: "compliance.escalated", incidentId: null, subject: ref(run), data: { reason, paged: task.pagerduty, notified: [...users] } });
}
async function resolveRunPage(deps, runId) {
  const run = await deps.store.get(runId);
  const task = run && taskOf(deps, run.taskId);
  if (!run || !task?.pagerduty) return;
  await deps.pager.send({ action: "resolve", service: task.pagerduty, dedupKey: dedupKey(run), summary: task.title, severity: "error", source: "warroom" });
}
async function renderRun(deps, runId, retry) {
  const run = await deps.store.get(runId);
  const task = run && taskOf(deps, run.taskId);
  if (!run || !task) return;
  const existing = run.channelId && run.cardTs ? { channelId: run.channelId, ts: run.cardTs } : null;
  const posted = await deps.chat.showComplianceRun(
    { run, task, ownerMention: await deps.chat.groupMention(task.owner), zone: deps.policy.timezone, postedLateMs: run.openedAt ? run.openedAt.getTime() - run.opensAt.getTime() : 0 },
    { key: `cmp-card-${run.id}`, retry },
    existing
  );
  if (!existing) await deps.store.recordCard(run.id, posted.channelId, posted.ts);
}
async function postAboutRun(deps, p, key, retry) {
  const run = await deps.store.get(p.runId);
  const task = run && taskOf(deps, run.taskId);
  if (!run || !task) return;
  const text3 = p.text.replace("{owner}", await deps.chat.groupMention(task.owner));
  await deps.chat.postInChannel(task.channel, text3, { key, retry }, p.inThread ? run.cardTs : null);
}
var STATE_ICON = { "on time": ":white_check_mark:", late: ":warning:", missed: ":red_circle:", open: ":large_blue_circle:", failed: ":x:", scheduled: ":white_circle:" };
function runLine(deps, r, withDate) {
  const task = taskOf(deps, r.taskId);
  const outcome = runOutcome(r);
  const zone = deps.policy.timezone;
  const who2 = r.doneBy ? ` by ${r.doneBy.startsWith("token:") ? `\`${r.doneBy}\`` : mention(r.doneBy)} at ${formatClock(r.doneAt, zone)}` : "";
  const late = outcome === "late" ? ` (+${humanDuration(r.doneAt.getTime() - r.dueAt.getTime())})` : "";
  return `${STATE_ICON[outcome]} ${withDate ? `${r.date} ` : ""}*${esc(task?.title ?? r.taskId)}* \u2014 ${outcome}${late}${who2} \xB7 due ${formatClock(r.dueAt, zone)}`;
}
async function todayText(deps) {
  const date = today(deps);
  const runs = await deps.store.runsOn(date);
  if (runs.length === 0) {
    const why = deps.calendar.isTradingDay(date) ? "no tasks are scheduled" : `not a trading day${deps.calendar.holidayName(date) ? ` (${deps.calendar.holidayName(date)})` : ""}`;
    return `*Compliance, ${date}:* ${why}. Next trading day: ${deps.calendar.nextTradingDay(date)}.`;
  }
  return [`*Compliance, ${date}:*`, ...runs.map((r) => runLine(deps, r, false))].join("\n");
}
async function historyText(deps, taskId) {
  const task = taskOf(deps, taskId);
  if (!task) throw new DomainError("unknown_task", `There is no task "${taskId}". Tasks: ${deps.policy.compliance.tasks.map((t) => `\`${t.id}\``).join(", ")}.`);
  const runs = await deps.store.lastRuns(taskId, 10);
  if (runs.length === 0) return `*${esc(task.title)}*: no runs yet.`;
  return [`*${esc(task.title)}* \u2014 last ${runs.length} runs:`, ...runs.map((r) => runLine(deps, r, true))].join("\n");
}
async function digestDue(deps, date) {
  await deps.store.transaction(async (tx) => {
    if (!await tx.claimDigest(date, deps.clock.now())) return;
    await tx.enqueue({ kind: "compliance.digest", dedupeKey: `cmp-digest-${date}`, payload: { date } });
  });
}
async function postDigest(deps, date, retry) {
  const runs = await deps.store.runsOn(date);
  const counts = {};
  for (const r of runs) counts[runOutcome(r)] = (counts[runOutcome(r)] ?? 0) + 1;
  const summary = ["on time", "late", "missed", "open", "failed"].map((k) => `${counts[k] ?? 0} ${k}`).join(" \xB7 ");
  const text3 = [`:clipboard: *Compliance digest for ${date}:* ${summary}`, ...runs.map((r) => runLine(deps, r, false))].join("\n");
  await deps.chat.postInChannel(deps.policy.channels.compliance, text3, { key: `cmp-digest-${date}`, retry });
  await deps.store.audit({ actor: "warroom", action: "compliance.digest_posted", incidentId: null, subject: date, data: counts });
}

// src/app/escalation.ts
var LATE_NOTICE_MS = 1e3;
async function startLadder(deps, tx, incident, start) {
  const sev = severityById(deps.policy, incident.severity);
  const plan = planLadder(sev.escalation, start, deps.calendar);
  incident.clockStart = plan.clockStart;
  incident.clockDeferredFrom = plan.deferredFrom;
  const rows = await tx.insertSteps(incident.id, incident.generation, incident.severity, plan.steps);
  for (const r of rows) tx.wake({ kind: "esc-step", stepId: r.id, at: r.dueAt });
  const every = sev.escalation.statusEveryMs;
  incident.nextNudgeAt = every ? new Date(Math.max(start.getTime(), plan.clockStart.getTime()) + every) : null;
  if (incident.nextNudgeAt) tx.wake({ kind: "nudge", incidentId: incident.id, seq: incident.statusSeq, at: incident.nextNudgeAt });
  if (plan.deferredFrom) {
    const text3 = `:zzz: ${sessionLabel(plan.deferredFrom)} is a quiet session for ${incident.severity.toUpperCase()}: nobody is paged now. The response clock starts at ${formatDesk(plan.clockStart, deps.policy.timezone)}, when the next staffed session begins.`;
    await tx.enqueue({ kind: "incident.notice", dedupeKey: `quiet-${incident.id}-g${incident.generation}`, payload: { incidentId: incident.id, where: "war-room", text: text3 } });
  }
  return plan;
}
async function recordResponse(deps, tx, incident, by, how) {
  const now = deps.clock.now();
  if (!respond(incident, by, now)) return false;
  const cancelled = await tx.cancelStaleSteps(incident.id, incident.generation);
  const carried = cancelled.filter((s) => s.always);
  if (carried.length) {
    const rows = await tx.insertSteps(
      incident.id,
      incident.generation,
      incident.severity,
      carried.map((s) => ({ index: s.stepIndex, dueAt: s.dueAt, always: true, actions: s.actions }))
    );
    for (const r of rows) tx.wake({ kind: "esc-step", stepId: r.id, at: r.dueAt });
  }
  const stopped = cancelled.length - carried.length;
  const seq = await tx.audit({
    actor: by,
    action: "incident.acknowledged",
    incidentId: incident.id,
    subject: incidentRef(incident.id),
    data: { how, response_ms: incident.responseMs, steps_stopped: stopped }
  });
  const text3 = `:white_check_mark: ${mention(by)} ${how} after ${humanDuration(incident.responseMs ?? 0)} \u2014 the response clock stopped${stopped ? `; ${stopped} pending escalation step${stopped > 1 ? "s" : ""} cancelled` : ""}.`;
  await tx.enqueue({ kind: "incident.notice", dedupeKey: `notice-${seq}`, payload: { incidentId: incident.id, where: "war-room", text: text3 } });
  if (incident.pagedServices.length) {
    await tx.enqueue({ kind: "pager.event", dedupeKey: `pd-ack-${incident.id}`, payload: { incidentId: incident.id, action: "acknowledge" } });
  }
  return true;
}
async function acknowledge(deps, where, by) {
  return deps.store.transaction(async (tx) => {
    const incident = "incidentId" in where ? await tx.lockIncident(where.incidentId) : await tx.lockIncidentByChannel(where.channelId);
    if (!incident) throw new DomainError("not_in_war_room", "This channel is not an incident war room. Run `/incident ack` in the incident's #inc-\u2026 channel.");
    if (!await recordResponse(deps, tx, incident, by, "acknowledged")) {
      return `${incidentRef(incident.id)} was already answered by ${mention(incident.acknowledgedBy)} after ${humanDuration(incident.responseMs ?? 0)}.`;
    }
    await tx.saveIncident(incident);
    await tx.enqueue({ kind: "incident.sync", dedupeKey: `sync-${incident.id}-v${incident.version}`, payload: { incidentId: incident.id } });
    return `Acknowledged ${incidentRef(incident.id)}. Escalation stopped; the response took ${humanDuration(incident.responseMs ?? 0)}.`;
  });
}
function ownerService(deps, incident) {
  const svc = deps.policy.services.find((s) => s.id === incident.service || s.name === incident.service);
  return svc?.pagerduty ?? deps.policy.pagerduty.defaultService;
}
function pageServiceOf(deps, incident, action) {
  if (action.kind !== "page") return null;
  return action.service === "owner" ? ownerService(deps, incident) : action.service;
}
var E164 = /^\+[1-9]\d{6,14}$/;
async function fireStep(deps, stepId) {
  const peek = await deps.store.step(stepId);
  if (!peek || !["pending", "claimed"].includes(peek.status)) return;
  const claim = await deps.store.transaction(async (tx) => {
    const incident2 = await tx.lockIncident(peek.incidentId);
    const step2 = await tx.lockStep(stepId);
    if (!incident2 || !step2 || !["pending", "claimed"].includes(step2.status)) return null;
    const verdict = judgeStep(step2, { generation: incident2.generation, open: incident2.status === "open", acknowledged: incident2.acknowledgedAt !== null });
    if (verdict === "stale") {
      await tx.updateStep(step2.id, { status: "cancelled", doneAt: deps.clock.now() });
      return null;
    }
    if (verdict === "skip-acknowledged") {
      await tx.updateStep(step2.id, { status: "skipped", doneAt: deps.clock.now() });
      await tx.audit({ actor: "warroom", action: "escalation.step_skipped", incidentId: incident2.id, subject: incidentRef(incident2.id), data: { step: step2.stepIndex, reason: "acknowledged" } });
      return null;
    }
    if (step2.status === "pending") {
      const now = deps.clock.now();
      step2.latenessMs = Math.max(0, now.getTime() - step2.dueAt.getTime());
      step2.status = "claimed";
      await tx.updateStep(step2.id, { status: "claimed", claimedAt: now, firedAt: now, latenessMs: step2.latenessMs });
      deps.metrics.timerLateness("esc-step", step2.latenessMs);
      const services = step2.actions.map((a) => pageServiceOf(deps, incident2, a)).filter((s) => Boolean(s));
      const added = services.filter((s) => !incident2.pagedServices.includes(s));
      if (added.length) {
        incident2.pagedServices = [...incident2.pagedServices, ...added];
        await tx.saveIncident(incident2);
      }
    }
    return { incident: incident2, step: step2 };
  });
  if (!claim) return;
  const { incident, step } = claim;
  const results = await runActions(deps, incident, step);
  const failed = results.filter((r) => r.failed > 0).length;
  const allFailed = results.length > 0 && results.every((r) => r.sent === 0 && r.failed > 0);
  await deps.store.transaction(async (tx) => {
    const status = allFailed ? "failed" : failed ? "partial" : "sent";
    await tx.updateStep(step.id, { status, doneAt: deps.clock.now(), outcome: results });
    if (failed) deps.metrics.failure("escalation_step");
    const line = timelineLine(deps, incident, step, results);
    const seq = await tx.audit({
      actor: "warroom",
      action: "escalation.step_fired",
      incidentId: incident.id,
      subject: incidentRef(incident.id),
      data: { step: step.stepIndex, generation: step.generation, due_at: step.dueAt.toISOString(), lateness_ms: step.latenessMs, status, results }
    });
    await tx.enqueue({ kind: "incident.notice", dedupeKey: `notice-${seq}`, payload: { incidentId: incident.id, where: "war-room", text: line } });
  });
}
async function runActions(deps, incident, step) {
  const results = [];
  for (const action of step.actions) {
    switch (action.kind) {
      case "page":
        results.push(await page(deps, incident, step, action));
        break;
      case "sms":
        results.push(await sms(deps, incident, step, action));
        break;
      case "notify":
        results.push(await notify(deps, incident, step, action));
        break;
      case "regulatory":
        results.push(await openChecklist(deps, incident, step));
        break;
    }
  }
  return results;
}
function pageSummary(deps, incident) {
  const s = `[${incident.severity.toUpperCase()}] ${incidentRef(incident.id)} ${incident.title}`;
  return [...s].length > 1024 ? `${[...s].slice(0, 1023).join("")}\u2026` : s;
}
async function page(deps, incident, step, action) {
  const service = pageServiceOf(deps, incident, action);
  const r = { action: `page ${service ?? action.service}`, sent: 0, failed: 0, details: [] };
  if (!service) {
    r.failed = 1;
    r.details.push("no PagerDuty service for this incident");
    return r;
  }
  if (await deps.store.delivered(step.id, "page", service)) {
    r.sent = 1;
    return r;
  }
  const state = await deps.store.warRoom(incident.id);
  const sev = severityById(deps.policy, incident.severity);
  try {
    await deps.pager.send({
      action: "trigger",
      service,
      dedupKey: `warroom-${incidentRef(incident.id)}`,
      summary: pageSummary(deps, incident),
      severity: sev.escalation.pagerSeverity,
      source: "warroom",
      ...incident.service ? { component: incident.service } : {},
      // The page goes out before the war room exists (speed first); its name is already known.
      customDetails: { incident: incidentRef(incident.id), severity: incident.severity, declared_by: incident.declaredBy, declared_at: incident.declaredAt.toISOString(), war_room: `#${state?.channelName ?? channelNameFor(incident.id, incident.title)}`, step: step.stepIndex },
      links: state?.channelId ? [{ href: `https://slack.com/app_redirect?channel=${state.channelId}`, text: `War room #${state.channelName}` }] : []
    });
    await deps.store.recordDelivery(step.id, "page", service, "sent");
    deps.metrics.page("sent");
    r.sent = 1;
  } catch (err) {
    if (!(err instanceof PermanentError)) {
      deps.metrics.page("retried");
      throw err;
    }
    await deps.store.recordDelivery(step.id, "page", service, "failed", err.message);
    deps.metrics.page("failed");
    r.failed = 1;
    r.details.push(err.message);
  }
  return r;
}
function smsBody(deps, incident, step, channelName) {
  const waited = humanDuration(Math.max(0, step.dueAt.getTime() - (incident.clockStart ?? incident.declaredAt).getTime()));
  const title = [...incident.title].length > 40 ? `${[...incident.title].slice(0, 39).join("")}\u2026` : incident.title;
  const wait = step.dueAt.getTime() - (incident.clockStart ?? incident.declaredAt).getTime() < 1e3 ? "just declared" : `no response for ${waited}`;
  return `warroom ${incident.severity.toUpperCase()} ${incidentRef(incident.id)}: ${title} - ${wait}. Slack #${channelName ?? channelNameFor(incident.id, incident.title)}`;
}
async function sms(deps, incident, step, action) {
  const r = { action: describeAction(action), sent: 0, failed: 0, details: [] };
  const recipients = /* @__PURE__ */ new Map();
  for (const c of action.contacts) for (const n of deps.policy.contacts[c] ?? []) recipients.set(n, c);
  for (const g of action.groups) {
    for (const u of await deps.chat.groupMembers(g)) {
      const phone = (await deps.chat.userPhone(u))?.replace(/[\s().-]/g, "") ?? "";
      if (E164.test(phone)) recipients.set(phone, `<@${u}>`);
      else if (!await deps.store.delivered(step.id, "sms", `user:${u}`)) {
        await deps.store.recordDelivery(step.id, "sms", `user:${u}`, "failed", "no E.164 phone in the Slack profile");
        r.failed += 1;
        r.details.push(`<@${u}> has no usable phone number in Slack`);
      }
    }
  }
  const state = await deps.store.warRoom(incident.id);
  const body = smsBody(deps, incident, step, state?.channelName ?? null);
  for (const [phone, who2] of recipients) {
    if (await deps.store.delivered(step.id, "sms", phone)) {
      r.sent += 1;
      continue;
    }
    try {
      const { id } = await deps.sms.send(phone, body);
      await deps.store.recordDelivery(step.id, "sms", phone, "sent", id);
      deps.metrics.sms("sent");
      r.sent += 1;
    } catch (err) {
      if (!(err instanceof PermanentError)) {
        deps.metrics.sms("retried");
        throw err;
      }
      await deps.store.recordDelivery(step.id, "sms", phone, "failed", `${err.code}: ${err.message}`);
      deps.metrics.sms("failed");
      r.failed += 1;
      r.details.push(`${who2} (${phone.slice(0, -4)}\u2022\u2022\u2022\u2022): ${err.code === "21211" ? "invalid number" : err.code === "21610" ? "unsubscribed" : err.message}`);
    }
  }
  return r;
}
async function notify(deps, incident, step, action) {
  const r = { action: describeAction(action), sent: 0, failed: 0, details: [] };
  const users = new Set(action.users);
  for (const g of action.groups) for (const u of await deps.chat.groupMembers(g)) users.add(u);
  const state = await deps.store.warRoom(incident.id);
  const room = state?.channelId ? `<#${state.channelId}>` : "the war room";
  const text3 = `:rotating_light: ${severityLabel(deps.policy, incident.severity)} ${incidentRef(incident.id)}: ${esc(incident.title)} \u2014 ${room}. Declared ${formatDesk(incident.declaredAt, deps.policy.timezone)} by ${mention(incident.declaredBy)}.`;
  for (const u of users) {
    if (await deps.store.delivered(step.id, "dm", u)) {
      r.sent += 1;
      continue;
    }
    try {
      await deps.chat.notifyUser(u, text3);
      await deps.store.recordDelivery(step.id, "dm", u, "sent");
      r.sent += 1;
    } catch (err) {
      if (!(err instanceof PermanentError)) throw err;
      await deps.store.recordDelivery(step.id, "dm", u, "failed", err.message);
      r.failed += 1;
      r.details.push(`<@${u}>: ${err.code}`);
    }
  }
  if (state?.channelId && !await deps.store.delivered(step.id, "channel", state.channelId)) {
    const mentions = [...action.users.map(mention), ...await Promise.all(action.groups.map((g) => deps.chat.groupMention(g)))];
    await deps.chat.postNotice({ channelId: state.channelId }, `:loudspeaker: Notified ${mentions.join(" ")} (${users.size} by DM).`, { key: `notify-${step.id}`, retry: true });
    await deps.store.recordDelivery(step.id, "channel", state.channelId, "sent");
  }
  return r;
}
async function openChecklist(deps, incident, step) {
  const now = deps.clock.now();
  const dueAt = new Date(now.getTime() + deps.policy.regulatory.dueWithinMs);
  await deps.store.transaction(async (tx) => {
    const created = await tx.insertChecklist({ incidentId: incident.id, dueAt, items: deps.policy.regulatory.items.map((i) => ({ ...i, doneBy: null, doneAt: null })) });
    if (created) {
      await tx.audit({ actor: "warroom", action: "regulatory.checklist_opened", incidentId: incident.id, subject: incidentRef(incident.id), data: { due_at: dueAt.toISOString(), items: deps.policy.regulatory.items.map((i) => i.id), step: step.stepIndex } });
      tx.wake({ kind: "reg-reminder", incidentId: incident.id, at: new Date(dueAt.getTime() - deps.policy.regulatory.remindBeforeMs) });
    }
    await tx.enqueue({ kind: "regulatory.card", dedupeKey: `regcard-${incident.id}-open`, payload: { incidentId: incident.id } });
  });
  return { action: `regulatory checklist in #${deps.policy.channels.compliance} (due ${formatClock(dueAt, deps.policy.timezone)})`, sent: 1, failed: 0, details: [] };
}
function timelineLine(deps, incident, step, results) {
  const offset = step.dueAt.getTime() - (incident.clockStart ?? incident.declaredAt).getTime();
  const when = offset < 1e3 ? "On declaration" : step.always ? `${humanDuration(offset)} after declaration` : `${humanDuration(offset)} without a response`;
  const parts = results.map((r) => {
    if (r.action.startsWith("regulatory")) return r.action;
    const counts = r.failed ? `${r.sent} sent, ${r.failed} failed` : `${r.sent} sent`;
    return `${r.action} (${counts})${r.details.length ? `: ${r.details.join("; ")}` : ""}`;
  });
  const late = (step.latenessMs ?? 0) > LATE_NOTICE_MS ? ` \u2014 :warning: fired ${humanDuration(step.latenessMs)} late (due ${formatClock(step.dueAt, deps.policy.timezone)})` : "";
  return `:stopwatch: ${when}: ${parts.join(" \xB7 ")}${late}`;
}
async function nudge(deps, incidentId, seq) {
  await deps.store.transaction(async (tx) => {
    const incident = await tx.lockIncident(incidentId);
    if (!incident || incident.status !== "open" || incident.statusSeq !== seq || !incident.nextNudgeAt) return;
    const now = deps.clock.now();
    if (incident.nextNudgeAt.getTime() > now.getTime() + 1e3) return;
    const every = severityById(deps.policy, incident.severity)?.escalation.statusEveryMs;
    if (!every) return;
    deps.metrics.timerLateness("nudge", now.getTime() - incident.nextNudgeAt.getTime());
    const since = incident.lastStatusAt ?? incident.clockStart ?? incident.declaredAt;
    const ic = incident.roles["incident_commander"]?.userId;
    const text3 = ic ? `:alarm_clock: ${mention(ic)} no status update for ${humanDuration(now.getTime() - since.getTime())}. Post one with \`/incident status <what we know, what we're doing>\`.` : `:alarm_clock: No status update for ${humanDuration(now.getTime() - since.getTime())}, and no Incident Commander yet \u2014 take the role on the pinned card.`;
    const seqAudit = await tx.audit({ actor: "warroom", action: "incident.status_nudged", incidentId, subject: incidentRef(incidentId), data: { since: since.toISOString(), ic: ic ?? null } });
    await tx.enqueue({ kind: "incident.notice", dedupeKey: `notice-${seqAudit}`, payload: { incidentId, where: "war-room", text: text3 } });
    incident.nextNudgeAt = new Date(now.getTime() + every);
    await tx.saveIncident(incident);
    tx.wake({ kind: "nudge", incidentId, seq, at: incident.nextNudgeAt });
    deps.metrics.nudge();
  });
}
async function remindChecklist(deps, incidentId) {
  await deps.store.transaction(async (tx) => {
    const c = await tx.lockChecklist(incidentId);
    if (!c || c.completedAt || c.remindedAt) return;
    const open = c.items.filter((i) => !i.doneAt);
    c.remindedAt = deps.clock.now();
    await tx.saveChecklist(c);
    const owners = [...new Set(open.flatMap((i) => i.owners))];
    const mentions = await Promise.all(owners.map((o) => deps.chat.groupMention(o)));
    const text3 = `:hourglass_flowing_sand: ${mentions.join(" ")} the regulatory checklist for ${incidentRef(incidentId)} is due at ${formatClock(c.dueAt, deps.policy.timezone)}; still open: ${open.map((i) => esc(i.title)).join("; ")}.`;
    const seq = await tx.audit({ actor: "warroom", action: "regulatory.checklist_reminded", incidentId, subject: incidentRef(incidentId), data: { open: open.map((i) => i.id) } });
    await tx.enqueue({ kind: "incident.notice", dedupeKey: `regrem-${seq}`, payload: { incidentId, where: "compliance", text: text3 } });
  });
}
async function completeChecklistItem(deps, incidentId, itemId, by) {
  const c = await deps.store.checklist(incidentId);
  const item = c?.items.find((i) => i.id === itemId);
  if (!c || !item) throw new DomainError("unknown_item", "That checklist item does not exist.");
  if (item.doneAt) return `Already done by ${mention(item.doneBy)}.`;
  let allowed = false;
  for (const g of item.owners) if (await deps.chat.isGroupMember(g, by)) allowed = true;
  if (!allowed) {
    await deps.store.audit({ actor: by, action: "regulatory.item_refused", incidentId, subject: incidentRef(incidentId), data: { item: itemId } });
    throw new DomainError("forbidden", `Only members of ${item.owners.map((o) => `@${o}`).join(" or ")} may complete "${item.title}".`);
  }
  return deps.store.transaction(async (tx) => {
    const locked = await tx.lockChecklist(incidentId);
    const it = locked.items.find((i) => i.id === itemId);
    if (it.doneAt) return `Already done by ${mention(it.doneBy)}.`;
    const now = deps.clock.now();
    it.doneBy = by;
    it.doneAt = now.toISOString();
    if (locked.items.every((i) => i.doneAt)) locked.completedAt = now;
    await tx.saveChecklist(locked);
    const late = now > locked.dueAt;
    await tx.audit({ actor: by, action: "regulatory.item_done", incidentId, subject: incidentRef(incidentId), data: { item: itemId, late } });
    await tx.enqueue({ kind: "regulatory.card", dedupeKey: `regcard-${incidentId}-${itemId}`, payload: { incidentId } });
    return `Marked "${it.title}" done${late ? " (late)" : ""}.`;
  });
}
async function renderChecklist(deps, incidentId, retry) {
  await deps.store.exclusive(incidentId, async () => {
    const c = await deps.store.checklist(incidentId);
    const incident = await deps.store.get(incidentId);
    if (!c || !incident) return;
    const state = await deps.store.warRoom(incidentId);
    const owners = [...new Set(c.items.flatMap((i) => i.owners))];
    const ownerMentions = Object.fromEntries(await Promise.all(owners.map(async (o) => [o, await deps.chat.groupMention(o)])));
    const existing = c.channelId && c.ts ? { channelId: c.channelId, ts: c.ts } : null;
    const posted = await deps.chat.showChecklist(
      { checklist: c, incidentRef: incidentRef(incidentId), title: incident.title, warRoomChannelId: state?.channelId ?? null, ownerMentions, zone: deps.policy.timezone },
      { key: `checklist-${incidentId}`, retry },
      existing
    );
    if (!existing) await deps.store.recordChecklistCard(incidentId, posted.channelId, posted.ts);
  });
}
async function pagerFollowUp(deps, incidentId, action) {
  const incident = await deps.store.get(incidentId);
  if (!incident) return;
  const sev = severityById(deps.policy, incident.severity);
  for (const service of incident.pagedServices) {
    await deps.pager.send({ action, service, dedupKey: `warroom-${incidentRef(incidentId)}`, summary: pageSummary(deps, incident), severity: sev.escalation.pagerSeverity, source: "warroom" });
  }
}
async function reconcileTimers(deps) {
  const now = deps.clock.now();
  const steps = await deps.store.stepsToWake(new Date(now.getTime() - deps.staleClaimMs));
  const nudges = await deps.store.nudgesToWake();
  const reminders = await deps.store.checklistsToWake();
  await deps.timers.wake([
    ...steps.map((s) => ({ kind: "esc-step", stepId: s.id, at: s.dueAt })),
    ...nudges.map((n) => ({ kind: "nudge", incidentId: n.incidentId, seq: n.seq, at: n.at })),
    ...reminders.map((r) => ({ kind: "reg-reminder", incidentId: r.incidentId, at: new Date(r.at.getTime() - deps.policy.regulatory.remindBeforeMs) }))
  ]);
  if (deps.heartbeat) await deps.heartbeat().catch((err) => deps.log.warn({ err: err.message }, "heartbeat ping failed"));
  return steps.length + nudges.length + reminders.length;
}

// src/app/setup-war-room.ts
var MAX_NAME_SUFFIX = 20;
function viewOf(incident, state) {
  return { incident, ref: incidentRef(incident.id), channelId: state?.channelId ?? null, channelName: state?.channelName ?? null };
}
async function setupWarRoom(deps, incidentId, attempt = 1) {
  const retry = attempt > 1;
  const { store, chat, policy } = deps;
  const incident = await store.get(incidentId);
  const state = await store.warRoom(incidentId);
  if (!incident || !state) throw new Error(`${incidentRef(incidentId)} not found`);
  if (state.readyAt) return;
  if (!state.channelId) {
    let suffix = 1;
    if (state.channelName) {
      const m = /-(\d+)$/.exec(state.channelName);
      suffix = m && state.channelName !== channelNameFor(incident.id, incident.title) ? Number(m[1]) : 1;
    }
    for (; !state.channelId; suffix += 1) {
      if (suffix > MAX_NAME_SUFFIX) throw new Error(`no free channel name for ${incidentRef(incident.id)} after ${MAX_NAME_SUFFIX} tries`);
      const name = channelNameFor(incident.id, incident.title, suffix);
      if (state.channelName !== name) {
        state.channelName = name;
        await store.recordWarRoom(incidentId, { channelName: name });
      }
      const created = await chat.createChannel(name, incident.isPrivate);
      if (created.ok) {
        state.channelId = created.id;
      } else {
        const own = await chat.findOwnChannel(name, new Date(incident.declaredAt.getTime() - 6e4));
        if (own) state.channelId = own;
      }
    }
    await store.recordWarRoom(incidentId, { channelId: state.channelId, channelName: state.channelName });
  }
  const channelId = state.channelId;
  const view = viewOf(incident, state);
  if (!state.topicSet) {
    await chat.setTopic(channelId, topicFor(policy, incident));
    await store.recordWarRoom(incidentId, { topicSet: true });
  }
  if (!state.invited) {
    const sev = severityById(policy, incident.severity);
    const users = [.../* @__PURE__ */ new Set([incident.declaredBy, ...sev?.defaultResponders.users ?? []])];
    await chat.invite(channelId, users, sev?.defaultResponders.groups ?? []);
    await store.recordWarRoom(incidentId, { invited: true });
  }
  if (!state.headerTs) {
    state.headerTs = await chat.postHeader(channelId, view, { key: `header-${incident.id}`, retry });
    await store.recordWarRoom(incidentId, { headerTs: state.headerTs });
  }
  if (!state.pinned) {
    await chat.pin(channelId, state.headerTs);
    await store.recordWarRoom(incidentId, { pinned: true });
  }
  if (!state.announceTs) {
    const sev = severityById(policy, incident.severity);
    const posted = await chat.announce(view, { key: `announce-${incident.id}`, retry }, sev?.announceGroups ?? []);
    await store.recordWarRoom(incidentId, { announceChannelId: posted.channelId, announceTs: posted.ts });
  }
  await store.recordWarRoom(
    incidentId,
    { readyAt: deps.clock.now(), renderedVersion: incident.version },
    { actor: "warroom", action: "warroom.ready", incidentId, subject: incidentRef(incidentId), data: { channel: channelId, name: state.channelName } }
  );
  await syncIncidentView(deps, incidentId);
}
async function syncIncidentView(deps, incidentId, force = false) {
  await deps.store.exclusive(incidentId, async () => {
    const incident = await deps.store.get(incidentId);
    const state = await deps.store.warRoom(incidentId);
    if (!incident || !state?.channelId) return;
    if (!force && state.renderedVersion >= incident.version) return;
    const view = viewOf(incident, state);
    if (state.headerTs) await deps.chat.updateHeader(state.channelId, state.headerTs, view);
    if (state.topicSet) await deps.chat.setTopic(state.channelId, topicFor(deps.policy, incident));
    if (state.announceChannelId && state.announceTs) await deps.chat.updateAnnouncement(state.announceChannelId, state.announceTs, view);
    await deps.store.recordWarRoom(incidentId, { renderedVersion: incident.version });
  });
}
async function reportSetupFailure(deps, incidentId, error) {
  const incident = await deps.store.get(incidentId);
  if (!incident) return;
  const ref2 = incidentRef(incidentId);
  await deps.store.recordWarRoom(incidentId, { failedAt: deps.clock.now() }, { actor: "warroom", action: "warroom.failed", incidentId, subject: ref2, data: { error } });
  const text3 = `:warning: The war room for ${ref2} could not be set up (${error}). The incident is recorded; open a channel by hand and tell #${deps.policy.channels.announcements}.`;
  const results = await Promise.allSettled([
    deps.chat.notifyUser(incident.declaredBy, text3),
    deps.chat.postNotice({ policyChannel: "announcements" }, text3, { key: `setup-failed-${incidentId}`, retry: false })
  ]);
  for (const r of results) if (r.status === "rejected") deps.log.error({ err: r.reason, incident: ref2 }, "could not report a war-room failure");
}

// src/app/work-handlers.ts
async function runWork(deps, item, attempt) {
  const inc = deps.incidents;
  const retry = attempt > 1;
  switch (item.kind) {
    case "warroom.setup":
      return setupWarRoom(inc, item.payload.incidentId, attempt);
    case "incident.sync":
      return syncIncidentView(inc, item.payload.incidentId);
    case "incident.notice": {
      const { incidentId, where, text: text3 } = item.payload;
      const key = { key: item.dedupeKey, retry };
      if (where !== "war-room") return inc.chat.postNotice({ policyChannel: where }, text3, key);
      const channelId = await warRoomChannel(inc, incidentId, attempt);
      return inc.chat.postNotice({ channelId }, text3, key);
    }
    case "incident.invite": {
      return inc.chat.invite(await warRoomChannel(inc, item.payload.incidentId, attempt), item.payload.users, []);
    }
    case "deploy.card":
      return renderDeployCard(deps.deploys, item.payload.requestId, retry);
    case "user.dm":
      return inc.chat.notifyUser(item.payload.userId, item.payload.text);
    case "pager.event":
      return pagerFollowUp(inc, item.payload.incidentId, item.payload.action);
    case "regulatory.card":
      return renderChecklist(inc, item.payload.incidentId, retry);
    case "compliance.card":
      return renderRun(deps.compliance, item.payload.runId, retry);
    case "compliance.post":
      return postAboutRun(deps.compliance, item.payload, item.dedupeKey, retry);
    case "compliance.escalate":
      return escalateRun(deps.compliance, item.payload.runId, item.payload.reason);
    case "compliance.resolve-page":
      return resolveRunPage(deps.compliance, item.payload.runId);
    case "compliance.digest":
      return postDigest(deps.compliance, item.payload.date, retry);
  }
}
async function onWorkFailed(deps, item, error) {
  const inc = deps.incidents;
  if (item.kind === "warroom.setup") return reportSetupFailure(inc, item.payload.incidentId, error);
  inc.log.error({ kind: item.kind, key: item.dedupeKey, error }, "work item failed permanently");
  const incidentId = "incidentId" in item.payload ? item.payload.incidentId : null;
  if (item.kind.startsWith("compliance.")) inc.metrics.failure(item.kind);
  await inc.store.audit({ actor: "warroom", action: "work.failed", incidentId, subject: item.dedupeKey, data: { kind: item.kind, error } });
}
async function warRoomChannel(inc, incidentId, attempt) {
  const state = await inc.store.warRoom(incidentId);
  if (state?.channelId) return state.channelId;
  if (!state || state.failedAt) throw new PermanentError("no_war_room", `INC-${incidentId} has no war room`);
  throw new TransientError(`war room of INC-${incidentId} not ready yet (start ${attempt})`, 500);
}
async function runTimer(deps, t) {
  switch (t.kind) {
    case "esc-step":
      return fireStep(deps.incidents, t.stepId);
    case "nudge":
      return nudge(deps.incidents, t.incidentId, t.seq);
    case "reg-reminder":
      return remindChecklist(deps.incidents, t.incidentId);
    case "cmp-open":
      return openRun(deps.compliance, t.runId);
    case "cmp-warn":
      return warnRun(deps.compliance, t.runId);
    case "cmp-due":
      return dueRun(deps.compliance, t.runId);
    case "cmp-digest":
      return digestDue(deps.compliance, t.date);
    case "cmp-plan":
      return void await planCompliance(deps.compliance);
  }
}

// src/adapters/pagerduty/pagerduty-pager.ts
import { AsyncLocalStorage } from "node:async_hooks";
import { Agent } from "node:https";
import { rootCertificates } from "node:tls";
import { event } from "@pagerduty/pdjs";
var US_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";
var SUMMARY_MAX = 1024;
var PDJS_RETRY_TIMEOUT_MS = 100;
var exchanges = new AsyncLocalStorage();
var baseAddRequest = Agent.prototype.addRequest;
var ObservingAgent = class extends Agent {
  addRequest(req, options) {
    const exchange = exchanges.getStore();
    if (exchange) {
      req.once("response", (res) => {
        exchange.status = res.statusCode ?? null;
        if (res.statusCode === 429) {
          exchange.rateLimited = true;
          exchange.controller.abort();
        }
      });
    }
    baseAddRequest.call(this, req, options);
  }
};
var PagerDutyPager = class {
  server;
  routingKeys;
  timeoutMs;
  agent;
  constructor(opts) {
    this.server = serverOf(opts.eventsUrl ?? US_EVENTS_URL);
    this.routingKeys = { ...opts.routingKeys };
    this.timeoutMs = opts.timeoutMs ?? 1e4;
    this.agent = new ObservingAgent({ keepAlive: true, ...opts.ca ? { ca: [...rootCertificates, opts.ca] } : {} });
  }
  async send(ev) {
    const routingKey = Object.hasOwn(this.routingKeys, ev.service) ? this.routingKeys[ev.service] : void 0;
    if (!routingKey) {
      throw new PermanentError("unknown_pagerduty_service", `no PagerDuty routing key is configured for service "${ev.service}"`);
    }
    const what = `PagerDuty ${ev.action} for service "${ev.service}" (dedup_key ${ev.dedupKey})`;
    const redact = (s) => s.split(routingKey).join("[routing key]");
    const exchange = { status: null, rateLimited: false, controller: new AbortController() };
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let res;
    try {
      res = await exchanges.run(
        exchange,
        () => event({
          server: this.server,
          // pdjs's type demands a payload even for acknowledge/resolve, which PagerDuty doesn't need.
          data: buildBody(ev, routingKey),
          requestTimeout: 0,
          retryTimeout: PDJS_RETRY_TIMEOUT_MS,
          signal: AbortSignal.any([exchange.controller.signal, timeout]),
          // Passed through to node-fetch, which accepts an http(s).Agent.
          ...{ agent: this.agent }
        })
      );
    } catch (err) {
      if (exchange.rateLimited) throw new TransientError(`${what}: rate limited (429)`);
      if (timeout.aborted) throw new TransientError(`${what}: no answer within ${this.timeoutMs} ms`);
      const detail = redact(describe(err));
      if (exchange.status !== null && isPermanentStatus(exchange.status)) {
        throw new PermanentError(`pagerduty_${exchange.status}`, `${what}: HTTP ${exchange.status} (${detail})`);
      }
      throw new TransientError(`${what}: ${exchange.status !== null ? `HTTP ${exchange.status} (${detail})` : detail}`);
    }
    if (res.status >= 200 && res.status < 300) return;
    const reason = redact(pagerDutyReason(res.data));
    if (isPermanentStatus(res.status)) {
      throw new PermanentError(`pagerduty_${res.status}`, `${what} rejected: HTTP ${res.status}${reason ? `: ${reason}` : ""}`);
    }
    throw new TransientError(`${what}: HTTP ${res.status}${reason ? `: ${reason}` : ""}`);
  }
  /** Closes kept-alive connections (shutdown, tests). */
  close() {
    this.agent.destroy();
  }
};
function isPermanentStatus(status) {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}
function serverOf(eventsUrl) {
  const url = new URL(eventsUrl);
  if (url.protocol !== "https:" || url.pathname !== "/v2/enqueue" || url.search || url.username || url.password) {
    throw new Error(`PagerDuty eventsUrl must look like https://host[:port]/v2/enqueue (pdjs always uses https and that path), got ${url.origin}${url.pathname}`);
  }
  return url.host;
}
function buildBody(ev, routingKey) {
  const base = { routing_key: routingKey, event_action: ev.action, dedup_key: ev.dedupKey };
  if (ev.action !== "trigger") return base;
  return {
    ...base,
    payload: {
      summary: truncate(ev.summary, SUMMARY_MAX),
      source: ev.source,
      severity: ev.severity,
      ...ev.component !== void 0 ? { component: ev.component } : {},
      ...ev.customDetails !== void 0 ? { custom_details: ev.customDetails } : {}
    },
    ...ev.links?.length ? { links: ev.links } : {}
  };
}
function truncate(s, max) {
  if (s.length <= max) return s;
  let cut = max - 1;
  const last = s.charCodeAt(cut - 1);
  if (last >= 55296 && last <= 56319) cut -= 1;
  return `${s.slice(0, cut)}\u2026`;
}
function pagerDutyReason(data) {
  if (!data || typeof data !== "object") return "";
  const d = data;
  const parts = [];
  if (typeof d.message === "string") parts.push(d.message);
  if (Array.isArray(d.errors) && d.errors.length) parts.push(d.errors.map(String).join("; "));
  return parts.join(": ");
}
function describe(err) {
  if (!(err instanceof Error)) return String(err);
  const code = err.code;
  return typeof code === "string" && !err.message.includes(code) ? `${err.message} [${code}]` : err.message;
}

// src/adapters/sms/twilio-sms-sender.ts
var TwilioSmsSender = class {
  url;
  authorization;
  from;
  timeoutMs;
  redact;
  constructor(opts) {
    const base = (opts.apiUrl ?? "https://api.twilio.com").replace(/\/+$/, "");
    this.url = `${base}/2010-04-01/Accounts/${encodeURIComponent(opts.accountSid)}/Messages.json`;
    this.authorization = `Basic ${Buffer.from(`${opts.accountSid}:${opts.authToken}`).toString("base64")}`;
    this.from = opts.from;
    this.timeoutMs = opts.timeoutMs ?? 1e4;
    const { authToken } = opts;
    const encoded = this.authorization.slice("Basic ".length);
    this.redact = (s) => (authToken ? s.split(authToken).join("[redacted]") : s).split(encoded).join("[redacted]");
  }
  async send(to, body) {
    const what = `SMS to ${maskNumber(to)}`;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let res;
    let text3;
    try {
      res = await fetch(this.url, {
        method: "POST",
        headers: { authorization: this.authorization, "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: new URLSearchParams({ To: to, From: this.from, Body: body }),
        signal: timeout
      });
      text3 = await res.text();
    } catch (err) {
      if (timeout.aborted) throw new TransientError(`${what}: Twilio did not answer within ${this.timeoutMs} ms`);
      throw new TransientError(this.redact(`${what}: ${describe2(err)}`));
    }
    if (res.status >= 200 && res.status < 300) {
      const sid = parseJson(text3)?.sid;
      if (typeof sid !== "string") throw new TransientError(`${what}: Twilio answered ${res.status} without a message sid`);
      return { id: sid };
    }
    const error = parseJson(text3) ?? {};
    const code = typeof error.code === "number" || typeof error.code === "string" ? String(error.code) : null;
    const message = this.redact(typeof error.message === "string" ? error.message : text3.slice(0, 200)).split(to).join(maskNumber(to));
    const detail = `${what}: Twilio ${code ?? "error"} (HTTP ${res.status}): ${message}`;
    if (res.status === 429 || code === "20429") throw new TransientError(detail, retryAfterMs(res.headers.get("retry-after")));
    if (res.status >= 500 || res.status === 408) throw new TransientError(detail);
    throw new PermanentError(code ?? `http_${res.status}`, detail);
  }
};
function retryAfterMs(header) {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1e3);
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}
function maskNumber(e164) {
  return e164.length > 4 ? `\u2026${e164.slice(-4)}` : e164;
}
function parseJson(text3) {
  try {
    return JSON.parse(text3);
  } catch {
    return null;
  }
}
function describe2(err) {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause : null;
  const code = typeof cause?.code === "string" ? ` [${cause.code}]` : "";
  return cause ? `${err.message}: ${cause.message}${code}` : err.message;
}

// src/adapters/queue/timer-queue.ts
import { DelayedError, Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
var TIMER_QUEUE = "timers";
function timerJobId(t) {
  switch (t.kind) {
    case "esc-step":
      return `esc-${t.stepId}`;
    case "nudge":
      return `nudge-${t.incidentId}-${t.seq}-${t.at.getTime()}`;
    case "reg-reminder":
      return `regrem-${t.incidentId}`;
    case "cmp-open":
    case "cmp-warn":
    case "cmp-due":
      return `${t.kind}-${t.runId}`;
    case "cmp-digest":
      return `cmp-digest-${t.date}`;
    case "cmp-plan":
      return `cmp-plan-${t.at.getTime()}`;
  }
}
var TimerQueue = class {
  constructor(opts) {
    this.opts = opts;
    this.queue = new Queue(TIMER_QUEUE, { connection: this.redis(), prefix: opts.prefix });
  }
  opts;
  queue;
  worker = null;
  connections = [];
  redis() {
    const r = new Redis(this.opts.redisUrl, { maxRetriesPerRequest: null });
    r.on("error", (err) => this.opts.log.warn({ err: err.message }, "redis connection error (timers)"));
    this.connections.push(r);
    return r;
  }
  async wake(specs) {
    if (specs.length === 0) return;
    const now = Date.now();
    await this.queue.addBulk(
      specs.map((t) => {
        const data = { ...t, at: t.at.getTime() };
        return {
          name: t.kind,
          data,
          opts: {
            jobId: timerJobId(t),
            delay: Math.max(0, t.at.getTime() - now),
            attempts: this.opts.attempts ?? 6,
            backoff: { type: "exponential", delay: this.opts.backoffMs ?? 1e3 },
            removeOnComplete: true,
            removeOnFail: true
          }
        };
      })
    );
  }
  /**
   * A repeating wake-up by cron pattern in a time zone (BullMQ job scheduler): the compliance
   * planner runs daily at local midnight whatever the DST offset.
   */
  async scheduleDaily(id, pattern, tz, spec) {
    await this.queue.upsertJobScheduler(id, { pattern, tz }, { name: spec.kind, data: { ...spec, at: 0 }, opts: { removeOnComplete: true, removeOnFail: true } });
  }
  start() {
    this.worker = new Worker(TIMER_QUEUE, (job) => this.process(job), {
      connection: this.redis(),
      prefix: this.opts.prefix,
      concurrency: this.opts.concurrency ?? 16,
      ...this.opts.stalledMs ? { stalledInterval: this.opts.stalledMs, lockDuration: Math.max(this.opts.stalledMs, 5e3) } : {}
    });
    this.worker.on("error", (err) => this.opts.log.warn({ err: err.message }, "timer worker error"));
  }
  async process(job) {
    const spec = { ...job.data, at: new Date(job.data.at) };
    try {
      await this.opts.run(spec);
    } catch (err) {
      if (err instanceof TransientError && err.retryAfterMs !== null) {
        await job.moveToDelayed(Date.now() + err.retryAfterMs, job.token);
        throw new DelayedError();
      }
      this.opts.log.warn({ timer: job.id, err: err.message, attempt: job.attemptsMade + 1 }, "timer handler failed; will retry");
      throw err;
    }
  }
  async depth() {
    return this.queue.getJobCounts("waiting", "active", "delayed");
  }
  async close() {
    await this.worker?.close();
    await this.queue.close();
    await Promise.all(this.connections.map((c) => c.quit().catch(() => c.disconnect())));
  }
};

// src/adapters/metrics/prom-metrics.ts
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
var PromMetrics = class {
  registry = new Registry();
  lateness = new Histogram({
    name: "warroom_timer_lateness_seconds",
    help: "Fire time minus due time of escalation steps, nudges and reminders",
    labelNames: ["kind"],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300],
    registers: [this.registry]
  });
  pages = new Counter({ name: "warroom_pages_total", help: "PagerDuty triggers by result", labelNames: ["result"], registers: [this.registry] });
  smsCount = new Counter({ name: "warroom_sms_total", help: "SMS by result", labelNames: ["result"], registers: [this.registry] });
  nudges = new Counter({ name: "warroom_status_nudges_total", help: "Status-update reminders posted", registers: [this.registry] });
  failures = new Counter({ name: "warroom_failures_total", help: "Failures shown to humans, by kind", labelNames: ["kind"], registers: [this.registry] });
  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "warroom_" });
  }
  timerLateness(kind, ms) {
    this.lateness.observe({ kind }, ms / 1e3);
  }
  page(result) {
    this.pages.inc({ result });
  }
  sms(result) {
    this.smsCount.inc({ result });
  }
  nudge() {
    this.nudges.inc();
  }
  failure(kind) {
    this.failures.inc({ kind });
  }
};

// src/adapters/slack/ids.ts
var ACTION = {
  roleTake: "role_take",
  roleAssign: "role_assign",
  acknowledge: "incident_ack",
  deployApprove: "deploy_approve",
  deployDeny: "deploy_deny",
  checklistDone: "checklist_done",
  complianceDone: "compliance_done",
  complianceProblem: "compliance_problem"
};
var VIEW = {
  declare: "declare_incident",
  complianceDone: "compliance_done_modal",
  complianceProblem: "compliance_problem_modal"
};
var FIELD = {
  title: "title",
  severity: "severity",
  impact: "impact",
  serviceSelect: "service_select",
  serviceText: "service_text",
  private: "private"
};
var POST_METADATA = "warroom_post";
var encodeRoleTarget = (incidentId, role) => `role|${incidentId}|${role}`;
function decodeRoleTarget(value) {
  const m = /^role\|(\d{1,9})\|([a-z0-9_-]{1,64})$/.exec(value ?? "");
  return m ? { incidentId: Number(m[1]), role: m[2] } : null;
}
var encodeDeployRequest = (id) => `deploy|${id}`;
function decodeDeployRequest(value) {
  const m = /^deploy\|(\d{1,9})$/.exec(value ?? "");
  return m ? Number(m[1]) : null;
}
var encodeChecklistItem = (incidentId, item) => `reg|${incidentId}|${item}`;
function decodeChecklistItem(value) {
  const m = /^reg\|(\d{1,9})\|([a-z0-9_-]{1,64})$/.exec(value ?? "");
  return m ? { incidentId: Number(m[1]), item: m[2] } : null;
}
function decodeAck(value) {
  const m = /^ack\|(\d{1,9})$/.exec(value ?? "");
  return m ? Number(m[1]) : null;
}
var encodeRun = (runId) => `run|${runId}`;
function decodeRun(value) {
  const m = /^run\|(\d{1,9})$/.exec(value ?? "");
  return m ? Number(m[1]) : null;
}

// src/adapters/slack/listeners/reply.ts
import { randomBytes } from "node:crypto";
function userMessage(err, log, context) {
  if (err instanceof DomainError) {
    log.info({ ...context, code: err.code }, "refused");
    return `:warning: ${esc(err.message)}`;
  }
  const ref2 = randomBytes(4).toString("hex");
  if (err instanceof SlowAnswerError) {
    log.error({ ...context, ref: ref2 }, "could not answer within Slack's deadline (database slow or unreachable?)");
    return `:hourglass: I couldn't confirm this within Slack's 3 seconds (the incident database is slow or unreachable). It may still go through: check in a minute before retrying. (ref ${ref2})`;
  }
  const pgDown = isDatabaseUnavailable(err);
  log.error({ ...context, err, ref: ref2 }, pgDown ? "database unavailable" : "unexpected error");
  return pgDown ? `:x: I can't record this right now (the incident database is unreachable), so nothing was saved. Try again in a minute; if it's urgent, page the on-call directly. (ref ${ref2})` : `:x: Something went wrong and nothing was saved (ref ${ref2}). Try again; if it keeps failing, tell the warroom maintainers with the ref.`;
}
function isDatabaseUnavailable(err) {
  const e = err;
  const code = e?.cause?.code ?? e?.code ?? "";
  return ["ECONNREFUSED", "ECONNRESET", "CONNECT_TIMEOUT", "CONNECTION_CLOSED", "CONNECTION_ENDED", "57P01", "57P03", "08006", "08001"].includes(code);
}
var ephemeral = (text3) => ({ response_type: "ephemeral", text: text3 });
var ACK_BUDGET_MS = 2500;
var SlowAnswerError = class extends Error {
  constructor() {
    super(`no answer within ${ACK_BUDGET_MS} ms`);
    this.name = "SlowAnswerError";
  }
};
async function beforeSlackDeadline(work, ms = ACK_BUDGET_MS) {
  let timer;
  try {
    return await Promise.race([work, new Promise((_, reject) => timer = setTimeout(() => reject(new SlowAnswerError()), ms))]);
  } finally {
    clearTimeout(timer);
  }
}

// src/adapters/slack/listeners/escalation-actions.ts
function registerEscalationActions(app, deps) {
  app.action(ACTION.acknowledge, async ({ ack, body, action, respond: respond2 }) => {
    await ack();
    let text3;
    try {
      const id = decodeAck(action.value);
      if (id === null) throw new DomainError("bad_action", "That button is not one of mine any more; use the pinned header card.");
      text3 = await acknowledge(deps, { incidentId: id }, body.user.id);
    } catch (err) {
      text3 = userMessage(err, deps.log, { action: ACTION.acknowledge, user: body.user.id });
    }
    await respond2({ response_type: "ephemeral", replace_original: false, text: text3 }).catch((err) => deps.log.warn({ err: err.message }, "respond failed"));
  });
  app.action(ACTION.checklistDone, async ({ ack, body, action, respond: respond2 }) => {
    await ack();
    let text3;
    try {
      const target = decodeChecklistItem(action.value);
      if (!target) throw new DomainError("bad_action", "That button is not one of mine any more.");
      text3 = await completeChecklistItem(deps, target.incidentId, target.item, body.user.id);
    } catch (err) {
      text3 = userMessage(err, deps.log, { action: ACTION.checklistDone, user: body.user.id });
    }
    await respond2({ response_type: "ephemeral", replace_original: false, text: text3 }).catch((err) => deps.log.warn({ err: err.message }, "respond failed"));
  });
}

// src/http/health.ts
function asyncRoute(fn) {
  return (req, res) => {
    fn(req, res).catch((err) => {
      if (!res.headersSent) sendJson(res, 500, { error: "internal_error", message: err.message });
      else res.end();
    });
  };
}
function sendJson(res, status, body) {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}
async function within(ms, probe) {
  let timer;
  try {
    await Promise.race([probe(), new Promise((_, reject) => timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))]);
    return "ok";
  } catch (err) {
    return err.message || "unreachable";
  } finally {
    clearTimeout(timer);
  }
}
function healthRoutes(probes) {
  return [
    { path: "/healthz", method: "GET", handler: (_req, res) => sendJson(res, 200, { status: "ok" }) },
    {
      path: "/readyz",
      method: "GET",
      handler: asyncRoute(async (_req, res) => {
        const names = Object.keys(probes);
        const results = await Promise.all(names.map((n) => within(1500, probes[n])));
        const checks = Object.fromEntries(names.map((n, i) => [n, results[i]]));
        const ready = results.every((r) => r === "ok");
        sendJson(res, ready ? 200 : 503, { status: ready ? "ready" : "not ready", checks });
      })
    }
  ];
}

// src/adapters/postgres/compliance-store.ts
import { and, desc as desc2, eq, inArray, isNull } from "drizzle-orm";

// src/adapters/postgres/audit-log.ts
import { desc, sql as dsql } from "drizzle-orm";

// src/domain/audit-chain.ts
import { createHash } from "node:crypto";
var GENESIS_HASH = "0".repeat(64);
function canonicalJson(value) {
  if (value === null || typeof value !== "object") return JSON.stringify(value ?? null);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value).filter(([, v]) => v !== void 0).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}
function encodeAuditRecord(r, prevHash) {
  return canonicalJson({
    seq: r.seq,
    occurred_at: r.occurredAt.toISOString(),
    actor: r.actor,
    action: r.action,
    incident_id: r.incidentId,
    subject: r.subject,
    data: r.data ?? null,
    prev_hash: prevHash
  });
}
function hashAuditRecord(r, prevHash) {
  return createHash("sha256").update(encodeAuditRecord(r, prevHash)).digest("hex");
}
function chain(r, prevHash) {
  return { ...r, prevHash, hash: hashAuditRecord(r, prevHash) };
}

// src/adapters/postgres/schema.ts
var schema_exports = {};
__export(schema_exports, {
  auditEvents: () => auditEvents,
  complianceDigests: () => complianceDigests,
  complianceRuns: () => complianceRuns,
  deliveries: () => deliveries,
  deployRequests: () => deployRequests,
  escalationSteps: () => escalationSteps,
  incidents: () => incidents,
  regulatoryChecklists: () => regulatoryChecklists,
  workItems: () => workItems
});
import { sql } from "drizzle-orm";
import { bigint, bigserial, boolean, char, index, integer, jsonb, pgTable, serial, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
var ts = (name) => timestamp(name, { withTimezone: true, precision: 3 });
var incidents = pgTable(
  "incidents",
  {
    id: serial("id").primaryKey(),
    requestKey: text("request_key").notNull(),
    title: text("title").notNull(),
    severity: text("severity").notNull(),
    status: text("status").notNull().default("open"),
    customerImpact: text("customer_impact"),
    service: text("service"),
    isPrivate: boolean("is_private").notNull().default(false),
    declaredBy: text("declared_by").notNull(),
    declaredAt: ts("declared_at").notNull(),
    originChannel: text("origin_channel"),
    roles: jsonb("roles").notNull().default(sql`'{}'::jsonb`),
    lastStatus: text("last_status"),
    resolvedAt: ts("resolved_at"),
    resolvedBy: text("resolved_by"),
    resolution: text("resolution"),
    version: integer("version").notNull().default(1),
    // War-room setup progress, one column per step (see app/setup-war-room.ts).
    channelName: text("channel_name"),
    channelId: text("channel_id"),
    topicSet: boolean("topic_set").notNull().default(false),
    invited: boolean("invited").notNull().default(false),
    headerTs: text("header_ts"),
    pinned: boolean("pinned").notNull().default(false),
    announceChannelId: text("announce_channel_id"),
    announceTs: text("announce_ts"),
    readyAt: ts("ready_at"),
    // Response and escalation (issue 4).
    acknowledgedAt: ts("acknowledged_at"),
    acknowledgedBy: text("acknowledged_by"),
    responseHow: text("response_how"),
    responseMs: integer("response_ms"),
    /** The fencing token: bumped by acknowledge, severity change and resolve. */
    escGeneration: integer("esc_generation").notNull().default(1),
    clockStart: ts("clock_start"),
    clockDeferredFrom: text("clock_deferred_from"),
    pagedServices: jsonb("paged_services").notNull().default(sql`'[]'::jsonb`),
    lastStatusAt: ts("last_status_at"),
    /** Bumped by every status update: a nudge timer of an older sequence does nothing. */
    statusSeq: integer("status_seq").notNull().default(0),
    nextNudgeAt: ts("next_nudge_at"),
    /** The incident version the Slack views last showed; a sync with nothing newer is skipped. */
    renderedVersion: integer("rendered_version").notNull().default(0),
    failedAt: ts("failed_at")
  },
  (t) => [
    uniqueIndex("incidents_request_key_uq").on(t.requestKey),
    uniqueIndex("incidents_channel_id_uq").on(t.channelId),
    index("incidents_open_idx").on(t.status, t.severity)
  ]
);
var auditEvents = pgTable(
  "audit_events",
  {
    seq: bigint("seq", { mode: "number" }).primaryKey(),
    occurredAt: ts("occurred_at").notNull(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    incidentId: integer("incident_id"),
    subject: text("subject").notNull(),
    data: jsonb("data"),
    prevHash: char("prev_hash", { length: 64 }).notNull(),
    hash: char("hash", { length: 64 }).notNull()
  },
  (t) => [index("audit_events_incident_idx").on(t.incidentId, t.seq)]
);
var workItems = pgTable(
  "work_items",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    kind: text("kind").notNull(),
    dedupeKey: text("dedupe_key").notNull(),
    payload: jsonb("payload").notNull(),
    status: text("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    runAt: ts("run_at").notNull().defaultNow(),
    createdAt: ts("created_at").notNull().defaultNow(),
    updatedAt: ts("updated_at").notNull().defaultNow()
  },
  (t) => [uniqueIndex("work_items_dedupe_uq").on(t.dedupeKey), index("work_items_pending_idx").on(t.status, t.runAt)]
);
var deployRequests = pgTable(
  "deploy_requests",
  {
    id: serial("id").primaryKey(),
    type: text("type").notNull(),
    service: text("service").notNull(),
    summary: text("summary").notNull(),
    requestedBy: text("requested_by").notNull(),
    requestedAt: ts("requested_at").notNull(),
    forAt: ts("for_at").notNull(),
    session: text("session").notNull(),
    risk: text("risk").notNull(),
    windowName: text("window_name").notNull(),
    windowEnds: ts("window_ends").notNull(),
    capacities: jsonb("capacities").notNull(),
    grants: jsonb("grants").notNull().default(sql`'[]'::jsonb`),
    freezeIncidentId: integer("freeze_incident_id"),
    status: text("status").notNull().default("pending"),
    decidedBy: text("decided_by"),
    decidedAt: ts("decided_at"),
    validFrom: ts("valid_from"),
    expiresAt: ts("expires_at"),
    cardChannelId: text("card_channel_id"),
    cardTs: text("card_ts")
  },
  (t) => [index("deploy_requests_grant_idx").on(t.service, t.type, t.status, t.expiresAt)]
);
var escalationSteps = pgTable(
  "escalation_steps",
  {
    id: serial("id").primaryKey(),
    incidentId: integer("incident_id").notNull(),
    generation: integer("generation").notNull(),
    stepIndex: integer("step_index").notNull(),
    severity: text("severity").notNull(),
    dueAt: ts("due_at").notNull(),
    always: boolean("always").notNull(),
    actions: jsonb("actions").notNull(),
    /** pending → claimed → sent | partial | failed; or skipped / cancelled. */
    status: text("status").notNull().default("pending"),
    claimedAt: ts("claimed_at"),
    firedAt: ts("fired_at"),
    latenessMs: integer("lateness_ms"),
    doneAt: ts("done_at"),
    outcome: jsonb("outcome")
  },
  (t) => [uniqueIndex("escalation_steps_uq").on(t.incidentId, t.generation, t.stepIndex), index("escalation_steps_status_idx").on(t.status, t.dueAt)]
);
var deliveries = pgTable(
  "deliveries",
  {
    id: serial("id").primaryKey(),
    stepId: integer("step_id").notNull(),
    channel: text("channel").notNull(),
    recipient: text("recipient").notNull(),
    status: text("status").notNull(),
    detail: text("detail"),
    at: ts("at").notNull().defaultNow()
  },
  (t) => [uniqueIndex("deliveries_uq").on(t.stepId, t.channel, t.recipient)]
);
var regulatoryChecklists = pgTable("regulatory_checklists", {
  incidentId: integer("incident_id").primaryKey(),
  dueAt: ts("due_at").notNull(),
  items: jsonb("items").notNull(),
  channelId: text("channel_id"),
  ts: text("ts"),
  remindedAt: ts("reminded_at"),
  completedAt: ts("completed_at")
});
var complianceRuns = pgTable(
  "compliance_runs",
  {
    id: serial("id").primaryKey(),
    taskId: text("task_id").notNull(),
    date: text("date").notNull(),
    opensAt: ts("opens_at").notNull(),
    warnAt: ts("warn_at").notNull(),
    dueAt: ts("due_at").notNull(),
    /** scheduled → open → done | missed (→ done, late) | failed */
    status: text("status").notNull().default("scheduled"),
    openedAt: ts("opened_at"),
    warnedAt: ts("warned_at"),
    missedAt: ts("missed_at"),
    doneAt: ts("done_at"),
    doneBy: text("done_by"),
    evidence: text("evidence"),
    note: text("note"),
    problemAt: ts("problem_at"),
    problemNote: text("problem_note"),
    channelId: text("channel_id"),
    cardTs: text("card_ts")
  },
  (t) => [uniqueIndex("compliance_runs_uq").on(t.taskId, t.date), index("compliance_runs_date_idx").on(t.date), index("compliance_runs_status_idx").on(t.status)]
);
var complianceDigests = pgTable("compliance_digests", {
  date: text("date").primaryKey(),
  dueAt: ts("due_at").notNull(),
  postedAt: ts("posted_at")
});

// src/adapters/postgres/audit-log.ts
var CHAIN_HEAD_LOCK = 7461007002;
async function appendAudit(tx, entry, at) {
  await tx.execute(dsql`select pg_advisory_xact_lock(${CHAIN_HEAD_LOCK})`);
  const [head] = await tx.select({ seq: auditEvents.seq, hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
  const record = chain(
    { seq: (head?.seq ?? 0) + 1, occurredAt: at, actor: entry.actor, action: entry.action, incidentId: entry.incidentId, subject: entry.subject, data: entry.data ?? null },
    head?.hash ?? "0".repeat(64)
  );
  await tx.insert(auditEvents).values({
    seq: record.seq,
    occurredAt: record.occurredAt,
    actor: record.actor,
    action: record.action,
    incidentId: record.incidentId,
    subject: record.subject,
    data: record.data,
    prevHash: record.prevHash,
    hash: record.hash
  });
  return record.seq;
}

// src/adapters/postgres/outbox.ts
async function enqueueWork(tx, item, into) {
  const [row] = await tx.insert(workItems).values({ kind: item.kind, dedupeKey: item.dedupeKey, payload: item.payload }).onConflictDoNothing({ target: workItems.dedupeKey }).returning({ id: workItems.id });
  if (row) into.push({ id: row.id, item });
}
async function withOutbox(db, onCommitted, fn) {
  const enqueued = [];
  const result = await db.transaction((tx) => fn(tx, enqueued));
  if (enqueued.length) await onCommitted(enqueued);
  return result;
}

// src/adapters/postgres/compliance-store.ts
function toRun(r) {
  return { ...r, status: r.status };
}
var PostgresComplianceStore = class {
  constructor(db, clock, onCommitted, onTimers) {
    this.db = db;
    this.clock = clock;
    this.onCommitted = onCommitted;
    this.onTimers = onTimers;
  }
  db;
  clock;
  onCommitted;
  onTimers;
  async transaction(fn) {
    const timers = [];
    const clock = this.clock;
    const result = await withOutbox(
      this.db,
      this.onCommitted,
      (tx, enqueued) => fn({
        async lockRun(id) {
          const [row] = await tx.select().from(complianceRuns).where(eq(complianceRuns.id, id)).for("update");
          return row ? toRun(row) : null;
        },
        async saveRun(r) {
          const { id: _id, taskId: _t, date: _d, ...rest } = r;
          await tx.update(complianceRuns).set(rest).where(eq(complianceRuns.id, r.id));
        },
        audit: (entry) => appendAudit(tx, entry, clock.now()),
        enqueue: (item) => enqueueWork(tx, item, enqueued),
        wake(timer) {
          timers.push(timer);
        },
        async claimDigest(date, at) {
          const rows = await tx.update(complianceDigests).set({ postedAt: at }).where(and(eq(complianceDigests.date, date), isNull(complianceDigests.postedAt))).returning();
          return rows.length > 0;
        }
      })
    );
    if (timers.length) await this.onTimers(timers);
    return result;
  }
  async materialize(runs, digests) {
    if (digests.length) await this.db.insert(complianceDigests).values(digests).onConflictDoNothing();
    if (runs.length === 0) return [];
    const rows = await this.db.insert(complianceRuns).values(runs).onConflictDoNothing().returning();
    return rows.map(toRun);
  }
  async liveRuns() {
    const rows = await this.db.select().from(complianceRuns).where(inArray(complianceRuns.status, ["scheduled", "open"]));
    return rows.map(toRun);
  }
  async pendingDigests() {
    const rows = await this.db.select().from(complianceDigests).where(isNull(complianceDigests.postedAt));
    return rows.map((r) => ({ date: r.date, dueAt: r.dueAt }));
  }
  async get(id) {
    const [row] = await this.db.select().from(complianceRuns).where(eq(complianceRuns.id, id));
    return row ? toRun(row) : null;
  }
  async find(taskId, date) {
    const [row] = await this.db.select().from(complianceRuns).where(and(eq(complianceRuns.taskId, taskId), eq(complianceRuns.date, date)));
    return row ? toRun(row) : null;
  }
  async runsOn(date) {
    const rows = await this.db.select().from(complianceRuns).where(eq(complianceRuns.date, date)).orderBy(complianceRuns.opensAt);
    return rows.map(toRun);
  }
  async lastRuns(taskId, n) {
    const rows = await this.db.select().from(complianceRuns).where(eq(complianceRuns.taskId, taskId)).orderBy(desc2(complianceRuns.date)).limit(n);
    return rows.map(toRun);
  }
  async recordCard(id, channelId, ts2) {
    await this.db.update(complianceRuns).set({ channelId, cardTs: ts2 }).where(eq(complianceRuns.id, id));
  }
  async audit(entry) {
    await this.db.transaction((tx) => appendAudit(tx, entry, this.clock.now()).then(() => void 0));
  }
};

// src/adapters/slack/blocks.ts
var SEV_EMOJI = { sev1: ":red_circle:", sev2: ":large_orange_circle:", sev3: ":large_yellow_circle:", sev4: ":large_blue_circle:" };
var emoji = (sev) => SEV_EMOJI[sev] ?? ":white_circle:";
var plain = (text3, max) => ({ type: "plain_text", text: truncate2(text3, max), emoji: true });
var md = (text3) => ({ type: "mrkdwn", text: truncate2(text3, 3e3) });
function truncate2(text3, max) {
  const chars = [...text3];
  return chars.length <= max ? text3 : `${chars.slice(0, max - 1).join("")}\u2026`;
}
function statusText(incident) {
  return incident.status === "resolved" ? ":white_check_mark: Resolved" : ":fire: Open";
}
function headerCard(policy, view) {
  const i = view.incident;
  const sev = severityById(policy, i.severity);
  const deadline = sev ? new Date((i.clockStart ?? i.declaredAt).getTime() + sev.respondWithinMs) : null;
  const blocks = [
    { type: "header", text: plain(`${view.ref} \xB7 ${severityLabel(policy, i.severity)}${i.status === "resolved" ? " \xB7 RESOLVED" : ""}`, 150) },
    { type: "section", text: md(`${emoji(i.severity)} *${esc(i.title)}*`) },
    {
      type: "section",
      fields: [
        md(`*Status*
${statusText(i)}`),
        md(`*Severity*
${severityLabel(policy, i.severity)}${sev ? ` \u2014 ${esc(sev.description)}` : ""}`),
        md(`*Declared*
${mention(i.declaredBy)}, ${formatDesk(i.declaredAt, policy.timezone)}`),
        md(i.acknowledgedAt ? `*Responded*
${mention(i.acknowledgedBy)} in ${humanDuration(i.responseMs ?? 0)}` : `*Respond by*
${deadline ? formatClock(deadline, policy.timezone) : "\u2014"}`),
        ...i.service ? [md(`*Service*
${esc(i.service)}`)] : [],
        ...i.customerImpact ? [md(`*Customer impact*
${esc(truncate2(i.customerImpact, 1900))}`)] : []
      ]
    },
    { type: "divider" }
  ];
  for (const role of policy.roles) {
    const holder = i.roles[role.id]?.userId;
    const required = sev?.requiredRoles.includes(role.id);
    blocks.push({ type: "section", block_id: `holder|${role.id}`, text: md(`*${esc(role.label)}*: ${holder ? mention(holder) : required ? "_unassigned \u2014 needed_" : "_unassigned_"}`) });
    if (i.status === "open") {
      blocks.push({
        type: "actions",
        block_id: encodeRoleTarget(i.id, role.id),
        elements: [
          { type: "button", action_id: ACTION.roleTake, text: plain("Take", 75), value: encodeRoleTarget(i.id, role.id) },
          { type: "users_select", action_id: ACTION.roleAssign, placeholder: plain("Assign\u2026", 150) }
        ]
      });
    }
  }
  blocks.splice(3, 0, responseBlock(policy, i));
  if (i.lastStatus && i.status === "open") blocks.push({ type: "context", elements: [md(`*Latest status:* ${esc(truncate2(i.lastStatus, 2800))}`)] });
  if (i.status === "resolved") {
    blocks.push({ type: "section", text: md(`*Resolved* by ${i.resolvedBy ? mention(i.resolvedBy) : "\u2014"} at ${i.resolvedAt ? formatDesk(i.resolvedAt, policy.timezone) : "\u2014"}
${esc(i.resolution ?? "")}`) });
  }
  const ic = commander(i);
  return { text: `${view.ref} ${severityLabel(policy, i.severity)}: ${esc(truncate2(i.title, 150))} \u2014 IC ${ic ? mention(ic) : "unassigned"}`, blocks };
}
function announcement(policy, view, mentions) {
  const i = view.incident;
  const room = view.channelId ? `<#${view.channelId}>` : "(war room being set up)";
  const lead = i.status === "resolved" ? ":white_check_mark: *Resolved*" : `${emoji(i.severity)} *${severityLabel(policy, i.severity)} declared*`;
  const ping = i.status === "open" && mentions.length ? `${mentions.join(" ")} ` : "";
  const text3 = `${ping}${lead} ${view.ref}: ${esc(i.title)}`;
  const blocks = [
    { type: "section", text: md(`${text3}
War room: ${room} \xB7 declared by ${mention(i.declaredBy)} at ${formatDesk(i.declaredAt, policy.timezone)}`) }
  ];
  if (i.status === "resolved" && i.resolution) blocks.push({ type: "context", elements: [md(`Resolution: ${esc(truncate2(i.resolution, 2800))}`)] });
  return { text: text3, blocks };
}
function declareModal(policy, d) {
  const options = policy.severities.map((s) => ({
    text: plain(`${s.id.toUpperCase()} ${s.label}`, 75),
    description: plain(s.description, 75),
    value: s.id
  }));
  const initial = options.find((o) => o.value === d.severity);
  return {
    type: "modal",
    callback_id: VIEW.declare,
    private_metadata: JSON.stringify({ origin: d.originChannel }),
    title: plain("Declare an incident", 24),
    submit: plain("Declare", 24),
    close: plain("Cancel", 24),
    blocks: [
      { type: "input", block_id: FIELD.title, label: plain("Title", 2e3), element: { type: "plain_text_input", action_id: "v", max_length: 150, ...d.title ? { initial_value: truncate2(d.title, 150) } : {} } },
      { type: "input", block_id: FIELD.severity, label: plain("Severity", 2e3), element: { type: "static_select", action_id: "v", options, ...initial ? { initial_option: initial } : {} } },
      { type: "input", block_id: FIELD.impact, optional: true, label: plain("Customer impact", 2e3), element: { type: "plain_text_input", action_id: "v", multiline: true, max_length: 2e3 } },
      ...policy.services.length ? [{ type: "input", block_id: FIELD.serviceSelect, optional: true, label: plain("Affected service", 2e3), element: { type: "static_select", action_id: "v", options: policy.services.slice(0, 100).map((s) => ({ text: plain(s.name, 75), value: s.id })) } }] : [],
      { type: "input", block_id: FIELD.serviceText, optional: true, label: plain(policy.services.length ? "\u2026or another service" : "Affected service", 2e3), element: { type: "plain_text_input", action_id: "v", max_length: 100 } },
      { type: "input", block_id: FIELD.private, optional: true, label: plain("Visibility", 2e3), element: { type: "checkboxes", action_id: "v", options: [{ text: plain("Private incident (private channel)", 75), value: "private" }] } }
    ]
  };
}
function deployCard(v, groupMentions) {
  const r = v.request;
  const zone = v.zone;
  const needs = [...groupMentions, ...r.capacities.includes("incident-commander") ? [`the IC of INC-${r.freezeIncidentId}${v.commander ? ` (${mention(v.commander)})` : ""}`] : []].join(" and ");
  const head = `:rocket: *Deploy request DEP-${r.id}* \xB7 \`${r.type}\` \xB7 \`${esc(r.service)}\` \xB7 risk ${r.risk}`;
  const blocks = [
    { type: "section", text: md(`${head}
>${esc(truncate2(r.summary, 500))}`) },
    {
      type: "context",
      elements: [md(`Requested by ${mention(r.requestedBy)} for ${formatDesk(r.forAt, zone)} (${r.session}, ${esc(r.windowName)}; window ends ${formatDesk(r.windowEnds, zone)}). Needs: ${needs}.`)]
    }
  ];
  const granted = r.grants.map((g) => `${g.capacity} by ${mention(g.by)}`).join(", ");
  if (r.status === "pending") {
    if (granted) blocks.push({ type: "context", elements: [md(`So far: ${granted}`)] });
    blocks.push({
      type: "actions",
      block_id: `deploy|${r.id}`,
      elements: [
        { type: "button", action_id: ACTION.deployApprove, style: "primary", text: plain("Approve", 75), value: encodeDeployRequest(r.id) },
        { type: "button", action_id: ACTION.deployDeny, style: "danger", text: plain("Deny", 75), value: encodeDeployRequest(r.id) }
      ]
    });
  } else if (r.status === "approved") {
    blocks.push({ type: "section", text: md(`:white_check_mark: *Approved* (${granted}) at ${r.decidedAt ? formatDesk(r.decidedAt, zone) : "\u2014"}; valid until ${r.expiresAt ? formatDesk(r.expiresAt, zone) : "\u2014"}`) });
  } else {
    blocks.push({ type: "section", text: md(`:x: *Denied* by ${r.decidedBy && r.decidedBy !== "warroom" ? mention(r.decidedBy) : "warroom (the window ended)"} at ${r.decidedAt ? formatDesk(r.decidedAt, zone) : "\u2014"}`) });
  }
  const status = r.status === "pending" ? `needs ${needs}` : r.status;
  return { text: `${groupMentions.join(" ")} Deploy request DEP-${r.id}: ${r.type} ${esc(r.service)} \u2014 ${status}`.trim(), blocks };
}
function checklistCard(v) {
  const c = v.checklist;
  const room = v.warRoomChannelId ? ` \xB7 war room <#${v.warRoomChannelId}>` : "";
  const state = c.completedAt ? `:white_check_mark: complete ${formatDesk(c.completedAt, v.zone)}` : `due ${formatDesk(c.dueAt, v.zone)}`;
  const blocks = [
    { type: "header", text: plain(`Regulatory checklist \xB7 ${v.incidentRef}`, 150) },
    { type: "section", text: md(`*${esc(truncate2(v.title, 200))}*${room}
${state}`) }
  ];
  for (const item of c.items) {
    const owners = item.owners.map((o) => v.ownerMentions[o] ?? `@${o}`).join(" ");
    if (item.doneAt) {
      const late = new Date(item.doneAt) > c.dueAt ? " (late)" : "";
      blocks.push({ type: "section", text: md(`:white_check_mark: ~${esc(item.title)}~ \u2014 ${mention(item.doneBy)} at ${formatDesk(new Date(item.doneAt), v.zone)}${late}`) });
    } else {
      blocks.push({
        type: "section",
        text: md(`:black_square_button: *${esc(item.title)}* \u2014 owner ${owners}`),
        accessory: { type: "button", action_id: ACTION.checklistDone, text: plain("Done", 75), value: encodeChecklistItem(c.incidentId, item.id) }
      });
    }
  }
  return { text: `Regulatory checklist for ${v.incidentRef}: ${state}`, blocks };
}
function responseBlock(policy, i) {
  if (i.acknowledgedAt || i.status !== "open") return { type: "context", elements: [md(i.acknowledgedAt ? `Response: ${mention(i.acknowledgedBy)} after ${humanDuration(i.responseMs ?? 0)}` : "No response was recorded")] };
  const sev = severityById(policy, i.severity);
  const deadline = sev ? formatClock(new Date((i.clockStart ?? i.declaredAt).getTime() + sev.respondWithinMs), policy.timezone) : "\u2014";
  return {
    type: "actions",
    block_id: `ack|${i.id}`,
    elements: [{ type: "button", action_id: ACTION.acknowledge, style: "primary", text: plain(`Acknowledge (respond by ${deadline})`, 75), value: `ack|${i.id}` }]
  };
}
function complianceCard(v) {
  const { run, task, zone } = v;
  const day = formatDesk(run.opensAt, zone).split(" ").slice(0, 3).join(" ");
  let state;
  switch (run.status) {
    case "done": {
      const lateMs = run.doneAt.getTime() - run.dueAt.getTime();
      const by = run.doneBy.startsWith("token:") ? `the job (\`${run.doneBy}\`)` : mention(run.doneBy);
      state = `${lateMs > 0 ? `:warning: *Done late (+${humanDuration(lateMs)})*` : ":white_check_mark: *Done*"} by ${by} at ${formatClock(run.doneAt, zone)}`;
      if (run.evidence) state += `
Evidence: ${esc(run.evidence)}`;
      if (run.note) state += `
Note: ${esc(run.note)}`;
      break;
    }
    case "missed":
      state = `:red_circle: *Overdue* since ${formatClock(run.dueAt, zone)}`;
      break;
    case "failed":
      state = `:x: *The job reported a failure*${run.problemNote ? `: ${esc(run.problemNote)}` : ""}`;
      break;
    default:
      state = `:large_blue_circle: Open \u2014 due ${formatClock(run.dueAt, zone)}`;
  }
  if (run.problemAt && run.status !== "failed" && run.status !== "done") state += `
:warning: Problem reported${run.problemNote ? `: ${esc(run.problemNote)}` : ""}`;
  const blocks = [
    { type: "header", text: plain(`${task.title} \xB7 ${day}`, 150) },
    {
      type: "section",
      fields: [
        md(`*Covers*
${run.date}`),
        md(`*Due*
${formatClock(run.dueAt, zone)}`),
        md(`*Owner*
${v.ownerMention}`),
        md(`*Kind*
${task.kind}`)
      ]
    },
    { type: "section", text: md(state) }
  ];
  if (v.postedLateMs > 5e3) blocks.push({ type: "context", elements: [md(`:warning: Posted ${humanDuration(v.postedLateMs)} late (opened at ${formatClock(run.opensAt, zone)}; the bot was not running)`)] });
  if (run.status !== "done") {
    blocks.push({
      type: "actions",
      block_id: `run|${run.id}`,
      elements: [
        { type: "button", action_id: ACTION.complianceDone, style: "primary", text: plain("Mark done", 75), value: encodeRun(run.id) },
        { type: "button", action_id: ACTION.complianceProblem, text: plain("Report a problem", 75), value: encodeRun(run.id) }
      ]
    });
  }
  return { text: `${task.title} for ${run.date}: ${run.status === "done" ? "done" : run.status === "missed" ? "overdue" : `due ${formatClock(run.dueAt, zone)}`} \u2014 ${v.ownerMention}`, blocks };
}
function complianceModal(kind, runId, title) {
  const input = (block, label, multiline, optional, max) => ({
    type: "input",
    block_id: block,
    optional,
    label: plain(label, 2e3),
    element: { type: "plain_text_input", action_id: "v", multiline, max_length: max }
  });
  return {
    type: "modal",
    callback_id: kind === "done" ? VIEW.complianceDone : VIEW.complianceProblem,
    private_metadata: JSON.stringify({ runId }),
    title: plain(kind === "done" ? "Mark done" : "Report a problem", 24),
    submit: plain(kind === "done" ? "Mark done" : "Report", 24),
    close: plain("Cancel", 24),
    blocks: [
      { type: "section", text: md(`*${esc(truncate2(title, 200))}*`) },
      ...kind === "done" ? [input("evidence", "Evidence (link or reference)", false, true, 1e3), input("note", "Note", true, true, 2e3)] : [input("note", "What is wrong?", true, false, 2e3)]
    ]
  };
}

// src/adapters/slack/listeners/compliance.ts
function registerCompliance(app, deps) {
  app.command("/compliance", async ({ command, ack }) => {
    let reply;
    try {
      const arg = (command.text ?? "").trim().toLowerCase();
      if (arg === "help") reply = "*`/compliance`* \u2014 today's tasks and their states \xB7 *`/compliance <task-id>`* \u2014 the last 10 runs of one task";
      else if (/\s/.test(arg)) throw new DomainError("bad_syntax", "Usage: `/compliance` or `/compliance <task-id>`, e.g. `/compliance finra-cat`.");
      else reply = await beforeSlackDeadline(arg ? historyText(deps, arg) : todayText(deps));
    } catch (err) {
      reply = userMessage(err, deps.log, { command: "/compliance", user: command.user_id });
    }
    await ack(ephemeral(reply));
  });
  for (const [actionId, kind] of [[ACTION.complianceDone, "done"], [ACTION.complianceProblem, "problem"]]) {
    app.action(actionId, async ({ ack, body, action, client, respond: respond2 }) => {
      await ack();
      try {
        const runId = decodeRun(action.value);
        const run = runId === null ? null : await deps.store.get(runId);
        const task = run && taskOf(deps, run.taskId);
        if (!run || !task) throw new DomainError("bad_action", "That button is not one of mine any more.");
        if (run.status === "done") throw new DomainError("already_done", `${task.title} for ${run.date} is already done.`);
        await client.views.open({ trigger_id: body.trigger_id, view: complianceModal(kind, run.id, `${task.title} \u2014 ${run.date}`) });
      } catch (err) {
        await respond2({ response_type: "ephemeral", replace_original: false, text: userMessage(err, deps.log, { action: actionId, user: body.user.id }) }).catch(() => void 0);
      }
    });
  }
  const runIdOf = (view) => Number(JSON.parse(view.private_metadata || "{}").runId);
  const value = (view, block) => view.state.values[block]?.["v"]?.value ?? "";
  app.view(VIEW.complianceDone, async ({ ack, view, body }) => {
    try {
      await completeRun(deps, runIdOf(view), { user: body.user.id }, { note: value(view, "note"), evidence: value(view, "evidence") });
      await ack();
    } catch (err) {
      await ack({ response_action: "errors", errors: { evidence: userMessage(err, deps.log, { view: VIEW.complianceDone, user: body.user.id }) } });
    }
  });
  app.view(VIEW.complianceProblem, async ({ ack, view, body }) => {
    try {
      await reportProblem(deps, runIdOf(view), { user: body.user.id }, value(view, "note"), false);
      await ack();
    } catch (err) {
      await ack({ response_action: "errors", errors: { note: userMessage(err, deps.log, { view: VIEW.complianceProblem, user: body.user.id }) } });
    }
  });
}

// src/http/compliance-api.ts
import { DateTime as DateTime8 } from "luxon";

// src/http/deploy-gate.ts
import { createHash as createHash2, timingSafeEqual } from "node:crypto";
import { DateTime as DateTime7 } from "luxon";

// src/domain/deploy-command.ts
import { DateTime as DateTime6 } from "luxon";
var EXAMPLES = "`/deploy-window standard`, `/deploy-window emergency at 2026-11-27 13:30`, `/deploy-window standard at tomorrow 09:00`";
var WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
var SERVICE_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
function badTime(text3) {
  return new DomainError("bad_time", `I can't read the time "${text3}". Write it like \`16:30\`, \`tomorrow 09:00\`, \`friday 20:00\`, \`2026-11-27 13:30\` (ET) or \`2026-11-27T18:30:00Z\`.`);
}
function parseWhen(text3, now, zone) {
  const t = text3.trim().toLowerCase();
  const local = now.setZone(zone);
  if (/^\d{4}-\d{2}-\d{2}t/.test(t)) {
    const dt = DateTime6.fromISO(text3.trim(), { setZone: true });
    if (!dt.isValid) throw badTime(text3);
    return /(z|[+-]\d{2}:?\d{2})$/.test(t) ? dt : DateTime6.fromISO(text3.trim(), { zone });
  }
  let m = /^(\d{4}-\d{2}-\d{2})\s+(\d{1,2}):(\d{2})$/.exec(t);
  if (m) return atLocal(DateTime6.fromISO(m[1], { zone }), m[2], m[3], text3);
  m = /^(?:(today|tomorrow|now|[a-z]+)\s*)?(?:(\d{1,2}):(\d{2}))?$/.exec(t);
  if (!m || !m[1] && !m[2]) throw badTime(text3);
  const word = m[1];
  if (word === "now" && !m[2]) return local;
  let day = local.startOf("day");
  if (word === "tomorrow") day = day.plus({ days: 1 });
  else if (word && word !== "today") {
    const idx = WEEKDAYS.findIndex((d) => d === word || d.slice(0, 3) === word);
    if (idx < 0) throw badTime(text3);
    const ahead = (idx + 1 - local.weekday + 7) % 7 || 7;
    day = day.plus({ days: ahead });
  }
  if (!m[2]) throw badTime(text3);
  return atLocal(day, m[2], m[3], text3);
}
function atLocal(day, hh, mm, original) {
  const h = Number(hh);
  const min = Number(mm);
  if (!day.isValid || h > 23 || min > 59) throw badTime(original);
  const dt = DateTime6.fromObject({ year: day.year, month: day.month, day: day.day, hour: h, minute: min }, { zone: day.zoneName ?? void 0 });
  if (!dt.isValid) throw badTime(original);
  return dt;
}
function takeTime(words, now, zone) {
  if (words[0]?.toLowerCase() !== "at") return null;
  if (words.length < 2) throw new DomainError("bad_time", `Say when after \`at\`, e.g. ${EXAMPLES}.`);
  let lastError;
  for (const n of [2, 1]) {
    if (words.length < 1 + n) continue;
    try {
      return { at: parseWhen(words.slice(1, 1 + n).join(" "), now, zone), rest: words.slice(1 + n) };
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}
function parseDeployWindowCommand(text3, now, zone) {
  const words = text3.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return { kind: "overview", at: now, explicitTime: false };
  const first = words[0].toLowerCase();
  if (first === "help") return { kind: "help" };
  if (first === "at") {
    const t2 = takeTime(words, now, zone);
    if (t2.rest.length) throw new DomainError("bad_syntax", `I didn't understand "${t2.rest.join(" ")}". Try ${EXAMPLES}.`);
    return { kind: "overview", at: t2.at, explicitTime: true };
  }
  if (first === "request") {
    if (words.length < 4) {
      throw new DomainError("bad_syntax", "Usage: `/deploy-window request <type> <service> [at <time>] <change summary>`, e.g. `/deploy-window request standard payments Rotate TLS certificates`.");
    }
    const type2 = parseDeployType(words[1]);
    const service = words[2].toLowerCase();
    if (!SERVICE_PATTERN.test(service)) throw new DomainError("bad_service", `"${words[2]}" is not a service name (lowercase letters, digits, . _ -), e.g. \`payments\`.`);
    const t2 = takeTime(words.slice(3), now, zone);
    const summary = (t2 ? t2.rest : words.slice(3)).join(" ").trim();
    if (!summary) throw new DomainError("summary_required", "Add a change summary, e.g. `/deploy-window request standard payments Rotate TLS certificates`.");
    if ([...summary].length > 500) throw new DomainError("summary_too_long", "Keep the change summary under 500 characters; link the change record for details.");
    const at = t2?.at ?? now;
    if (at < now.minus({ minutes: 1 })) throw new DomainError("in_the_past", `${at.setZone(zone).toFormat("ccc d LLL HH:mm")} ET is in the past; request a window now or later.`);
    return { kind: "request", type: type2, service, at, explicitTime: Boolean(t2), summary };
  }
  const type = parseDeployType(first);
  const t = takeTime(words.slice(1), now, zone);
  const rest = t ? t.rest : words.slice(1);
  if (rest.length) throw new DomainError("bad_syntax", `I didn't understand "${rest.join(" ")}". Try ${EXAMPLES}.`);
  return { kind: "check", type, at: t?.at ?? now, explicitTime: Boolean(t) };
}
var DEPLOY_WINDOW_HELP = [
  "*`/deploy-window` \u2014 may a release go out?*",
  "\u2022 `/deploy-window` \u2014 the market session now, what each deploy type needs, any freeze, today's schedule",
  "\u2022 `/deploy-window <type> [at <time>]` \u2014 the answer for `non-critical`, `standard` or `emergency` (times in ET unless an offset is given: `16:30`, `tomorrow 09:00`, `2026-11-27 13:30`)",
  "\u2022 `/deploy-window request <type> <service> [at <time>] <change summary>` \u2014 ask the approver group where approval is needed"
].join("\n");

// src/http/deploy-gate.ts
var digest = (s) => createHash2("sha256").update(s).digest();
function authenticate(req, tokens, scope) {
  const header = req.headers["authorization"] ?? "";
  const m = /^Bearer\s+(\S+)$/i.exec(Array.isArray(header) ? header[0] : header);
  const given = digest(m?.[1] ?? "");
  let found = null;
  for (const t of tokens) if (timingSafeEqual(given, digest(t.value)) && m && t.scopes.includes(scope)) found = t.name;
  return found;
}
function badRequest(field, message) {
  return { status: 400, body: { error: "bad_request", field, message } };
}
function deployGateRoutes(deps, tokens) {
  return [
    {
      path: "/api/v1/deploy-window",
      method: "GET",
      handler: asyncRoute(async (req, res) => {
        const token = authenticate(req, tokens, "deploy-gate");
        if (!token) {
          deps.log.warn({ path: "/api/v1/deploy-window", remote: req.socket.remoteAddress }, "deploy gate: missing or invalid token");
          res.setHeader("www-authenticate", 'Bearer realm="warroom"');
          return sendJson(res, 401, { error: "unauthorized", message: "Send Authorization: Bearer <token> with a token named in the policy (api_tokens)." });
        }
        const url = new URL(req.url ?? "/", "http://gate");
        const q = parseQuery(url.searchParams, deps);
        if ("status" in q) return sendJson(res, q.status, q.body);
        const d = await checkDeployWindow(deps, q);
        const { requestId } = await deps.deploys.grantsAt(q.service, q.type, q.at.toJSDate());
        const iso = (t) => t?.setZone(deps.policy.timezone).toISO({ suppressMilliseconds: true }) ?? null;
        const body = {
          at: iso(d.at),
          session: d.session.kind,
          type: d.type,
          service: q.service,
          allowed: d.allowed,
          approval: d.approval,
          approved_by: d.allowed && d.approvedBy.length ? d.approvedBy : null,
          approval_request: d.allowed && requestId ? `DEP-${requestId}` : null,
          needs_incident_commander: d.needsCommander,
          risk: d.risk,
          reason: d.reason,
          freeze: d.freeze ? { incident: incidentRef(d.freeze.incidentId), severity: d.freeze.severity, channel: d.freeze.channelId } : null,
          window_ends: iso(d.windowEnds),
          next_auto_window: iso(d.nextAutoWindow)
        };
        await deps.deploys.audit({
          actor: `token:${token}`,
          action: "deploy.gate_queried",
          incidentId: d.freeze?.incidentId ?? null,
          subject: `${q.type}:${q.service}`,
          data: { at: body.at, allowed: d.allowed, approval: d.approval, reason: d.reason }
        });
        sendJson(res, d.allowed ? 200 : 423, body);
      })
    }
  ];
}
function parseQuery(p, deps) {
  const type = p.get("type");
  if (!type) return badRequest("type", `type is required: one of ${DEPLOY_TYPES.join(", ")}`);
  if (!DEPLOY_TYPES.includes(type)) return badRequest("type", `type "${type}" is not one of ${DEPLOY_TYPES.join(", ")}`);
  const service = p.get("service");
  if (!service) return badRequest("service", "service is required, e.g. service=payments");
  if (!SERVICE_PATTERN.test(service)) return badRequest("service", `service "${service}" must be lowercase letters, digits, . _ - (at most 64)`);
  const atText = p.get("at");
  let at = DateTime7.fromJSDate(deps.clock.now()).setZone(deps.policy.timezone);
  if (atText) {
    const hasOffset = /(z|[+-]\d{2}:?\d{2})$/i.test(atText);
    const parsed = hasOffset ? DateTime7.fromISO(atText, { setZone: true }) : DateTime7.fromISO(atText, { zone: deps.policy.timezone });
    if (!parsed.isValid || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(atText)) return badRequest("at", `at "${atText}" is not an ISO-8601 time like 2026-11-27T13:30:00-05:00`);
    at = parsed;
  }
  return { type, service, at };
}

// src/http/compliance-api.ts
var MAX_BODY = 16 * 1024;
async function readJson(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks).toString("utf8").trim();
  if (!raw) return {};
  try {
    const v = JSON.parse(raw);
    return v && typeof v === "object" && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}
function complianceApiRoutes(deps, tokens) {
  return ["complete", "fail"].map((action) => ({
    path: `/api/v1/compliance/tasks/:taskId/runs/:date/${action}`,
    method: "POST",
    handler: asyncRoute(async (req, res) => {
      const token = authenticate(req, tokens, "compliance");
      if (!token) {
        deps.log.warn({ path: req.url }, "compliance API: missing or invalid token");
        return sendJson(res, 401, { error: "unauthorized", message: "Send Authorization: Bearer <token> with a token named in the policy (api_tokens)." });
      }
      const { taskId = "", date = "" } = req.params ?? {};
      const task = taskOf(deps, taskId);
      if (!task) return sendJson(res, 404, { error: "unknown_task", message: `No task "${taskId}"`, tasks: deps.policy.compliance.tasks.map((t) => t.id) });
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || !DateTime8.fromISO(date).isValid) return sendJson(res, 404, { error: "unknown_date", message: `"${date}" is not a date (YYYY-MM-DD)` });
      if (planRuns([task], deps.calendar, deps.policy.timezone, date, 1).length === 0) {
        return sendJson(res, 404, { error: "no_run_that_day", message: `${task.title} does not run on ${date} (${task.days})` });
      }
      if (task.kind !== "automated") return sendJson(res, 409, { error: "manual_task", message: `${task.title} is a manual task: complete it in Slack` });
      const body = await readJson(req);
      if (body === null) return sendJson(res, 400, { error: "bad_request", message: 'The body must be a JSON object (at most 16 KiB): {"evidence": "...", "note": "..."}' });
      for (const f of ["evidence", "note"]) {
        if (body[f] !== void 0 && body[f] !== null && typeof body[f] !== "string") return sendJson(res, 400, { error: "bad_request", field: f, message: `${f} must be a string` });
      }
      const run = await deps.store.find(taskId, date);
      if (!run || run.status === "scheduled") {
        return sendJson(res, 409, { error: "run_not_open", message: `The run of ${task.title} for ${date} does not exist yet${run ? ` (it opens at ${run.opensAt.toISOString()})` : ""}` });
      }
      try {
        if (action === "complete") {
          const { run: done, changed } = await completeRun(deps, run.id, { token }, { evidence: body["evidence"], note: body["note"] });
          return sendJson(res, 200, { task: taskId, date, status: done.status, done_at: done.doneAt?.toISOString() ?? null, done_by: done.doneBy, late: done.doneAt > done.dueAt, changed });
        }
        const failed = await reportProblem(deps, run.id, { token }, String(body["note"] ?? body["evidence"] ?? ""), true);
        return sendJson(res, 200, { task: taskId, date, status: failed.status, problem_at: failed.problemAt?.toISOString() ?? null });
      } catch (err) {
        if (err instanceof DomainError) return sendJson(res, 409, { error: err.code, message: err.message });
        throw err;
      }
    })
  }));
}

// src/domain/market-calendar.ts
import { DateTime as DateTime9 } from "luxon";
var DEFAULT_CALENDAR_CONFIG = Object.freeze({
  zone: "America/New_York",
  hours: Object.freeze({
    preMarketOpen: "04:00",
    regularOpen: "09:30",
    regularClose: "16:00",
    earlyClose: "13:00",
    afterHoursClose: "20:00",
    earlyAfterHoursClose: "17:00",
    overnightOpen: "20:00"
  }),
  // Frozen so no caller can change the default for everyone else.
  extraClosures: Object.freeze(["2018-12-05", "2025-01-09"]),
  extraEarlyCloses: Object.freeze([])
});
var KNOWN_CLOSURE_NAMES = {
  "2018-12-05": "National Day of Mourning",
  "2025-01-09": "National Day of Mourning"
};
var SEARCH_DAYS = 400;
var HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
var ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
var TRADING_KINDS = /* @__PURE__ */ new Set([
  "overnight",
  "pre-market",
  "regular",
  "after-hours"
]);
function parseIsoDate(value, field) {
  const dt = typeof value === "string" && ISO_DATE.test(value) ? DateTime9.fromISO(value, { zone: "utc" }) : null;
  if (!dt || !dt.isValid) {
    throw new Error(`${field} must be an ISO date (YYYY-MM-DD), got ${JSON.stringify(value)}`);
  }
  return dt;
}
function isoOf(dt) {
  return dt.toFormat("yyyy-MM-dd");
}
function addDays(date, days) {
  return isoOf(DateTime9.fromISO(date, { zone: "utc" }).plus({ days }));
}
function weekdayOf(date) {
  return DateTime9.fromISO(date, { zone: "utc" }).weekday;
}
function ymd(year, month, day) {
  return DateTime9.utc(year, month, day);
}
function nthWeekday(year, month, weekday, n) {
  const first = ymd(year, month, 1);
  return first.plus({ days: (weekday - first.weekday + 7) % 7 + 7 * (n - 1) });
}
function lastWeekday(year, month, weekday) {
  const last = ymd(year, month, 1).endOf("month").startOf("day");
  return last.minus({ days: (last.weekday - weekday + 7) % 7 });
}
function observed(dt) {
  if (dt.weekday === 6) return dt.minus({ days: 1 });
  if (dt.weekday === 7) return dt.plus({ days: 1 });
  return dt;
}
function easter(year) {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const n = h + l - 7 * m + 114;
  return ymd(year, Math.floor(n / 31), n % 31 + 1);
}
var yearRulesCache = /* @__PURE__ */ new Map();
function nyseRules(year) {
  const cached = yearRulesCache.get(year);
  if (cached) return cached;
  const closures = /* @__PURE__ */ new Map();
  const add = (dt, name) => closures.set(isoOf(dt), name);
  const newYear = ymd(year, 1, 1);
  if (newYear.weekday !== 6) add(observed(newYear), "New Year's Day");
  if (year >= 1998) add(nthWeekday(year, 1, 1, 3), "Martin Luther King Jr. Day");
  add(nthWeekday(year, 2, 1, 3), "Washington's Birthday");
  add(easter(year).minus({ days: 2 }), "Good Friday");
  add(lastWeekday(year, 5, 1), "Memorial Day");
  if (year >= 2022) add(observed(ymd(year, 6, 19)), "Juneteenth National Independence Day");
  add(observed(ymd(year, 7, 4)), "Independence Day");
  add(nthWeekday(year, 9, 1, 1), "Labor Day");
  const thanksgiving = nthWeekday(year, 11, 4, 4);
  add(thanksgiving, "Thanksgiving Day");
  add(observed(ymd(year, 12, 25)), "Christmas Day");
  const earlyCloses = /* @__PURE__ */ new Set();
  const july3 = ymd(year, 7, 3);
  if (july3.weekday <= 4 && !closures.has(isoOf(july3))) earlyCloses.add(isoOf(july3));
  earlyCloses.add(isoOf(thanksgiving.plus({ days: 1 })));
  const christmasEve = ymd(year, 12, 24);
  if (christmasEve.weekday <= 4 && !closures.has(isoOf(christmasEve))) {
    earlyCloses.add(isoOf(christmasEve));
  }
  const rules = { closures, earlyCloses };
  yearRulesCache.set(year, rules);
  return rules;
}
function parseTime(value, field) {
  const m = typeof value === "string" ? HHMM.exec(value) : null;
  if (!m) throw new Error(`${field} must be a time 'HH:MM' (00:00\u201323:59), got ${JSON.stringify(value)}`);
  return { hour: Number(m[1]), minute: Number(m[2]) };
}
function minutes(t) {
  return t.hour * 60 + t.minute;
}
function validateConfig(config) {
  if (typeof config !== "object" || config === null) throw new Error("calendar config must be an object");
  const { zone } = config;
  if (typeof zone !== "string" || zone.trim() === "" || !DateTime9.local().setZone(zone).isValid) {
    throw new Error(`zone must be a valid IANA time zone (e.g. 'America/New_York'), got ${JSON.stringify(zone)}`);
  }
  if (typeof config.hours !== "object" || config.hours === null) throw new Error("hours must be an object");
  const keys = [
    "preMarketOpen",
    "regularOpen",
    "regularClose",
    "earlyClose",
    "afterHoursClose",
    "earlyAfterHoursClose",
    "overnightOpen"
  ];
  const hours = {};
  for (const key of keys) hours[key] = parseTime(config.hours[key], `hours.${key}`);
  const order = [
    ["preMarketOpen", "regularOpen", "le"],
    ["regularOpen", "earlyClose", "lt"],
    ["regularOpen", "regularClose", "lt"],
    ["earlyClose", "regularClose", "le"],
    ["regularClose", "afterHoursClose", "le"],
    ["earlyClose", "earlyAfterHoursClose", "le"],
    ["afterHoursClose", "overnightOpen", "le"],
    ["earlyAfterHoursClose", "overnightOpen", "le"]
  ];
  for (const [lo, hi, rel] of order) {
    const a = minutes(hours[lo]);
    const b = minutes(hours[hi]);
    if (rel === "lt" ? !(a < b) : !(a <= b)) {
      throw new Error(
        `hours.${hi} (${config.hours[hi]}) must be ${rel === "lt" ? "after" : "at or after"} hours.${lo} (${config.hours[lo]})`
      );
    }
  }
  const dates = (field) => {
    const list = config[field];
    if (!Array.isArray(list)) throw new Error(`${field} must be an array of ISO dates`);
    return new Set(list.map((d, i) => isoOf(parseIsoDate(d, `${field}[${i}]`))));
  };
  return { zone, hours, extraClosures: dates("extraClosures"), extraEarlyCloses: dates("extraEarlyCloses") };
}
function sameInterval(a, b) {
  return a.kind === b.kind && a.tradingDate === b.tradingDate && a.end.toMillis() === b.start.toMillis();
}
var MarketCalendar = class {
  zone;
  hours;
  extraClosures;
  extraEarlyCloses;
  dayCache = /* @__PURE__ */ new Map();
  constructor(config = DEFAULT_CALENDAR_CONFIG) {
    const v = validateConfig(config);
    this.zone = v.zone;
    this.hours = v.hours;
    this.extraClosures = v.extraClosures;
    this.extraEarlyCloses = v.extraEarlyCloses;
  }
  /** Name of the full-day closure on `date`, or null (weekends are not holidays). */
  holidayName(date) {
    const day = parseIsoDate(date, "date");
    if (day.weekday >= 6) return null;
    const iso = isoOf(day);
    const rule = nyseRules(day.year).closures.get(iso);
    if (rule) return rule;
    if (this.extraClosures.has(iso)) return KNOWN_CLOSURE_NAMES[iso] ?? "Market closure";
    return null;
  }
  isTradingDay(date) {
    return weekdayOf(isoOf(parseIsoDate(date, "date"))) <= 5 && this.holidayName(date) === null;
  }
  isEarlyClose(date) {
    const iso = isoOf(parseIsoDate(date, "date"));
    if (!this.isTradingDay(iso)) return false;
    return nyseRules(Number(iso.slice(0, 4))).earlyCloses.has(iso) || this.extraEarlyCloses.has(iso);
  }
  nextTradingDay(date) {
    return this.stepTradingDay(date, 1);
  }
  previousTradingDay(date) {
    return this.stepTradingDay(date, -1);
  }
  /**
   * The session containing `instant`. start/end bound the whole contiguous run of that kind
   * (an overnight crosses midnight; a weekend may run Fri 17:00 → Sun 20:00).
   */
  sessionAt(instant2) {
    const t = this.toZoned(instant2);
    const cur = this.locate(t);
    let first = cur;
    let last = cur;
    for (let i = 0; i < SEARCH_DAYS * 8; i++) {
      const prev = this.step(first, -1);
      if (!sameInterval(segmentAt(prev), segmentAt(first))) break;
      first = prev;
    }
    for (let i = 0; i < SEARCH_DAYS * 8; i++) {
      const next = this.step(last, 1);
      if (!sameInterval(segmentAt(last), segmentAt(next))) break;
      last = next;
    }
    const seg = segmentAt(cur);
    return { kind: seg.kind, start: segmentAt(first).start, end: segmentAt(last).end, tradingDate: seg.tradingDate };
  }
  /** The trading sessions that start on `date` (local), including that evening's overnight. */
  schedule(date) {
    const iso = isoOf(parseIsoDate(date, "date"));
    const segments = this.daySegments(iso);
    const sessions = [];
    for (let index2 = 0; index2 < segments.length; index2++) {
      const cursor = { date: iso, index: index2, segments };
      const seg = segmentAt(cursor);
      if (!isTradingKind(seg.kind)) continue;
      if (sameInterval(segmentAt(this.step(cursor, -1)), seg)) continue;
      let last = cursor;
      for (let next = this.step(last, 1); sameInterval(segmentAt(last), segmentAt(next)); next = this.step(next, 1)) {
        last = next;
      }
      sessions.push({ kind: seg.kind, start: seg.start, end: segmentAt(last).end });
    }
    return {
      date: iso,
      tradingDay: this.isTradingDay(iso),
      holidayName: this.holidayName(iso),
      earlyClose: this.isEarlyClose(iso),
      sessions
    };
  }
  /** When the next run of `kind` starts, strictly after `after`; null if none within 400 days. */
  nextSessionStart(kind, after) {
    const t = this.toZoned(after);
    const limit = t.plus({ days: SEARCH_DAYS }).toMillis();
    let prev = this.locate(t);
    for (; ; ) {
      const next = this.step(prev, 1);
      const seg = segmentAt(next);
      if (seg.start.toMillis() > limit) return null;
      if (seg.kind === kind && !sameInterval(segmentAt(prev), seg)) return seg.start;
      prev = next;
    }
  }
  // -------------------------------------------------------------------------
  stepTradingDay(date, dir) {
    let d = isoOf(parseIsoDate(date, "date"));
    for (let i = 0; i < SEARCH_DAYS; i++) {
      d = addDays(d, dir);
      if (this.isTradingDay(d)) return d;
    }
    throw new Error(`no trading day within ${SEARCH_DAYS} days ${dir > 0 ? "after" : "before"} ${date}`);
  }
  toZoned(instant2) {
    const dt = instant2 instanceof Date ? DateTime9.fromJSDate(instant2, { zone: this.zone }) : instant2.setZone(this.zone);
    if (!dt.isValid) throw new Error(`invalid instant: ${String(instant2)}`);
    return dt;
  }
  local(date, time) {
    const d = DateTime9.fromISO(date, { zone: "utc" });
    return DateTime9.fromObject(
      { year: d.year, month: d.month, day: d.day, hour: time.hour, minute: time.minute },
      { zone: this.zone }
    );
  }
  locate(t) {
    const ms = t.toMillis();
    const date = t.toISODate() ?? "";
    for (const d of [date, addDays(date, -1), addDays(date, 1)]) {
      const segments = this.daySegments(d);
      const index2 = segments.findIndex((s) => s.start.toMillis() <= ms && ms < s.end.toMillis());
      if (index2 >= 0) return { date: d, index: index2, segments };
    }
    throw new Error(`no session found for ${t.toISO()}`);
  }
  step(c, dir) {
    const index2 = c.index + dir;
    if (index2 >= 0 && index2 < c.segments.length) return { ...c, index: index2 };
    const date = addDays(c.date, dir);
    const segments = this.daySegments(date);
    return { date, segments, index: dir > 0 ? 0 : segments.length - 1 };
  }
  /** The whole calendar day [00:00, next 00:00) cut into raw segments, gaps labelled. */
  daySegments(date) {
    const cached = this.dayCache.get(date);
    if (cached) return cached;
    const h = this.hours;
    const midnight = { hour: 0, minute: 0 };
    const next = addDays(date, 1);
    const dayStart = this.local(date, midnight);
    const dayEnd = this.local(next, midnight);
    const sessions = [];
    let lastSessionEnd = null;
    if (this.isTradingDay(date)) {
      const early = this.isEarlyClose(date);
      const at = (t) => this.local(date, t);
      const close = at(early ? h.earlyClose : h.regularClose);
      const lateClose = at(early ? h.earlyAfterHoursClose : h.afterHoursClose);
      sessions.push(
        { kind: "overnight", start: dayStart, end: at(h.preMarketOpen), tradingDate: date },
        { kind: "pre-market", start: at(h.preMarketOpen), end: at(h.regularOpen), tradingDate: date },
        { kind: "regular", start: at(h.regularOpen), end: close, tradingDate: date },
        { kind: "after-hours", start: close, end: lateClose, tradingDate: date }
      );
      lastSessionEnd = lateClose;
    }
    if (this.isTradingDay(next)) {
      sessions.push({ kind: "overnight", start: this.local(date, h.overnightOpen), end: dayEnd, tradingDate: next });
    }
    const out = [];
    let cursor = dayStart;
    const gap = (end) => {
      if (end > cursor) out.push({ kind: this.gapKind(date, cursor, lastSessionEnd), start: cursor, end, tradingDate: null });
    };
    for (const s of sessions) {
      if (!(s.end > s.start)) continue;
      gap(s.start);
      out.push(s);
      cursor = s.end;
    }
    gap(dayEnd);
    if (this.dayCache.size > 2e3) this.dayCache.clear();
    this.dayCache.set(date, out);
    return out;
  }
  gapKind(date, start, lastSessionEnd) {
    const weekday = weekdayOf(date);
    if (weekday >= 6) return "weekend";
    if (this.holidayName(date) !== null) return "holiday";
    if (weekday === 5 && lastSessionEnd && start >= lastSessionEnd) return "weekend";
    return "closed";
  }
};
function segmentAt(c) {
  const seg = c.segments[c.index];
  if (!seg) throw new Error("calendar cursor out of range");
  return seg;
}
function isTradingKind(kind) {
  return TRADING_KINDS.has(kind);
}

// src/adapters/postgres/deploy-store.ts
import { and as and2, eq as eq2, gt, inArray as inArray2, lte, sql as dsql2 } from "drizzle-orm";
function toRequest(r) {
  return {
    id: r.id,
    type: r.type,
    service: r.service,
    summary: r.summary,
    requestedBy: r.requestedBy,
    requestedAt: r.requestedAt,
    forAt: r.forAt,
    session: r.session,
    risk: r.risk,
    windowName: r.windowName,
    windowEnds: r.windowEnds,
    capacities: r.capacities,
    grants: r.grants,
    freezeIncidentId: r.freezeIncidentId,
    status: r.status,
    decidedBy: r.decidedBy,
    decidedAt: r.decidedAt,
    validFrom: r.validFrom,
    expiresAt: r.expiresAt,
    cardChannelId: r.cardChannelId,
    cardTs: r.cardTs
  };
}
var PostgresDeployStore = class {
  constructor(db, clock, onCommitted) {
    this.db = db;
    this.clock = clock;
    this.onCommitted = onCommitted;
  }
  db;
  clock;
  onCommitted;
  async transaction(fn) {
    const clock = this.clock;
    return withOutbox(
      this.db,
      this.onCommitted,
      (tx, enqueued) => fn({
        async insertRequest(r) {
          const [row] = await tx.insert(deployRequests).values({ ...r, capacities: r.capacities }).returning();
          return toRequest(row);
        },
        async lockRequest(id) {
          const [row] = await tx.select().from(deployRequests).where(eq2(deployRequests.id, id)).for("update");
          return row ? toRequest(row) : null;
        },
        async saveRequest(r) {
          await tx.update(deployRequests).set({ status: r.status, grants: r.grants, decidedBy: r.decidedBy, decidedAt: r.decidedAt, validFrom: r.validFrom, expiresAt: r.expiresAt }).where(eq2(deployRequests.id, r.id));
        },
        audit: (entry) => appendAudit(tx, entry, clock.now()),
        enqueue: (item) => enqueueWork(tx, item, enqueued)
      })
    );
  }
  async freezes(severities) {
    if (severities.length === 0) return [];
    const rows = await this.db.select({ id: incidents.id, severity: incidents.severity, channelId: incidents.channelId, roles: incidents.roles }).from(incidents).where(and2(eq2(incidents.status, "open"), inArray2(incidents.severity, severities))).orderBy(incidents.severity, incidents.id);
    return rows.map((r) => ({
      incidentId: r.id,
      severity: r.severity,
      channelId: r.channelId,
      commander: r.roles["incident_commander"]?.userId ?? null
    }));
  }
  async grantsAt(service, type, at) {
    const [row] = await this.db.select().from(deployRequests).where(and2(eq2(deployRequests.service, service), eq2(deployRequests.type, type), eq2(deployRequests.status, "approved"), lte(deployRequests.validFrom, at), gt(deployRequests.expiresAt, at))).orderBy(dsql2`${deployRequests.expiresAt} desc`).limit(1);
    if (!row) return { grants: [], requestId: null };
    return { grants: row.grants.map(({ capacity, by }) => ({ capacity, by })), requestId: row.id };
  }
  async get(id) {
    const [row] = await this.db.select().from(deployRequests).where(eq2(deployRequests.id, id));
    return row ? toRequest(row) : null;
  }
  async recordCard(id, channelId, ts2) {
    await this.db.update(deployRequests).set({ cardChannelId: channelId, cardTs: ts2 }).where(eq2(deployRequests.id, id));
  }
  async audit(entry) {
    await this.db.transaction((tx) => appendAudit(tx, entry, this.clock.now()).then(() => void 0));
  }
  async exclusive(requestId, fn) {
    return this.db.transaction(async (tx) => {
      await tx.execute(dsql2`select pg_advisory_xact_lock(3, ${requestId})`);
      return fn();
    });
  }
};

// src/adapters/slack/listeners/deploy-window-command.ts
import { DateTime as DateTime10 } from "luxon";
function registerDeployWindow(app, deps) {
  app.command("/deploy-window", async ({ command, ack }) => {
    let reply;
    try {
      const now = DateTime10.fromJSDate(deps.clock.now()).setZone(deps.policy.timezone);
      const c = parseDeployWindowCommand(command.text ?? "", now, deps.policy.timezone);
      reply = await beforeSlackDeadline(
        (async () => {
          switch (c.kind) {
            case "help":
              return DEPLOY_WINDOW_HELP;
            case "overview":
              return deployOverview(deps, c.at, c.explicitTime);
            case "check":
              return deployCheckText(deps, c.type, c.at);
            case "request":
              return (await requestDeploy(deps, { type: c.type, service: c.service, at: c.at, summary: c.summary, requestedBy: command.user_id })).message;
          }
        })()
      );
    } catch (err) {
      reply = userMessage(err, deps.log, { command: "/deploy-window", user: command.user_id });
    }
    await ack(ephemeral(reply));
  });
  for (const [actionId, approve] of [[ACTION.deployApprove, true], [ACTION.deployDeny, false]]) {
    app.action(actionId, async ({ ack, body, action, respond: respond2 }) => {
      await ack();
      let text3;
      try {
        const id = decodeDeployRequest(action.value);
        if (id === null) throw new DomainError("bad_action", "That button is not one of mine.");
        text3 = await decideDeploy(deps, { requestId: id, approve, by: body.user.id });
      } catch (err) {
        text3 = userMessage(err, deps.log, { action: actionId, user: body.user.id });
      }
      await respond2({ response_type: "ephemeral", replace_original: false, text: text3 }).catch((err) => deps.log.warn({ err: err.message }, "respond failed"));
    });
  }
}

// src/adapters/postgres/database.ts
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { fileURLToPath } from "node:url";
var MIGRATIONS_DIR = fileURLToPath(new URL("../../../migrations", import.meta.url));
var MIGRATION_LOCK = 7461007001;
function connect(url, opts = {}) {
  const sql2 = postgres(url, {
    max: opts.max ?? 20,
    // Fail fast while Postgres is away, so a slash command can still answer within Slack's 3 s.
    connect_timeout: 2,
    idle_timeout: 30,
    onnotice: () => {
    },
    connection: { application_name: "warroom" }
  });
  return { sql: sql2, db: drizzle(sql2, { schema: schema_exports }) };
}
async function migrateDatabase(url) {
  const sql2 = postgres(url, { max: 1, onnotice: () => {
  } });
  try {
    await sql2`select pg_advisory_lock(${MIGRATION_LOCK})`;
    try {
      await migrate(drizzle(sql2), { migrationsFolder: MIGRATIONS_DIR });
    } finally {
      await sql2`select pg_advisory_unlock(${MIGRATION_LOCK})`;
    }
  } finally {
    await sql2.end({ timeout: 5 });
  }
}

// src/adapters/postgres/incident-store.ts
import { and as and3, asc, eq as eq3, isNotNull, isNull as isNull2, lt, or, sql as dsql3 } from "drizzle-orm";
function toIncident(r) {
  const roles = {};
  for (const [role, h] of Object.entries(r.roles)) {
    roles[role] = { userId: h.userId, assignedBy: h.assignedBy, assignedAt: new Date(h.assignedAt) };
  }
  return {
    id: r.id,
    title: r.title,
    severity: r.severity,
    status: r.status === "resolved" ? "resolved" : "open",
    customerImpact: r.customerImpact,
    service: r.service,
    isPrivate: r.isPrivate,
    declaredBy: r.declaredBy,
    declaredAt: r.declaredAt,
    channelId: r.channelId,
    channelName: r.channelName,
    roles,
    lastStatus: r.lastStatus,
    resolvedAt: r.resolvedAt,
    resolvedBy: r.resolvedBy,
    resolution: r.resolution,
    version: r.version,
    acknowledgedAt: r.acknowledgedAt,
    acknowledgedBy: r.acknowledgedBy,
    responseMs: r.responseMs,
    generation: r.escGeneration,
    clockStart: r.clockStart,
    clockDeferredFrom: r.clockDeferredFrom,
    pagedServices: r.pagedServices,
    lastStatusAt: r.lastStatusAt,
    statusSeq: r.statusSeq,
    nextNudgeAt: r.nextNudgeAt
  };
}
function toWarRoom(r) {
  return {
    originChannel: r.originChannel,
    channelName: r.channelName,
    channelId: r.channelId,
    topicSet: r.topicSet,
    invited: r.invited,
    headerTs: r.headerTs,
    pinned: r.pinned,
    announceChannelId: r.announceChannelId,
    announceTs: r.announceTs,
    readyAt: r.readyAt,
    failedAt: r.failedAt,
    renderedVersion: r.renderedVersion
  };
}
function toStep(r) {
  return {
    id: r.id,
    incidentId: r.incidentId,
    generation: r.generation,
    stepIndex: r.stepIndex,
    severity: r.severity,
    dueAt: r.dueAt,
    always: r.always,
    actions: r.actions,
    status: r.status,
    claimedAt: r.claimedAt,
    firedAt: r.firedAt,
    latenessMs: r.latenessMs
  };
}
function toChecklist(r) {
  return { incidentId: r.incidentId, dueAt: r.dueAt, items: r.items, channelId: r.channelId, ts: r.ts, remindedAt: r.remindedAt, completedAt: r.completedAt };
}
var PostgresIncidentStore = class {
  constructor(db, clock, onCommitted, onTimers = async () => void 0) {
    this.db = db;
    this.clock = clock;
    this.onCommitted = onCommitted;
    this.onTimers = onTimers;
  }
  db;
  clock;
  onCommitted;
  onTimers;
  async transaction(fn) {
    const timers = [];
    const result = await withOutbox(this.db, this.onCommitted, (tx, enqueued) => fn(this.txApi(tx, enqueued, timers)));
    if (timers.length) await this.onTimers(timers);
    return result;
  }
  txApi(tx, enqueued, timers) {
    const clock = this.clock;
    return {
      async insertSteps(incidentId, generation, severity, steps) {
        if (steps.length === 0) return [];
        const rows = await tx.insert(escalationSteps).values(steps.map((s) => ({ incidentId, generation, severity, stepIndex: s.index, dueAt: s.dueAt, always: s.always, actions: s.actions }))).onConflictDoNothing().returning();
        return rows.map(toStep);
      },
      async cancelStaleSteps(incidentId, currentGeneration) {
        const rows = await tx.update(escalationSteps).set({ status: "cancelled", doneAt: clock.now() }).where(and3(eq3(escalationSteps.incidentId, incidentId), eq3(escalationSteps.status, "pending"), lt(escalationSteps.generation, currentGeneration))).returning();
        return rows.map(toStep);
      },
      async lockStep(stepId) {
        const [row] = await tx.select().from(escalationSteps).where(eq3(escalationSteps.id, stepId)).for("update");
        return row ? toStep(row) : null;
      },
      async updateStep(stepId, patch) {
        await tx.update(escalationSteps).set(patch).where(eq3(escalationSteps.id, stepId));
      },
      wake(timer) {
        timers.push(timer);
      },
      async insertChecklist(c) {
        const rows = await tx.insert(regulatoryChecklists).values({ incidentId: c.incidentId, dueAt: c.dueAt, items: c.items }).onConflictDoNothing().returning();
        return rows.length > 0;
      },
      async lockChecklist(incidentId) {
        const [row] = await tx.select().from(regulatoryChecklists).where(eq3(regulatoryChecklists.incidentId, incidentId)).for("update");
        return row ? toChecklist(row) : null;
      },
      async saveChecklist(c) {
        await tx.update(regulatoryChecklists).set({ items: c.items, remindedAt: c.remindedAt, completedAt: c.completedAt }).where(eq3(regulatoryChecklists.incidentId, c.incidentId));
      },
      async insertIncident(d) {
        const [seen] = await tx.select().from(incidents).where(eq3(incidents.requestKey, d.requestKey));
        if (seen) return { incident: toIncident(seen), created: false };
        const [row] = await tx.insert(incidents).values({ ...d }).onConflictDoNothing({ target: incidents.requestKey }).returning();
        if (row) return { incident: toIncident(row), created: true };
        const [other] = await tx.select().from(incidents).where(eq3(incidents.requestKey, d.requestKey));
        return { incident: toIncident(other), created: false };
      },
      async lockIncident(id) {
        const [row] = await tx.select().from(incidents).where(eq3(incidents.id, id)).for("update");
        return row ? toIncident(row) : null;
      },
      async lockIncidentByChannel(channelId) {
        const [row] = await tx.select().from(incidents).where(eq3(incidents.channelId, channelId)).for("update");
        return row ? toIncident(row) : null;
      },
      async saveIncident(i) {
        const roles = Object.fromEntries(Object.entries(i.roles).map(([k, h]) => [k, { ...h, assignedAt: h.assignedAt.toISOString() }]));
        await tx.update(incidents).set({
          title: i.title,
          severity: i.severity,
          status: i.status,
          roles,
          lastStatus: i.lastStatus,
          resolvedAt: i.resolvedAt,
          resolvedBy: i.resolvedBy,
          resolution: i.resolution,
          version: i.version,
          acknowledgedAt: i.acknowledgedAt,
          acknowledgedBy: i.acknowledgedBy,
          responseMs: i.responseMs,
          escGeneration: i.generation,
          clockStart: i.clockStart,
          clockDeferredFrom: i.clockDeferredFrom,
          pagedServices: i.pagedServices,
          lastStatusAt: i.lastStatusAt,
          statusSeq: i.statusSeq,
          nextNudgeAt: i.nextNudgeAt
        }).where(eq3(incidents.id, i.id));
      },
      audit(entry) {
        return appendAudit(tx, entry, clock.now());
      },
      enqueue: (item) => enqueueWork(tx, item, enqueued)
    };
  }
  async get(id) {
    const [row] = await this.db.select().from(incidents).where(eq3(incidents.id, id));
    return row ? toIncident(row) : null;
  }
  async findByChannel(channelId) {
    const [row] = await this.db.select().from(incidents).where(eq3(incidents.channelId, channelId));
    return row ? toIncident(row) : null;
  }
  async warRoom(id) {
    const [row] = await this.db.select().from(incidents).where(eq3(incidents.id, id));
    return row ? toWarRoom(row) : null;
  }
  async recordWarRoom(id, patch, audit) {
    const { originChannel: _ignored, ...rest } = patch;
    await this.db.transaction(async (tx) => {
      if (Object.keys(rest).length) await tx.update(incidents).set(rest).where(eq3(incidents.id, id));
      if (audit) await appendAudit(tx, audit, this.clock.now());
    });
  }
  async timeline(incidentId) {
    const rows = await this.db.select().from(auditEvents).where(eq3(auditEvents.incidentId, incidentId)).orderBy(asc(auditEvents.seq));
    return rows.map((r) => ({
      seq: r.seq,
      occurredAt: r.occurredAt,
      actor: r.actor,
      action: r.action,
      incidentId: r.incidentId,
      subject: r.subject,
      data: r.data ?? {}
    }));
  }
  async step(stepId) {
    const [row] = await this.db.select().from(escalationSteps).where(eq3(escalationSteps.id, stepId));
    return row ? toStep(row) : null;
  }
  async delivered(stepId, channel, recipient) {
    const [row] = await this.db.select({ id: deliveries.id }).from(deliveries).where(and3(eq3(deliveries.stepId, stepId), eq3(deliveries.channel, channel), eq3(deliveries.recipient, recipient)));
    return Boolean(row);
  }
  async recordDelivery(stepId, channel, recipient, status, detail) {
    await this.db.insert(deliveries).values({ stepId, channel, recipient, status, detail: detail ?? null }).onConflictDoNothing();
  }
  async stepsToWake(staleClaimBefore) {
    const rows = await this.db.select({ step: escalationSteps }).from(escalationSteps).innerJoin(incidents, eq3(incidents.id, escalationSteps.incidentId)).where(
      and3(
        eq3(incidents.status, "open"),
        eq3(escalationSteps.generation, incidents.escGeneration),
        or(eq3(escalationSteps.status, "pending"), and3(eq3(escalationSteps.status, "claimed"), lt(escalationSteps.claimedAt, staleClaimBefore)))
      )
    ).limit(5e3);
    return rows.map((r) => toStep(r.step));
  }
  async nudgesToWake() {
    const rows = await this.db.select({ id: incidents.id, seq: incidents.statusSeq, at: incidents.nextNudgeAt }).from(incidents).where(and3(eq3(incidents.status, "open"), isNotNull(incidents.nextNudgeAt)));
    return rows.map((r) => ({ incidentId: r.id, seq: r.seq, at: r.at }));
  }
  async checklistsToWake() {
    const rows = await this.db.select({ id: regulatoryChecklists.incidentId, due: regulatoryChecklists.dueAt }).from(regulatoryChecklists).where(and3(isNull2(regulatoryChecklists.completedAt), isNull2(regulatoryChecklists.remindedAt)));
    return rows.map((r) => ({ incidentId: r.id, at: r.due }));
  }
  async checklist(incidentId) {
    const [row] = await this.db.select().from(regulatoryChecklists).where(eq3(regulatoryChecklists.incidentId, incidentId));
    return row ? toChecklist(row) : null;
  }
  async recordChecklistCard(incidentId, channelId, ts2) {
    await this.db.update(regulatoryChecklists).set({ channelId, ts: ts2 }).where(eq3(regulatoryChecklists.incidentId, incidentId));
  }
  async exclusive(incidentId, fn) {
    return this.db.transaction(async (tx) => {
      await tx.execute(dsql3`select pg_advisory_xact_lock(2, ${incidentId})`);
      return fn();
    });
  }
  async audit(entry) {
    await this.db.transaction((tx) => appendAudit(tx, entry, this.clock.now()).then(() => void 0));
  }
};

// src/adapters/postgres/work-store.ts
import { and as and4, asc as asc2, eq as eq4, lt as lt2, sql as dsql4 } from "drizzle-orm";
var PostgresWorkStore = class {
  constructor(db) {
    this.db = db;
  }
  db;
  async get(id) {
    const [r] = await this.db.select().from(workItems).where(eq4(workItems.id, id));
    if (!r) return null;
    return { id: r.id, item: { kind: r.kind, dedupeKey: r.dedupeKey, payload: r.payload }, status: r.status, attempts: r.attempts };
  }
  /**
   * Counts a start before the work runs: after a crash (no error ever recorded) the next start
   * still knows it is a retry and that a Slack post may already exist.
   */
  async begin(id) {
    const [r] = await this.db.update(workItems).set({ attempts: dsql4`${workItems.attempts} + 1`, updatedAt: /* @__PURE__ */ new Date() }).where(eq4(workItems.id, id)).returning({ attempts: workItems.attempts });
    return r?.attempts ?? 1;
  }
  async attempted(id, error) {
    await this.db.update(workItems).set({ lastError: error.slice(0, 2e3), updatedAt: /* @__PURE__ */ new Date() }).where(eq4(workItems.id, id));
  }
  async finish(id, status, error) {
    await this.db.update(workItems).set({ status, lastError: error?.slice(0, 2e3) ?? null, updatedAt: /* @__PURE__ */ new Date() }).where(and4(eq4(workItems.id, id), eq4(workItems.status, "pending")));
  }
  /** Pending items created before `before`: what the reconciler re-offers to the queue. */
  async pending(before, limit = 1e3) {
    const rows = await this.db.select().from(workItems).where(and4(eq4(workItems.status, "pending"), lt2(workItems.createdAt, before))).orderBy(asc2(workItems.id)).limit(limit);
    return rows.map((r) => ({ id: r.id, item: { kind: r.kind, dedupeKey: r.dedupeKey, payload: r.payload } }));
  }
  async counts() {
    const rows = await this.db.select({ status: workItems.status, n: dsql4`count(*)::int` }).from(workItems).groupBy(workItems.status);
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }
};

// src/adapters/queue/work-queue.ts
import { DelayedError as DelayedError2, Queue as Queue2, Worker as Worker2 } from "bullmq";
import { Redis as Redis2 } from "ioredis";
var WORK_QUEUE = "work";
var workJobId = (id) => `wi-${id}`;
var WorkQueue = class {
  constructor(opts) {
    this.opts = opts;
    this.queue = new Queue2(WORK_QUEUE, { connection: this.redis(), prefix: opts.prefix });
  }
  opts;
  queue;
  worker = null;
  timer = null;
  connections = [];
  redis() {
    const r = new Redis2(this.opts.redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
    r.on("error", (err) => this.opts.log.warn({ err: err.message }, "redis connection error"));
    this.connections.push(r);
    return r;
  }
  async dispatch(items) {
    const attempts = this.opts.attempts ?? 8;
    await this.queue.addBulk(
      items.map(({ id, item }) => ({
        name: item.kind,
        data: { workId: id },
        opts: { jobId: workJobId(id), attempts, backoff: { type: "exponential", delay: this.opts.backoffMs ?? 1e3 }, removeOnComplete: true, removeOnFail: 5e3 }
      }))
    );
  }
  /** Queues work whose dispatch may have been lost (crash after commit, Redis flush). */
  async reconcile() {
    const pending = await this.opts.store.pending(new Date(Date.now() - 2e3));
    if (pending.length) await this.dispatch(pending);
    return pending.length;
  }
  start() {
    this.worker = new Worker2(WORK_QUEUE, (job) => this.process(job), {
      connection: this.redis(),
      prefix: this.opts.prefix,
      concurrency: this.opts.concurrency ?? 8,
      ...this.opts.stalledMs ? { stalledInterval: this.opts.stalledMs, lockDuration: Math.max(this.opts.stalledMs, 5e3) } : {}
    });
    this.worker.on("error", (err) => this.opts.log.warn({ err: err.message }, "work queue worker error"));
    const every = this.opts.reconcileEveryMs ?? 3e4;
    const tick = () => this.reconcile().catch((err) => this.opts.log.warn({ err: err.message }, "work reconcile failed"));
    void tick();
    this.timer = setInterval(tick, every);
    this.timer.unref();
  }
  async process(job) {
    const stored = await this.opts.store.get(job.data.workId);
    if (!stored || stored.status !== "pending") return;
    const starts = await this.opts.store.begin(stored.id);
    const attempt = job.attemptsMade + 1;
    try {
      await this.opts.run(stored.item, starts);
      await this.opts.store.finish(stored.id, "done");
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await this.opts.store.attempted(stored.id, message);
      if (err instanceof TransientError && err.retryAfterMs !== null) {
        await job.moveToDelayed(Date.now() + err.retryAfterMs, job.token);
        throw new DelayedError2();
      }
      const final = err instanceof PermanentError || attempt >= (job.opts.attempts ?? 1);
      if (!final) throw err;
      this.opts.log.error({ kind: stored.item.kind, key: stored.item.dedupeKey, err: message, attempt }, "work failed for good");
      await this.opts.store.finish(stored.id, "failed", message);
      await this.opts.onFailed(stored.item, message);
    }
  }
  async depth() {
    return this.queue.getJobCounts("waiting", "active", "delayed", "failed");
  }
  async close() {
    if (this.timer) clearInterval(this.timer);
    await this.worker?.close();
    await this.queue.close();
    await Promise.all(this.connections.map((c) => c.quit().catch(() => c.disconnect())));
  }
};

// src/adapters/slack/slack-errors.ts
import { ErrorCode } from "@slack/web-api";
var TRANSIENT_PLATFORM = /* @__PURE__ */ new Set(["ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"]);
function classifySlackError(method, err) {
  const e = err;
  switch (e?.code) {
    case ErrorCode.RateLimitedError:
      return new TransientError(`${method}: rate limited by Slack`, Math.max(1, e.retryAfter ?? 1) * 1e3);
    case ErrorCode.HTTPError:
      return (e.statusCode ?? 500) >= 500 || e.statusCode === 429 ? new TransientError(`${method}: Slack answered HTTP ${e.statusCode}`) : new PermanentError(`http_${e.statusCode}`, `${method}: Slack answered HTTP ${e.statusCode}`);
    case ErrorCode.RequestError:
      return new TransientError(`${method}: could not reach Slack (${e.message})`);
    case ErrorCode.PlatformError: {
      const code = e.data?.error ?? "unknown_error";
      return TRANSIENT_PLATFORM.has(code) ? new TransientError(`${method}: ${code}`) : new PermanentError(code, `${method}: ${code}`);
    }
    default:
      return new TransientError(`${method}: ${err?.message ?? String(err)}`);
  }
}
function slackErrorCode(err) {
  const e = err;
  return e?.code === ErrorCode.PlatformError ? e.data?.error ?? null : null;
}

// src/adapters/slack/slack-health.ts
var AUTH_ERRORS = /* @__PURE__ */ new Set(["invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"]);
var SlackHealth = class {
  constructor(client, log) {
    this.client = client;
    this.log = log;
  }
  client;
  log;
  error = "not checked yet";
  botUserId = "";
  botId = "";
  timer = null;
  get problem() {
    return this.error;
  }
  /** Called by the Slack adapter on every auth-type error it sees. */
  failed(code) {
    if (this.error !== code) this.log.error({ slack_error: code }, "Slack rejects the bot token: the bot cannot post until SLACK_BOT_TOKEN is fixed");
    this.error = code;
    this.scheduleRecheck();
  }
  async check() {
    try {
      const auth = await this.client.auth.test();
      this.botUserId = auth.user_id;
      this.botId = auth.bot_id;
      if (this.error) this.log.info({ team: auth.team_id, bot: auth.user_id }, "connected to Slack");
      this.error = null;
      return true;
    } catch (err) {
      const code = slackErrorCode(err) ?? err.message;
      if (AUTH_ERRORS.has(code)) this.failed(code);
      else {
        this.error = `auth.test failed: ${code}`;
        this.log.warn({ err: code }, "could not reach Slack; retrying");
        this.scheduleRecheck();
      }
      return false;
    }
  }
  scheduleRecheck() {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.check();
    }, 15e3);
    this.timer.unref();
  }
  stop() {
    if (this.timer) clearTimeout(this.timer);
  }
};

// src/adapters/slack/slack-chat.ts
var SlackChat = class {
  constructor(client, policy, botUser, log, onAuthError = () => void 0) {
    this.client = client;
    this.policy = policy;
    this.botUser = botUser;
    this.log = log;
    this.onAuthError = onAuthError;
  }
  client;
  policy;
  botUser;
  log;
  onAuthError;
  groupIds = /* @__PURE__ */ new Map();
  channelIds = /* @__PURE__ */ new Map();
  get botUserId() {
    return this.botUser();
  }
  async call(method, args, tolerate = []) {
    try {
      return await this.client.apiCall(method, args);
    } catch (err) {
      const code = slackErrorCode(err);
      if (code && tolerate.includes(code)) return { ok: false, error: code };
      if (code && AUTH_ERRORS.has(code)) this.onAuthError(code);
      throw classifySlackError(method, err);
    }
  }
  async createChannel(name, isPrivate) {
    const r = await this.call("conversations.create", { name, is_private: isPrivate }, ["name_taken"]);
    return r.ok ? { ok: true, id: r.channel.id } : { ok: false, reason: "name_taken" };
  }
  async findOwnChannel(name, since) {
    const ch = await this.findChannel(name);
    if (!ch) return null;
    return ch.creator === this.botUserId && ch.created * 1e3 >= since.getTime() ? ch.id : null;
  }
  async findChannel(name) {
    let cursor;
    do {
      const r = await this.call(
        "conversations.list",
        { types: "public_channel,private_channel", exclude_archived: true, limit: 1e3, cursor }
      );
      const hit = r.channels.find((c) => c.name === name);
      if (hit) return hit;
      cursor = r.response_metadata?.next_cursor || void 0;
    } while (cursor);
    return null;
  }
  /** The id of a policy channel (by name), joining it if public and the bot is not in it yet. */
  async channelId(name) {
    const cached = this.channelIds.get(name);
    if (cached) return cached;
    const ch = await this.findChannel(name);
    if (!ch) throw classifySlackError("conversations.list", { code: "slack_webapi_platform_error", data: { error: `channel_not_found: #${name} (policy channels)` } });
    if (!ch.is_member && !ch.is_private) await this.call("conversations.join", { channel: ch.id }, ["already_in_channel"]);
    this.channelIds.set(name, ch.id);
    return ch.id;
  }
  async groupId(handle) {
    if (!this.groupIds.has(handle)) {
      const r = await this.call("usergroups.list", {});
      for (const g of r.usergroups) this.groupIds.set(g.handle, g.id);
    }
    return this.groupIds.get(handle) ?? null;
  }
  async groupMention(handle) {
    const id = await this.groupId(handle);
    return id ? `<!subteam^${id}>` : `@${handle}`;
  }
  async userPhone(userId) {
    const r = await this.call("users.info", { user: userId }, ["user_not_found"]);
    return r.ok ? r.user.profile?.phone || null : null;
  }
  async showChecklist(view, key, existing) {
    const message = checklistCard(view);
    if (existing) {
      await this.call("chat.update", { channel: existing.channelId, ts: existing.ts, ...message });
      return existing;
    }
    const channelId = await this.channelId(this.policy.channels.compliance);
    const ts2 = await this.postOnce(channelId, key, message, new Date(Date.now() - 36e5));
    return { channelId, ts: ts2 };
  }
  async showComplianceRun(view, key, existing) {
    const message = complianceCard(view);
    if (existing) {
      await this.call("chat.update", { channel: existing.channelId, ts: existing.ts, ...message });
      return existing;
    }
    const channelId = await this.channelId(view.task.channel);
    const ts2 = await this.postOnce(channelId, key, message, new Date(Date.now() - 864e5));
    return { channelId, ts: ts2 };
  }
  async postInChannel(channelName, text3, key, threadTs) {
    const channelId = await this.channelId(channelName);
    return this.postOnce(channelId, key, { text: text3, ...threadTs ? { thread_ts: threadTs } : {} }, new Date(Date.now() - 864e5));
  }
  async groupMembers(handle) {
    const id = await this.groupId(handle);
    if (!id) {
      this.log.warn({ group: handle }, "user group from the policy not found in Slack");
      return [];
    }
    const r = await this.call("usergroups.users.list", { usergroup: id });
    return r.users;
  }
  async setTopic(channelId, topic) {
    await this.call("conversations.setTopic", { channel: channelId, topic });
  }
  async invite(channelId, users, groups) {
    const everyone = new Set(users);
    for (const g of groups) for (const u of await this.groupMembers(g)) everyone.add(u);
    everyone.delete(this.botUserId);
    const list = [...everyone];
    for (let i = 0; i < list.length; i += 100) {
      const r = await this.call(
        "conversations.invite",
        { channel: channelId, users: list.slice(i, i + 100).join(","), force: true },
        ["already_in_channel"]
      );
      for (const e of r.errors ?? []) if (e.error !== "already_in_channel") this.log.warn({ user: e.user, error: e.error, channel: channelId }, "could not invite a user");
    }
  }
  /** Posts once per key: on a retry, first looks for the post an earlier attempt may have made. */
  async postOnce(channel, key, message, oldest) {
    if (key.retry) {
      const r2 = await this.call("conversations.history", {
        channel,
        limit: 200,
        include_all_metadata: true,
        ...oldest ? { oldest: (oldest.getTime() / 1e3).toFixed(6) } : {}
      });
      const found = r2.messages.find((m) => m.metadata?.event_type === POST_METADATA && m.metadata.event_payload?.key === key.key);
      if (found) return found.ts;
    }
    const r = await this.call("chat.postMessage", {
      channel,
      ...message,
      unfurl_links: false,
      unfurl_media: false,
      metadata: { event_type: POST_METADATA, event_payload: { key: key.key } }
    });
    return r.ts;
  }
  async postHeader(channelId, view, key) {
    return this.postOnce(channelId, key, headerCard(this.policy, view));
  }
  async updateHeader(channelId, ts2, view) {
    await this.call("chat.update", { channel: channelId, ts: ts2, ...headerCard(this.policy, view) });
  }
  async pin(channelId, ts2) {
    await this.call("pins.add", { channel: channelId, timestamp: ts2 }, ["already_pinned"]);
  }
  async mentions(groups) {
    const out = [];
    for (const g of groups) {
      const id = await this.groupId(g);
      if (id) out.push(`<!subteam^${id}>`);
      else this.log.warn({ group: g }, "announce group from the policy not found in Slack");
    }
    return out;
  }
  async announce(view, key, mentionGroups) {
    const channelId = await this.channelId(this.policy.channels.announcements);
    const ts2 = await this.postOnce(channelId, key, announcement(this.policy, view, await this.mentions(mentionGroups)), new Date(view.incident.declaredAt.getTime() - 6e4));
    return { channelId, ts: ts2 };
  }
  async updateAnnouncement(channelId, ts2, view) {
    const groups = severityById(this.policy, view.incident.severity)?.announceGroups ?? [];
    await this.call("chat.update", { channel: channelId, ts: ts2, ...announcement(this.policy, view, await this.mentions(groups)) });
  }
  async postNotice(target, text3, key) {
    const channel = "channelId" in target ? target.channelId : await this.channelId(this.policy.channels[target.policyChannel]);
    await this.postOnce(channel, key, { text: text3 }, new Date(Date.now() - 36e5));
  }
  async isGroupMember(handle, userId) {
    return (await this.groupMembers(handle)).includes(userId);
  }
  async showDeployRequest(view, key, existing) {
    const message = deployCard(view, await this.mentions(view.approverGroups));
    if (existing) {
      await this.call("chat.update", { channel: existing.channelId, ts: existing.ts, ...message });
      return existing;
    }
    const channelId = await this.channelId(this.policy.channels.approvals);
    const ts2 = await this.postOnce(channelId, key, message, new Date(view.request.requestedAt.getTime() - 6e4));
    return { channelId, ts: ts2 };
  }
  async notifyUser(userId, text3) {
    await this.call("chat.postMessage", { channel: userId, text: text3 });
  }
};

// src/adapters/slack/bolt-logger.ts
import { LogLevel } from "@slack/bolt";
function boltLogger(log) {
  const child = log.child({ component: "bolt" });
  let level = LogLevel.INFO;
  const text3 = (args) => args.map((a) => a instanceof Error ? a.message : typeof a === "string" ? a : JSON.stringify(a)).join(" ");
  return {
    debug: (...a) => child.debug(text3(a)),
    info: (...a) => child.info(text3(a)),
    warn: (...a) => child.warn(text3(a)),
    error: (...a) => child.error(text3(a)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => void 0
  };
}

// src/app/declare-incident.ts
async function declareIncident(deps, req) {
  const { policy } = deps;
  if (!severityById(policy, req.severity)) {
    throw new DomainError("unknown_severity", `"${req.severity}" is not a severity. Use ${severityRange(policy)}.`);
  }
  const title = validateTitle(req.title);
  const customerImpact = validateFreeText(req.customerImpact ?? "", "customer_impact", false);
  const service = validateFreeText(req.service ?? "", "service", false);
  if (service && [...service].length > 100) throw new DomainError("service_too_long", "The affected service name is over 100 characters.");
  return deps.store.transaction(async (tx) => {
    const result = await tx.insertIncident({
      requestKey: req.requestKey,
      title,
      severity: req.severity,
      customerImpact,
      service,
      isPrivate: req.isPrivate ?? false,
      declaredBy: req.declaredBy,
      declaredAt: deps.clock.now(),
      originChannel: req.originChannel ?? null
    });
    if (!result.created) return result;
    const { incident } = result;
    await tx.audit({
      actor: req.declaredBy,
      action: "incident.declared",
      incidentId: incident.id,
      subject: `INC-${incident.id}`,
      data: { title, severity: req.severity, customer_impact: customerImpact, service, private: incident.isPrivate }
    });
    await tx.enqueue({ kind: "warroom.setup", dedupeKey: `setup-${incident.id}`, payload: { incidentId: incident.id } });
    await startLadder(deps, tx, incident, incident.declaredAt);
    await tx.saveIncident(incident);
    return result;
  });
}

// src/app/war-room-commands.ts
async function inWarRoom(deps, channelId, fn) {
  return deps.store.transaction(async (tx) => {
    const incident = await tx.lockIncidentByChannel(channelId);
    if (!incident) throw new DomainError("not_in_war_room", "This channel is not an incident war room. Run the command in the incident's #inc-\u2026 channel.");
    return fn(tx, incident);
  });
}
async function followUp(tx, incident, seq, text3, alsoAnnounce) {
  await tx.enqueue({ kind: "incident.notice", dedupeKey: `notice-${seq}`, payload: { incidentId: incident.id, where: "war-room", text: text3 } });
  if (alsoAnnounce) {
    await tx.enqueue({ kind: "incident.notice", dedupeKey: `announce-${seq}`, payload: { incidentId: incident.id, where: "announcements", text: `${incidentRef(incident.id)}: ${text3}` } });
  }
  await tx.enqueue({ kind: "incident.sync", dedupeKey: `sync-${incident.id}-v${incident.version}`, payload: { incidentId: incident.id } });
}
async function postStatus2(deps, channelId, userId, rawText) {
  const text3 = validateFreeText(rawText, "status_update", true);
  return inWarRoom(deps, channelId, async (tx, incident) => {
    const now = deps.clock.now();
    postStatus(incident, text3, now);
    const every = severityById(deps.policy, incident.severity)?.escalation.statusEveryMs;
    incident.nextNudgeAt = every ? new Date(now.getTime() + every) : null;
    if (incident.nextNudgeAt) tx.wake({ kind: "nudge", incidentId: incident.id, seq: incident.statusSeq, at: incident.nextNudgeAt });
    await tx.saveIncident(incident);
    const seq = await tx.audit({ actor: userId, action: "incident.status_posted", incidentId: incident.id, subject: incidentRef(incident.id), data: { text: text3 } });
    await followUp(tx, incident, seq, `:memo: *Status update* from ${mention(userId)}:
${esc(text3)}`, false);
    return incident;
  });
}
async function authorize(deps, channelId, userId, action) {
  const incident = await deps.store.findByChannel(channelId);
  if (!incident) return;
  const perm = deps.policy.permissions[action];
  if (perm.declarer && incident.declaredBy === userId) return;
  if (perm.roles.some((r) => incident.roles[r]?.userId === userId)) return;
  for (const g of perm.groups) if (await deps.chat.isGroupMember(g, userId)) return;
  const who2 = [
    ...perm.roles.map((r) => roleLabel(deps.policy, r)),
    ...perm.declarer ? ["the declarer"] : [],
    ...perm.groups.map((g) => `@${g}`)
  ].join(", ");
  await deps.store.audit({ actor: userId, action: "incident.denied", incidentId: incident.id, subject: incidentRef(incident.id), data: { attempted: action } });
  throw new ForbiddenError(`Only ${who2} may ${action === "resolve" ? "resolve" : "change the severity of"} ${incidentRef(incident.id)}.`);
}
async function changeSeverity2(deps, channelId, userId, severity, rawReason) {
  if (!severityById(deps.policy, severity)) throw new DomainError("unknown_severity", `"${severity}" is not a severity.`);
  const reason = validateFreeText(rawReason, "reason", true);
  await authorize(deps, channelId, userId, "change_severity");
  return inWarRoom(deps, channelId, async (tx, incident) => {
    const previous = changeSeverity(incident, severity);
    await tx.cancelStaleSteps(incident.id, incident.generation);
    await startLadder(deps, tx, incident, deps.clock.now());
    await tx.saveIncident(incident);
    const seq = await tx.audit({ actor: userId, action: "incident.severity_changed", incidentId: incident.id, subject: incidentRef(incident.id), data: { from: previous, to: severity, reason } });
    const text3 = `:rotating_light: Severity changed ${previous.toUpperCase()} \u2192 *${severityLabel(deps.policy, severity)}* by ${mention(userId)}: ${esc(reason)}`;
    await followUp(tx, incident, seq, text3, true);
    return { incident, previous };
  });
}
async function resolveIncident(deps, channelId, userId, rawSummary) {
  const summary = validateFreeText(rawSummary, "summary", true);
  await authorize(deps, channelId, userId, "resolve");
  return inWarRoom(deps, channelId, async (tx, incident) => {
    const now = deps.clock.now();
    resolve(incident, userId, summary, now);
    incident.nextNudgeAt = null;
    await tx.cancelStaleSteps(incident.id, incident.generation);
    await tx.saveIncident(incident);
    if (incident.pagedServices.length) {
      await tx.enqueue({ kind: "pager.event", dedupeKey: `pd-resolve-${incident.id}`, payload: { incidentId: incident.id, action: "resolve" } });
    }
    const seq = await tx.audit({
      actor: userId,
      action: "incident.resolved",
      incidentId: incident.id,
      subject: incidentRef(incident.id),
      data: { summary, duration_ms: now.getTime() - incident.declaredAt.getTime() }
    });
    const text3 = `:white_check_mark: *Resolved* by ${mention(userId)} at ${formatDesk(now, deps.policy.timezone)}: ${esc(summary)}`;
    await followUp(tx, incident, seq, text3, false);
    return incident;
  });
}
var ACTION_TEXT = {
  "incident.declared": (d) => `declared ${String(d["severity"]).toUpperCase()}: ${esc(String(d["title"]))}`,
  "role.assigned": (d) => `${d["role"]} \u2192 ${mention(String(d["next"]))}${d["previous"] ? ` (was ${mention(String(d["previous"]))})` : ""}`,
  "incident.status_posted": (d) => `status: ${esc(String(d["text"]))}`,
  "incident.severity_changed": (d) => `severity ${String(d["from"]).toUpperCase()} \u2192 ${String(d["to"]).toUpperCase()}: ${esc(String(d["reason"]))}`,
  "incident.resolved": (d) => `resolved: ${esc(String(d["summary"]))}`,
  "incident.acknowledged": (d) => `${String(d["how"])} after ${Math.round(Number(d["response_ms"]) / 1e3)} s (response)`,
  "escalation.step_fired": (d) => `escalation step ${Number(d["step"]) + 1}: ${String(d["status"])}${Number(d["lateness_ms"]) > 5e3 ? ` (${Math.round(Number(d["lateness_ms"]) / 1e3)} s late)` : ""}`,
  "incident.status_nudged": () => "reminded the IC to post a status update",
  "regulatory.checklist_opened": () => "opened the regulatory checklist",
  "warroom.ready": (d) => `opened the war room <#${String(d["channel"])}>`,
  "warroom.failed": (d) => `could not set up the war room: ${esc(String(d["error"]))}`
};
async function incidentTimeline(deps, channelId) {
  const incident = await deps.store.findByChannel(channelId);
  if (!incident) throw new DomainError("not_in_war_room", "This channel is not an incident war room. Run `/incident timeline` in the incident's #inc-\u2026 channel.");
  const events = await deps.store.timeline(incident.id);
  const lines = events.map((e) => {
    const render = ACTION_TEXT[e.action];
    const what = render ? render(e.data ?? {}) : esc(e.action);
    return `\u2022 ${formatDesk(e.occurredAt, deps.policy.timezone)} \u2014 ${e.actor.startsWith("U") ? mention(e.actor) : esc(e.actor)} ${what}`;
  });
  const header = `*Timeline of ${incidentRef(incident.id)}* (${events.length} events)`;
  let body = lines.join("\n");
  while (body.length > 3500 && lines.length > 1) {
    lines.shift();
    body = `\u2026 earlier events omitted
${lines.join("\n")}`;
  }
  return `${header}
${body}`;
}

// src/domain/incident-command.ts
var WAR_ROOM_ONLY = /* @__PURE__ */ new Set(["status", "resolve", "timeline", "ack"]);
function parseIncidentCommand(policy, rawText, inWarRoom2) {
  const text3 = rawText.trim();
  const m = /^(\S+)\s*([\s\S]*)$/.exec(text3);
  const word = (m?.[1] ?? "").toLowerCase();
  const rest = (m?.[2] ?? "").trim();
  if (word === "") return inWarRoom2 ? { kind: "help" } : { kind: "open-modal", severity: null, title: null };
  if (word === "help" || word === "?") return { kind: "help" };
  if (/^sev\S*$/.test(word)) {
    if (!policy.severities.some((s) => s.id === word)) {
      throw new DomainError("unknown_severity", `"${word}" is not a severity. Use ${severityRange(policy)}, e.g. \`/incident sev2 Options quotes delayed\`.`);
    }
    if (inWarRoom2) {
      if (rest === "") throw new DomainError("reason_required", `Say why the severity changes, e.g. \`/incident ${word} customer impact now visible\`.`);
      return { kind: "severity", severity: word, reason: rest };
    }
    return rest === "" ? { kind: "open-modal", severity: word, title: null } : { kind: "declare", severity: word, title: rest };
  }
  if (WAR_ROOM_ONLY.has(word)) {
    if (!inWarRoom2) {
      throw new DomainError("not_in_war_room", `\`/incident ${word}\` works only in an incident's war-room channel (#inc-\u2026). Run it there.`);
    }
    switch (word) {
      case "status":
        if (rest === "") throw new DomainError("status_required", "Add the update, e.g. `/incident status failover to DC2 in progress`.");
        return { kind: "status", text: rest };
      case "resolve":
        if (rest === "") throw new DomainError("summary_required", "Add a one-line summary, e.g. `/incident resolve routing restored after failover`.");
        return { kind: "resolve", summary: rest };
      case "ack":
        return { kind: "ack" };
      default:
        return { kind: "timeline" };
    }
  }
  if (inWarRoom2) {
    throw new DomainError("unknown_subcommand", `I don't know \`/incident ${word}\`. Try \`/incident help\`.`);
  }
  return { kind: "open-modal", severity: null, title: text3 };
}
function incidentHelp(policy) {
  return [
    "*`/incident` \u2014 declare and run incidents*",
    `\u2022 \`/incident ${policy.severities[0]?.id ?? "sev1"} <title>\` \u2014 declare at once (${severityRange(policy)})`,
    "\u2022 `/incident` or `/incident <severity>` \u2014 open the declaration form",
    "*In a war-room channel:*",
    "\u2022 `/incident status <text>` \u2014 post a status update",
    "\u2022 `/incident ack` \u2014 acknowledge: stops the response clock and the escalation",
    "\u2022 `/incident <severity> <reason>` \u2014 change severity",
    "\u2022 `/incident resolve <summary>` \u2014 resolve",
    "\u2022 `/incident timeline` \u2014 show the incident's events (only to you)",
    "\u2022 `/incident help` \u2014 this list"
  ].join("\n");
}

// src/adapters/slack/listeners/incident-command.ts
function registerIncidentCommand(app, deps) {
  app.command("/incident", async ({ command, ack, client }) => {
    const ctx = { command: "/incident", user: command.user_id, channel: command.channel_id };
    let openModal = null;
    let reply;
    try {
      reply = await beforeSlackDeadline(
        (async () => {
          const warRoom = await deps.store.findByChannel(command.channel_id);
          const parsed = parseIncidentCommand(deps.policy, command.text ?? "", warRoom !== null);
          return runCommand(deps, command, parsed, (m) => openModal = m);
        })()
      );
    } catch (err) {
      reply = userMessage(err, deps.log, ctx);
    }
    await ack(reply ? ephemeral(reply) : void 0);
    if (openModal) {
      const m = openModal;
      try {
        await client.views.open({ trigger_id: command.trigger_id, view: declareModal(deps.policy, { ...m, originChannel: command.channel_id }) });
      } catch (err) {
        deps.log.warn({ ...ctx, err: err.message }, "views.open failed");
        await client.chat.postEphemeral({ channel: command.channel_id, user: command.user_id, text: ":warning: I could not open the declaration form. Declare directly: `/incident sev2 <title>`." }).catch(() => void 0);
      }
    }
  });
}
async function runCommand(deps, command, parsed, openModal) {
  const user = command.user_id;
  const channel = command.channel_id;
  switch (parsed.kind) {
    case "help":
      return incidentHelp(deps.policy);
    case "open-modal":
      openModal({ severity: parsed.severity, title: parsed.title });
      return "";
    case "declare": {
      const { incident } = await declareIncident(deps, {
        // trigger_id is unique per invocation and repeated by a retried request.
        requestKey: `cmd:${command.trigger_id}`,
        severity: parsed.severity,
        title: parsed.title,
        declaredBy: user,
        originChannel: channel
      });
      return `:rotating_light: Declaring ${incidentRef(incident.id)} (${severityLabel(deps.policy, incident.severity)}) \u2026 opening its war room and inviting you and the responders.`;
    }
    case "status":
      await postStatus2(deps, channel, user, parsed.text);
      return "Status update posted.";
    case "severity": {
      const { incident, previous } = await changeSeverity2(deps, channel, user, parsed.severity, parsed.reason);
      return `${incidentRef(incident.id)} changed from ${previous.toUpperCase()} to ${severityLabel(deps.policy, incident.severity)}.`;
    }
    case "resolve": {
      const incident = await resolveIncident(deps, channel, user, parsed.summary);
      return `${incidentRef(incident.id)} resolved. Thank you, ${mention(user)}.`;
    }
    case "timeline":
      return incidentTimeline(deps, channel);
    case "ack":
      return acknowledge(deps, { channelId: channel }, user);
  }
}

// src/app/assign-role.ts
async function assignRole2(deps, req) {
  return deps.store.transaction(async (tx) => {
    const incident = await tx.lockIncident(req.incidentId);
    if (!incident) throw new DomainError("unknown_incident", `${incidentRef(req.incidentId)} does not exist.`);
    const change = assignRole(deps.policy, incident, req.role, req.userId, req.by, deps.clock.now());
    if (!change) return { changed: false, incident };
    if (req.role === INCIDENT_COMMANDER) await recordResponse(deps, tx, incident, req.userId, "took Incident Commander");
    await tx.saveIncident(incident);
    const label = roleLabel(deps.policy, req.role);
    const seq = await tx.audit({
      actor: req.by,
      action: "role.assigned",
      incidentId: incident.id,
      subject: incidentRef(incident.id),
      data: { role: req.role, previous: change.previous, next: change.next }
    });
    const handover = change.previous ? ` (took over from ${mention(change.previous)})` : "";
    const by = req.by === req.userId ? "" : `, assigned by ${mention(req.by)}`;
    await tx.enqueue({
      kind: "incident.notice",
      dedupeKey: `notice-${seq}`,
      payload: { incidentId: incident.id, where: "war-room", text: `${mention(req.userId)} is now ${label}${handover}${by}` }
    });
    if (req.by !== req.userId) {
      await tx.enqueue({ kind: "incident.invite", dedupeKey: `invite-${seq}`, payload: { incidentId: incident.id, users: [req.userId] } });
    }
    await tx.enqueue({ kind: "incident.sync", dedupeKey: `sync-${incident.id}-v${incident.version}`, payload: { incidentId: incident.id } });
    return { changed: true, incident };
  });
}

// src/adapters/slack/listeners/role-actions.ts
function registerRoleActions(app, deps) {
  app.action(ACTION.roleTake, async ({ ack, body, action, respond: respond2 }) => {
    await ack();
    await apply(deps, respond2, body.user.id, body.user.id, action.value);
  });
  app.action(ACTION.roleAssign, async ({ ack, body, action, respond: respond2 }) => {
    await ack();
    await apply(deps, respond2, body.user.id, action.selected_user ?? "", action.block_id);
  });
}
async function apply(deps, respond2, by, userId, target) {
  let text3 = null;
  try {
    const decoded = decodeRoleTarget(target);
    if (!decoded) throw new DomainError("bad_action", "That button is not one of mine any more; use the pinned header card.");
    if (!/^[UW][A-Z0-9]+$/.test(userId)) throw new DomainError("no_user", "Pick a person to assign the role to.");
    const { changed } = await assignRole2(deps, { incidentId: decoded.incidentId, role: decoded.role, userId, by });
    if (!changed) text3 = `${userId === by ? "You already are" : `<@${userId}> already is`} ${roleLabel(deps.policy, decoded.role)}.`;
  } catch (err) {
    text3 = userMessage(err, deps.log, { action: "role", user: by, target });
  }
  if (text3) await respond2({ response_type: "ephemeral", replace_original: false, text: text3 }).catch((err) => deps.log.warn({ err: err.message }, "respond failed"));
}

// src/adapters/slack/listeners/declare-view.ts
var text2 = (v, block) => v[block]?.["v"]?.value ?? "";
var selected = (v, block) => v[block]?.["v"]?.selected_option?.value ?? null;
function registerDeclareView(app, deps) {
  app.view(VIEW.declare, async ({ ack, view, body }) => {
    const v = view.state.values;
    const severity = selected(v, FIELD.severity);
    const serviceId = selected(v, FIELD.serviceSelect);
    const service = text2(v, FIELD.serviceText).trim() || (serviceId ? deps.policy.services.find((s) => s.id === serviceId)?.name ?? serviceId : "");
    const isPrivate = (v[FIELD.private]?.["v"]?.selected_options ?? []).some((o) => o.value === "private");
    let origin = null;
    try {
      origin = JSON.parse(view.private_metadata || "{}").origin ?? null;
    } catch {
      origin = null;
    }
    if (!severity) {
      await ack({ response_action: "errors", errors: { [FIELD.severity]: "Pick a severity." } });
      return;
    }
    try {
      const { incident } = await declareIncident(deps, {
        requestKey: `view:${view.id}`,
        severity,
        title: text2(v, FIELD.title),
        customerImpact: text2(v, FIELD.impact),
        service,
        isPrivate,
        declaredBy: body.user.id,
        originChannel: origin
      });
      await ack({
        response_action: "update",
        view: {
          type: "modal",
          title: { type: "plain_text", text: "Incident declared" },
          close: { type: "plain_text", text: "Close" },
          blocks: [
            { type: "section", text: { type: "mrkdwn", text: `:rotating_light: Declaring ${incidentRef(incident.id)} (${severityLabel(deps.policy, incident.severity)}) \u2026 its war room is being opened and you will be invited.` } }
          ]
        }
      });
    } catch (err) {
      if (err instanceof DomainError && err.code.startsWith("title")) {
        await ack({ response_action: "errors", errors: { [FIELD.title]: err.message.replace(/`/g, "") } });
      } else if (err instanceof DomainError && err.code.startsWith("customer_impact")) {
        await ack({ response_action: "errors", errors: { [FIELD.impact]: err.message } });
      } else if (err instanceof DomainError && err.code.startsWith("service")) {
        await ack({ response_action: "errors", errors: { [FIELD.serviceText]: err.message } });
      } else {
        await ack({ response_action: "errors", errors: { [FIELD.title]: userMessage(err, deps.log, { view: VIEW.declare, user: body.user.id }) } });
      }
    }
  });
}

// src/server.ts
async function startWarroom(opts) {
  const { env, policy, log } = opts;
  const clock = opts.clock ?? systemClock;
  await migrateDatabase(env.DATABASE_URL);
  const { sql: sql2, db } = connect(env.DATABASE_URL);
  const redis = new Redis3(env.REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: false });
  redis.on("error", (err) => log.warn({ err: err.message }, "redis connection error"));
  const client = new WebClient(env.SLACK_BOT_TOKEN, {
    slackApiUrl: env.SLACK_API_URL,
    // Retries belong to the job queue (which honours Retry-After without blocking other work).
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: opts.slackTimeoutMs ?? 1e4,
    logLevel: "error"
  });
  const slackHealth = new SlackHealth(client, log);
  await slackHealth.check();
  const chat = new SlackChat(client, policy, () => slackHealth.botUserId, log, (code) => slackHealth.failed(code));
  const workStore = new PostgresWorkStore(db);
  const calendar = new MarketCalendar(policy.calendar);
  const rules = new DeployRules(calendar, policy.deploy);
  let work;
  const onCommitted = (items) => queue.dispatch(items).catch((err) => log.warn({ err: err.message }, "dispatch deferred to the reconciler"));
  const metrics = new PromMetrics();
  const pager = new PagerDutyPager({ eventsUrl: env.PAGERDUTY_EVENTS_URL, routingKeys: opts.routingKeys ?? {}, ...opts.pagerCa ? { ca: opts.pagerCa } : {} });
  const sms2 = opts.twilio ? new TwilioSmsSender({ apiUrl: opts.twilio.apiUrl, accountSid: opts.twilio.accountSid, authToken: opts.twilio.authToken, from: opts.twilio.from }) : { send: async () => Promise.reject(new PermanentError("sms_not_configured", "SMS is not configured (TWILIO_* variables)")) };
  const heartbeatUrl = env.HEARTBEAT_URL;
  const heartbeat = heartbeatUrl ? async () => {
    const res = await fetch(heartbeatUrl, { signal: AbortSignal.timeout(5e3) });
    if (!res.ok) throw new Error(`heartbeat answered ${res.status}`);
  } : null;
  const timers = new TimerQueue({ redisUrl: env.REDIS_URL, prefix: env.REDIS_PREFIX, run: (t) => runTimer(work, t), log, backoffMs: opts.queue?.backoffMs ?? env.WARROOM_RETRY_BACKOFF, stalledMs: Math.min(3e4, env.WARROOM_STALE_CLAIM_AFTER) });
  const onTimers = (specs) => timers.wake(specs).catch((err) => log.warn({ err: err.message }, "timers deferred to the reconciler"));
  const incidents2 = {
    store: new PostgresIncidentStore(db, clock, onCommitted, onTimers),
    chat,
    policy,
    clock,
    log,
    calendar: new MarketCalendar(policy.calendar),
    timers,
    pager,
    sms: sms2,
    metrics,
    heartbeat,
    staleClaimMs: opts.staleClaimMs ?? env.WARROOM_STALE_CLAIM_AFTER
  };
  const deploys = { deploys: new PostgresDeployStore(db, clock, onCommitted), chat, policy, rules, calendar, clock, log };
  const compliance = {
    store: new PostgresComplianceStore(db, clock, onCommitted, onTimers),
    chat,
    policy,
    calendar: incidents2.calendar,
    clock,
    log,
    pager,
    timers,
    metrics
  };
  work = { incidents: incidents2, deploys, compliance };
  const queue = new WorkQueue({
    redisUrl: env.REDIS_URL,
    prefix: env.REDIS_PREFIX,
    store: workStore,
    run: (item, attempt) => runWork(work, item, attempt),
    onFailed: (item, error) => onWorkFailed(work, item, error),
    log,
    backoffMs: env.WARROOM_RETRY_BACKOFF,
    reconcileEveryMs: env.WARROOM_RECONCILE_EVERY,
    stalledMs: Math.min(3e4, env.WARROOM_STALE_CLAIM_AFTER),
    ...opts.queue
  });
  const routes = [
    ...healthRoutes({
      postgres: async () => void await sql2`select 1`,
      redis: async () => void await redis.ping(),
      slack: async () => {
        if (slackHealth.problem) throw new Error(slackHealth.problem);
      }
    }),
    ...deployGateRoutes(deploys, opts.apiTokens ?? []),
    ...complianceApiRoutes(compliance, opts.apiTokens ?? []),
    {
      path: "/metrics",
      method: "GET",
      handler: asyncRoute(async (_req, res) => {
        res.writeHead(200, { "content-type": metrics.registry.contentType });
        res.end(await metrics.registry.metrics());
      })
    }
  ];
  const app = new App({
    signingSecret: env.SLACK_SIGNING_SECRET,
    token: env.SLACK_BOT_TOKEN,
    // Known after a successful auth.test; Bolt only needs them to ignore the bot's own events.
    botId: slackHealth.botId || "B00000000",
    botUserId: slackHealth.botUserId || "U00000000",
    clientOptions: { slackApiUrl: env.SLACK_API_URL, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: 5e3 },
    logger: boltLogger(log),
    logLevel: LogLevel2.INFO,
    // In Socket Mode the receiver serves the custom routes (health, APIs) on its own HTTP port.
    ...env.SLACK_APP_TOKEN ? { socketMode: true, appToken: env.SLACK_APP_TOKEN, installerOptions: { port: env.PORT } } : {},
    // Bolt types params with express types it does not ship; the shape is the same.
    customRoutes: routes
  });
  app.error(async (err) => {
    log.error({ err }, "unhandled error in a Slack listener");
  });
  registerIncidentCommand(app, incidents2);
  registerRoleActions(app, incidents2);
  registerDeclareView(app, incidents2);
  registerDeployWindow(app, deploys);
  registerEscalationActions(app, incidents2);
  registerCompliance(app, compliance);
  const known = Object.values(ACTION).join("|");
  app.action({ action_id: new RegExp(`^(?!(?:${known})$)`) }, async ({ ack, respond: respond2, body }) => {
    await ack();
    log.warn({ user: body.user?.id, action: body.actions?.[0]?.action_id }, "unknown action id");
    await respond2({ response_type: "ephemeral", replace_original: false, text: ":warning: That button is not one of mine (any more). Use the latest card, or `/incident help`." }).catch(() => void 0);
  });
  let reconcileTimer = null;
  if (opts.workers !== false) {
    queue.start();
    timers.start();
    const tick = () => Promise.all([reconcileTimers(incidents2), planCompliance(compliance)]).catch((err) => log.warn({ err: err.message }, "timer reconcile failed"));
    void tick();
    await timers.scheduleDaily("compliance-planner", "5 0 * * *", policy.timezone, { kind: "cmp-plan" });
    reconcileTimer = setInterval(tick, opts.queue?.reconcileEveryMs ?? env.WARROOM_RECONCILE_EVERY);
    reconcileTimer.unref();
  }
  const started = await app.start(env.PORT);
  const port = started && typeof started.address === "function" ? started.address().port : env.PORT;
  log.info({ port, mode: env.SLACK_APP_TOKEN ? "socket" : "http" }, "warroom is listening");
  let stopped = false;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    queue,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (reconcileTimer) clearInterval(reconcileTimer);
      slackHealth.stop();
      await app.stop().catch(() => void 0);
      await queue.close();
      await timers.close();
      pager.close();
      redis.disconnect();
      await sql2.end({ timeout: 5 });
    }
  };
}
export {
  startWarroom
};
