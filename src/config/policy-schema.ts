import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';
import type { Policy } from '../domain/policy.js';

export const DEFAULT_POLICY_PATH = fileURLToPath(new URL('../../policy/default.yml', import.meta.url));

const duration = z.string().transform((text, ctx) => {
  try {
    return parseDuration(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const slackUser = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user id like U024BE7LH');
const groupHandle = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be a user-group handle like sre-oncall (no @)');
const channelName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,79}$/, 'must be a Slack channel name without # (lowercase, digits, - and _)');
const slug = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lowercase letters, digits, - or _');

const responders = z.strictObject({ users: z.array(slackUser).default([]), groups: z.array(groupHandle).default([]) });

const severity = z.strictObject({
  label: z.string().min(1).max(40),
  description: z.string().min(1).max(150),
  respond_within: duration,
  required_roles: z.array(slug).default(['incident_commander']),
  default_responders: responders.default({ users: [], groups: [] }),
  announce_groups: z.array(groupHandle).default([]),
});

const policySchema = z
  .strictObject({
    timezone: z.string().default('America/New_York'),
    channels: z
      .strictObject({ announcements: channelName.default('incidents'), compliance: channelName.default('compliance'), approvals: channelName.default('deploy-approvals') })
      .default({ announcements: 'incidents', compliance: 'compliance', approvals: 'deploy-approvals' }),
    roles: z.array(z.strictObject({ id: slug, label: z.string().min(1).max(40), description: z.string().max(150).default('') })).min(1),
    severities: z.record(z.string().regex(/^sev[1-9]$/, 'severity ids are sev1 … sev9'), severity),
    services: z.array(z.strictObject({ id: slug, name: z.string().min(1).max(75) })).default([]),
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
    if (!isValidZone(p.timezone)) ctx.addIssue({ code: 'custom', path: ['timezone'], message: `"${p.timezone}" is not an IANA time zone` });
  });

function isValidZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

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
  return {
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
      })),
    services: p.services,
  };
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
