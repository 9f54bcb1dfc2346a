import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Policy } from '../domain/policy.js';
import { alertsSchema } from './alerts-schema.js';
import { calendarSchema, hhmm, isValidZone } from './calendar-schema.js';
import { channelName, duration, groupHandle, responders, slackUser, slug } from './schema-parts.js';

export { duration };

export const DEFAULT_POLICY_PATH = fileURLToPath(new URL('../../policy/default.yml', import.meta.url));


const sessionKindEnum = z.enum(['pre-market', 'regular', 'after-hours', 'overnight', 'weekend', 'holiday', 'closed']);

/** One rung of a ladder: `after` the clock starts, these actions, unless someone responded first. */
const escalationStep = z
  .strictObject({
    after: duration,
    always: z.boolean().default(false),
    page: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be a pagerduty service name from pagerduty.services, or owner').optional(),
    sms: z.strictObject({ contacts: z.array(z.string()).default([]), groups: z.array(groupHandle).default([]) }).optional(),
    notify: z.strictObject({ users: z.array(slackUser).default([]), groups: z.array(groupHandle).default([]) }).optional(),
    regulatory: z.boolean().optional(),
  })
  .refine((s) => s.page || s.sms || s.notify || s.regulatory, 'a step needs at least one of page, sms, notify, regulatory');

const severity = z.strictObject({
  label: z.string().min(1).max(40),
  description: z.string().min(1).max(150),
  respond_within: duration,
  required_roles: z.array(slug).default(['incident_commander']),
  default_responders: responders.default({ users: [], groups: [] }),
  announce_groups: z.array(groupHandle).default([]),
  pager_severity: z.enum(['critical', 'error', 'warning', 'info']).default('warning'),
  status_every: duration.optional(),
  quiet_sessions: z.array(sessionKindEnum).default([]),
  escalation: z.array(escalationStep).default([]),
});

const sessionKind = z.enum(['pre-market', 'regular', 'after-hours', 'overnight', 'weekend', 'holiday', 'closed']);
const approval = z.enum(['auto', 'engineering-lead', 'cto', 'forbidden']);

/** The operating model's release rules, used when the policy has no `deploy` section. */
const DEFAULT_DEPLOY = {
  approvers: { 'engineering-lead': 'eng-leads', cto: 'cto' },
  windows: [
    { name: 'pre-market', sessions: ['pre-market'], until: '09:20', approvals: { 'non-critical': 'auto', standard: 'forbidden', emergency: 'cto' }, risk: 'low' },
    { name: 'pre-open freeze and regular session', sessions: ['pre-market', 'regular'], approvals: { 'non-critical': 'forbidden', standard: 'forbidden', emergency: 'cto' }, risk: 'critical' },
    { name: 'after-hours', sessions: ['after-hours'], approvals: { 'non-critical': 'engineering-lead', standard: 'engineering-lead', emergency: 'engineering-lead' }, risk: 'medium' },
    { name: 'off-hours', sessions: ['overnight', 'weekend', 'holiday', 'closed'], approvals: { 'non-critical': 'auto', standard: 'auto', emergency: 'auto' }, risk: 'low' },
  ],
};

const deploySchema = z.strictObject({
  approvers: z.strictObject({ 'engineering-lead': groupHandle, cto: groupHandle }).default(DEFAULT_DEPLOY.approvers),
  max_approval: duration.default(4 * 3_600_000),
  freeze_severities: z.array(z.string().regex(/^sev[1-9]$/)).default(['sev1', 'sev2']),
  windows: z
    .array(
      z.strictObject({
        name: z.string().min(1).max(80),
        sessions: z.array(sessionKind).min(1),
        from: hhmm.optional(),
        until: hhmm.optional(),
        approvals: z.strictObject({ 'non-critical': approval, standard: approval, emergency: approval }),
        risk: z.enum(['low', 'medium', 'high', 'critical']),
      }),
    )
    .min(1)
    .default(DEFAULT_DEPLOY.windows as never)
    .superRefine((windows, ctx) => {
      // Every session needs a window that runs to its end, so any instant has a rule.
      for (const k of sessionKind.options) {
        if (!windows.some((w) => w.sessions.includes(k) && !w.until)) {
          ctx.addIssue({ code: 'custom', message: `no window covers the ${k} session to its end` });
        }
      }
    }),
});

/** Task times may carry seconds (`02:00:30`): short test schedules and odd vendor cut-offs. */
const taskTime = z.union([z.string().regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/, 'must be a time HH:MM or HH:MM:SS (24 h)'), duration]);

const complianceTask = z
  .strictObject({
    id: slug,
    title: z.string().min(1).max(100),
    owner: groupHandle,
    channel: channelName.optional(),
    kind: z.enum(['automated', 'manual']).default('manual'),
    days: z.enum(['trading-days', 'weekdays', 'every-day']).default('trading-days'),
    relative_to: z.enum(['clock', 'close']).default('clock'),
    opens: taskTime,
    due: taskTime,
    warn_before: duration.default(15 * 60_000),
    page: slug.optional(),
    notify_on_miss: z.array(groupHandle).default(['compliance-managers']),
  })
  .superRefine((t, ctx) => {
    const wantsTime = t.relative_to === 'clock';
    for (const field of ['opens', 'due'] as const) {
      if (wantsTime !== (typeof t[field] === 'string')) {
        ctx.addIssue({ code: 'custom', path: [field], message: wantsTime ? 'must be a time HH:MM or HH:MM:SS (24 h)' : 'with relative_to: close, must be a duration after the close (e.g. 30m)' });
      }
    }
  });

const permission = z.strictObject({
  roles: z.array(slug).default([]),
  declarer: z.boolean().default(false),
  groups: z.array(groupHandle).default([]),
});

const policySchema = z
  .strictObject({
    timezone: z.string().default('America/New_York'),
    channels: z
      .strictObject({ announcements: channelName.default('incidents'), compliance: channelName.default('compliance'), approvals: channelName.default('deploy-approvals') })
      .default({ announcements: 'incidents', compliance: 'compliance', approvals: 'deploy-approvals' }),
    roles: z.array(z.strictObject({ id: slug, label: z.string().min(1).max(40), description: z.string().max(150).default('') })).min(1),
    severities: z.record(z.string().regex(/^sev[1-9]$/, 'severity ids are sev1 … sev9'), severity),
    services: z.array(z.strictObject({ id: slug, name: z.string().min(1).max(75), pagerduty: slug.optional() })).default([]),
    pagerduty: z
      .strictObject({
        services: z.record(slug, z.strictObject({ routing_key_env: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must be an environment variable name') })).default({}),
        default_service: slug.optional(),
      })
      .prefault({}),
    contacts: z.record(slug, z.array(z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number like +12125550123'))).default({}),
    regulatory: z
      .strictObject({
        due_within: duration.default(3_600_000),
        remind_before: duration.default(600_000),
        items: z.array(z.strictObject({ id: slug, title: z.string().min(1).max(150), owners: z.array(groupHandle).min(1) })).default([]),
      })
      .prefault({}),
    calendar: calendarSchema.prefault({}),
    compliance: z
      .strictObject({
        digest_at: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/, 'must be a time HH:MM or HH:MM:SS (24 h)').default('19:30'),
        completers: z.array(groupHandle).default(['compliance']),
        tasks: z.array(complianceTask).default([]),
      })
      .prefault({}),
    deploy: deploySchema.prefault({}),
    api_tokens: z
      .array(
        z.strictObject({
          name: slug,
          env: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must be an environment variable name'),
          scopes: z.array(z.enum(['deploy-gate', 'compliance', 'alerts'])).min(1).default(['deploy-gate', 'compliance']),
        }),
      )
      .default([{ name: 'ci', env: 'DEPLOY_GATE_TOKEN', scopes: ['deploy-gate', 'compliance'] }]),
    alerts: alertsSchema.prefault({}),
    permissions: z
      .strictObject({
        resolve: permission.default({ roles: ['incident_commander'], declarer: true, groups: ['sre-managers'] }),
        change_severity: permission.default({ roles: ['incident_commander', 'technical_lead'], declarer: true, groups: ['sre-managers'] }),
      })
      .prefault({}),
  })
  .superRefine((p, ctx) => {
    const roleIds = new Set(p.roles.map((r) => r.id));
    if (!roleIds.has('incident_commander')) ctx.addIssue({ code: 'custom', path: ['roles'], message: 'must include incident_commander' });
    if (roleIds.size !== p.roles.length) ctx.addIssue({ code: 'custom', path: ['roles'], message: 'role ids must be unique' });
    if (Object.keys(p.severities).length === 0) ctx.addIssue({ code: 'custom', path: ['severities'], message: 'define at least one severity' });
    for (const [id, s] of Object.entries(p.severities)) {
      s.required_roles.forEach((r, i) => {
        if (!roleIds.has(r)) ctx.addIssue({ code: 'custom', path: ['severities', id, 'required_roles', i], message: `unknown role "${r}"` });
      });
    }
    const pdServices = new Set(Object.keys(p.pagerduty.services));
    if (p.pagerduty.default_service && !pdServices.has(p.pagerduty.default_service)) {
      ctx.addIssue({ code: 'custom', path: ['pagerduty', 'default_service'], message: `unknown pagerduty service "${p.pagerduty.default_service}"` });
    }
    p.services.forEach((svc, i) => {
      if (svc.pagerduty && !pdServices.has(svc.pagerduty)) ctx.addIssue({ code: 'custom', path: ['services', i, 'pagerduty'], message: `unknown pagerduty service "${svc.pagerduty}"` });
    });
    for (const [id, s] of Object.entries(p.severities)) {
      s.escalation.forEach((step, i) => {
        if (step.page && step.page !== 'owner' && !pdServices.has(step.page)) {
          ctx.addIssue({ code: 'custom', path: ['severities', id, 'escalation', i, 'page'], message: `unknown pagerduty service "${step.page}" (define it under pagerduty.services)` });
        }
        if (step.page === 'owner' && !p.pagerduty.default_service) {
          ctx.addIssue({ code: 'custom', path: ['severities', id, 'escalation', i, 'page'], message: 'page: owner needs pagerduty.default_service for incidents without an owning service' });
        }
        step.sms?.contacts.forEach((c, j) => {
          if (!(c in p.contacts)) ctx.addIssue({ code: 'custom', path: ['severities', id, 'escalation', i, 'sms', 'contacts', j], message: `unknown contact group "${c}" (define it under contacts)` });
        });
      });
    }
    const taskIds = new Set<string>();
    p.compliance.tasks.forEach((t, i) => {
      if (taskIds.has(t.id)) ctx.addIssue({ code: 'custom', path: ['compliance', 'tasks', i, 'id'], message: `duplicate task id "${t.id}"` });
      taskIds.add(t.id);
      if (t.page && !pdServices.has(t.page)) ctx.addIssue({ code: 'custom', path: ['compliance', 'tasks', i, 'page'], message: `unknown pagerduty service "${t.page}"` });
    });
    for (const [action, perm] of Object.entries(p.permissions)) {
      perm.roles.forEach((r, i) => {
        if (!roleIds.has(r)) ctx.addIssue({ code: 'custom', path: ['permissions', action, 'roles', i], message: `unknown role "${r}"` });
      });
    }
    p.deploy.freeze_severities.forEach((sev, i) => {
      if (!(sev in p.severities)) ctx.addIssue({ code: 'custom', path: ['deploy', 'freeze_severities', i], message: `unknown severity "${sev}"` });
    });
    const routes = p.alerts.routes;
    const serviceIds = new Set(p.services.map((s) => s.id));
    const routeNames = new Set<string>();
    routes.forEach((r, i) => {
      const at = (...rest: Array<string | number>) => ['alerts', 'routes', i, ...rest];
      if (routeNames.has(r.name)) ctx.addIssue({ code: 'custom', path: at('name'), message: `duplicate route name "${r.name}"` });
      routeNames.add(r.name);
      if (r.severity && !(r.severity in p.severities)) ctx.addIssue({ code: 'custom', path: at('severity'), message: `unknown severity "${r.severity}"` });
      if (r.service && !serviceIds.has(r.service)) ctx.addIssue({ code: 'custom', path: at('service'), message: `unknown service "${r.service}" (define it under services)` });
      if (r.action === 'attach' && !r.service) ctx.addIssue({ code: 'custom', path: at('service'), message: 'an attach route names the service whose open incident it joins' });
    });
    const last = routes[routes.length - 1];
    const catchAll = (r: (typeof routes)[number]) => !r.match || (r.match.source.length === 0 && r.match.severity.length === 0 && Object.keys(r.match.labels).length === 0);
    if (last && !catchAll(last)) ctx.addIssue({ code: 'custom', path: ['alerts', 'routes', routes.length - 1, 'match'], message: 'the last route is the default: it must have no match (it takes every alert no other route took)' });
    routes.slice(0, -1).forEach((r, i) => {
      if (catchAll(r)) ctx.addIssue({ code: 'custom', path: ['alerts', 'routes', i, 'match'], message: 'a route with no match takes every alert: only the last (default) route may have none' });
    });
    if (!isValidZone(p.timezone)) ctx.addIssue({ code: 'custom', path: ['timezone'], message: `"${p.timezone}" is not an IANA time zone` });
  });

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** `severities.sev1.respond_within: "5x" is not a duration…` — the key, then the problem. */
export function formatIssues(source: string, error: z.ZodError): string {
  return `${source} is invalid:\n${error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n')}`;
}

export function parsePolicy(yamlText: string, source = 'policy'): Policy {
  let raw: unknown;
  try {
    raw = parseYaml(yamlText);
  } catch (err) {
    throw new ConfigError(`${source} is not valid YAML: ${(err as Error).message}`);
  }
  const parsed = policySchema.safeParse(raw ?? {});
  if (!parsed.success) throw new ConfigError(formatIssues(source, parsed.error));
  const p = parsed.data;
  const policy: Policy = {
    timezone: p.timezone,
    channels: p.channels,
    roles: p.roles.map((r) => ({ id: r.id, label: r.label, description: r.description })),
    severities: Object.entries(p.severities)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, s]) => ({
        id,
        label: s.label,
        description: s.description,
        respondWithinMs: s.respond_within,
        requiredRoles: s.required_roles,
        defaultResponders: s.default_responders,
        announceGroups: s.announce_groups,
        escalation: {
          pagerSeverity: s.pager_severity,
          statusEveryMs: s.status_every ?? null,
          quietSessions: s.quiet_sessions,
          steps: s.escalation.map((step) => ({
            afterMs: step.after,
            always: step.always,
            actions: [
              ...(step.page ? [{ kind: 'page' as const, service: step.page }] : []),
              ...(step.sms ? [{ kind: 'sms' as const, contacts: step.sms.contacts, groups: step.sms.groups }] : []),
              ...(step.notify ? [{ kind: 'notify' as const, users: step.notify.users, groups: step.notify.groups }] : []),
              ...(step.regulatory ? [{ kind: 'regulatory' as const }] : []),
            ],
          })),
        },
      })),
    services: p.services.map((svc) => ({ id: svc.id, name: svc.name, pagerduty: svc.pagerduty ?? null })),
    pagerduty: {
      services: Object.fromEntries(Object.entries(p.pagerduty.services).map(([k, v]) => [k, { routingKeyEnv: v.routing_key_env }])),
      defaultService: p.pagerduty.default_service ?? null,
    },
    contacts: p.contacts,
    regulatory: { dueWithinMs: p.regulatory.due_within, remindBeforeMs: p.regulatory.remind_before, items: p.regulatory.items },
    calendar: {
      zone: p.timezone,
      extraClosures: p.calendar.extra_closures,
      extraEarlyCloses: p.calendar.extra_early_closes,
      hours: {
        preMarketOpen: p.calendar.hours.pre_market_open,
        regularOpen: p.calendar.hours.regular_open,
        regularClose: p.calendar.hours.regular_close,
        earlyClose: p.calendar.hours.early_close,
        afterHoursClose: p.calendar.hours.after_hours_close,
        earlyAfterHoursClose: p.calendar.hours.early_after_hours_close,
        overnightOpen: p.calendar.hours.overnight_open,
      },
    },
    deploy: {
      zone: p.timezone,
      approverGroups: p.deploy.approvers,
      maxApprovalMs: p.deploy.max_approval,
      freezeSeverities: p.deploy.freeze_severities,
      windows: p.deploy.windows.map((w) => ({ name: w.name, sessions: w.sessions, from: w.from ?? null, until: w.until ?? null, approvals: w.approvals, risk: w.risk })),
    },
    apiTokens: p.api_tokens,
    alerts: {
      routes: p.alerts.routes.map((r) => ({
        name: r.name,
        match: { sources: r.match?.source ?? [], severities: r.match?.severity ?? [], labels: r.match?.labels ?? {} },
        action: r.action,
        severity: r.severity ?? null,
        service: r.service ?? null,
        responders: r.responders,
        fallback: r.fallback,
        channel: r.channel ?? p.alerts.triage_channel,
        groupKey: r.group_key,
        groupWindowMs: r.group_window,
        autoResolve: r.auto_resolve,
      })),
    },
    permissions: p.permissions,
    compliance: {
      digestAt: p.compliance.digest_at,
      completers: p.compliance.completers,
      tasks: p.compliance.tasks.map((t) => ({
        id: t.id,
        title: t.title,
        owner: t.owner,
        channel: t.channel ?? p.channels.compliance,
        kind: t.kind,
        days: t.days,
        opens: typeof t.opens === 'string' ? { at: t.opens } : { afterClose: t.opens },
        due: typeof t.due === 'string' ? { at: t.due } : { afterClose: t.due },
        warnBeforeMs: t.warn_before,
        pagerduty: t.page ?? null,
        notifyOnMiss: t.notify_on_miss,
      })),
    },
  };
  return policy;
}

export function loadPolicy(path: string | undefined): Policy {
  const file = path ?? DEFAULT_POLICY_PATH;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`WARROOM_POLICY: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parsePolicy(text, path ? `WARROOM_POLICY (${file})` : `default policy (${file})`);
}
