import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, loadPolicy } from './policy-schema.js';
import { parseDuration } from '../domain/duration.js';
import type { ApiScope, Policy } from '../domain/policy.js';

/*
 * Every environment variable warroom reads, validated in one pass: a new user learns everything
 * that is missing or malformed from one failed start, in plain words ("SLACK_BOT_TOKEN is not
 * set"), not one zod message per start. `.env.example` and README's configuration table are
 * generated from / checked against ENV_VARS (test/config/env-docs.test.ts).
 */

const url = (schemes: string[]) =>
  z.string().refine((v) => {
    try {
      return schemes.includes(new URL(v).protocol.replace(':', ''));
    } catch {
      return false;
    }
  }, `must be a ${schemes.join(' or ')} URL`);

const durationVar = z.string().transform((text, ctx) => {
  try {
    return parseDuration(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a duration like 500ms, 30s, 5m or 1h30m' });
    return z.NEVER;
  }
});
const port = z
  .string()
  .regex(/^\d{1,5}$/, 'must be a port number from 0 to 65535')
  .transform(Number)
  .refine((n) => n <= 65535, 'must be a port number from 0 to 65535');
const workers = z
  .string()
  .regex(/^[1-9]\d{0,2}$/, 'must be a whole number from 1 to 999')
  .transform(Number);
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const envSchema = z.object({
  SLACK_BOT_TOKEN: z.string().startsWith('xoxb-', 'must be a bot token (xoxb-…)'),
  SLACK_SIGNING_SECRET: z.string().min(1),
  SLACK_APP_TOKEN: z.string().startsWith('xapp-', 'must be an app-level token (xapp-…)').optional(),
  SLACK_API_URL: url(['http', 'https']).default('https://slack.com/api/'),
  DATABASE_URL: url(['postgres', 'postgresql']),
  REDIS_URL: url(['redis', 'rediss']).default('redis://127.0.0.1:6379'),
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9{}_-]+$/, 'may hold only letters, digits, -, _ and braces').default('{warroom}'),
  PORT: port.default(3000),
  WARROOM_POLICY: z.string().optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  PAGERDUTY_EVENTS_URL: url(['https']).default('https://events.pagerduty.com/v2/enqueue'),
  PAGERDUTY_CA_FILE: z.string().optional(),
  PAGERDUTY_WEBHOOK_SECRET: z.string().min(16, 'must be the webhook subscription\'s signing secret (at least 16 characters)').optional(),
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be AC followed by 32 hex digits').optional(),
  TWILIO_AUTH_TOKEN: z.string().min(16, 'must be the account auth token (at least 16 characters)').optional(),
  TWILIO_FROM: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number like +12125550100').optional(),
  TWILIO_API_URL: url(['http', 'https']).default('https://api.twilio.com'),
  HEARTBEAT_URL: url(['http', 'https']).optional(),
  WARROOM_RECONCILE_EVERY: durationVar.default(30_000),
  WARROOM_STALE_CLAIM_AFTER: durationVar.default(60_000),
  WARROOM_RETRY_BACKOFF: durationVar.default(1000),
  WARROOM_AUDIT_SEAL_EVERY: durationVar.default(50),
  WARROOM_DB_PREPARE: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
  WARROOM_AUDIT_VERIFY_WORKERS: workers.optional(),
});

export type Env = z.infer<typeof envSchema>;

/**
 * `yes`: always required. `policy`: required when the policy needs it (the default policy does).
 * `no`: optional; `default` is the value used when unset, as a person would write it.
 */
export type Need = 'yes' | 'policy' | 'no';

export interface VarDoc {
  need: Need;
  /** What it is and what it changes (one line). */
  doc: string;
  default?: string;
  /** A placeholder for `.env.example` (never a real secret). */
  example?: string;
  /** Never printed, not even its length. */
  secret?: boolean;
}

/** The documentation of every variable in the schema; TypeScript makes sure none is left out. */
export const ENV_VARS: { [K in keyof Env]-?: VarDoc } = {
  SLACK_BOT_TOKEN: { need: 'yes', doc: 'bot token (xoxb-…) from OAuth & Permissions', secret: true },
  SLACK_SIGNING_SECRET: { need: 'yes', doc: 'verifies that requests come from Slack (Basic Information → Signing Secret)', secret: true },
  SLACK_APP_TOKEN: { need: 'no', doc: 'app-level token (xapp-…): Socket Mode instead of HTTP', secret: true },
  SLACK_API_URL: { need: 'no', doc: 'Web API base URL (GovSlack, a proxy, the sandbox)', default: 'https://slack.com/api/' },
  DATABASE_URL: { need: 'yes', doc: 'PostgreSQL URL; the database must exist (migrations run at start)', example: 'postgres://postgres@127.0.0.1:5432/warroom' },
  REDIS_URL: { need: 'no', doc: 'Redis URL: timers and the job queue', default: 'redis://127.0.0.1:6379' },
  REDIS_PREFIX: { need: 'no', doc: 'Redis key prefix; the braces keep keys in one Redis Cluster slot', default: '{warroom}' },
  PORT: { need: 'no', doc: 'HTTP port: /slack/events, /healthz, /readyz, /metrics, /api/v1/…', default: '3000' },
  WARROOM_POLICY: { need: 'no', doc: 'the ops policy file (docs/policy.md)', default: 'policy/default.yml' },
  LOG_LEVEL: { need: 'no', doc: 'pino level; secrets are redacted whatever the level', default: 'info' },
  PAGERDUTY_EVENTS_URL: { need: 'no', doc: 'PagerDuty Events API v2 endpoint (EU: events.eu.pagerduty.com); https only', default: 'https://events.pagerduty.com/v2/enqueue' },
  PAGERDUTY_CA_FILE: { need: 'no', doc: 'extra CA (PEM file) to trust for PagerDuty (a TLS-inspecting proxy)' },
  PAGERDUTY_WEBHOOK_SECRET: { need: 'no', doc: 'signing secret of the PagerDuty webhook subscription (v3) that posts to /api/v1/alerts/pagerduty (docs/alerts.md); unset, that endpoint answers 404', secret: true },
  TWILIO_ACCOUNT_SID: { need: 'policy', doc: 'Twilio account SID (AC and 32 hex digits)' },
  TWILIO_AUTH_TOKEN: { need: 'policy', doc: 'Twilio auth token', secret: true },
  TWILIO_FROM: { need: 'policy', doc: 'Twilio sending number (E.164)', example: '+12125550100' },
  TWILIO_API_URL: { need: 'no', doc: 'Twilio base URL', default: 'https://api.twilio.com' },
  HEARTBEAT_URL: { need: 'no', doc: 'pinged after each escalation reconciliation (a dead-man switch such as healthchecks.io)' },
  WARROOM_RECONCILE_EVERY: { need: 'no', doc: 'how often Postgres is checked for work and timers Redis may have lost', default: '30s' },
  WARROOM_STALE_CLAIM_AFTER: { need: 'no', doc: 'a step claimed this long ago and not confirmed sent is run again (its process died)', default: '60s' },
  WARROOM_RETRY_BACKOFF: { need: 'no', doc: 'first retry delay of failed work (doubles per attempt)', default: '1s' },
  WARROOM_AUDIT_SEAL_EVERY: { need: 'no', doc: 'how often the elected audit sealer chains the audit inbox when it is idle (docs/operations.md, "The audit sealer")', default: '50ms' },
  WARROOM_DB_PREPARE: { need: 'no', doc: 'prepared statements on each database connection (one round trip per query instead of two); `off` behind a pooler that cannot keep them, such as PgBouncer in transaction mode before 1.21', default: 'on' },
  WARROOM_AUDIT_VERIFY_WORKERS: { need: 'no', doc: '`npm run audit:verify` only: threads verifying the chain at once, each with a connection of its own; unset, one per CPU core (fewer on a short chain; docs/operations.md, "Verify the audit trail")' },
};

/** A start refused for configuration: every problem, each in plain words. */
export class ConfigProblems extends ConfigError {
  constructor(
    readonly problems: string[],
    readonly notes: string[] = [],
  ) {
    super(
      [
        `${problems.length} configuration ${problems.length === 1 ? 'problem' : 'problems'}:`,
        ...problems.map((p) => `  - ${p.split('\n').join('\n    ')}`),
        ...(notes.length ? ['Also (not fatal):', ...notes.map((n) => `  - ${n}`)] : []),
        'Every variable is described in .env.example and in README.md (Configuration).',
      ].join('\n'),
    );
    this.name = 'ConfigProblems';
  }
}

const present = (source: NodeJS.ProcessEnv): Record<string, string> =>
  Object.fromEntries(Object.entries(source).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));

/** Plain-words problems with the schema's variables (empty when all are fine). */
function envProblems(source: Record<string, string>, policyRequires: Set<string>): { env: Env | null; problems: string[] } {
  const problems: string[] = [];
  for (const [name, d] of Object.entries(ENV_VARS)) {
    if (source[name] !== undefined) continue;
    if (d.need === 'yes') problems.push(`${name} is not set: ${d.doc}`);
    else if (d.need === 'policy' && policyRequires.has(name)) problems.push(`${name} is not set: ${d.doc}, required because the policy's escalation sends SMS`);
  }
  const parsed = envSchema.safeParse(source);
  if (parsed.success) return { env: problems.length ? null : parsed.data, problems };
  for (const issue of parsed.error.issues) {
    const name = String(issue.path[0] ?? '(environment)');
    if (source[name] === undefined) continue; // reported above as "is not set"
    problems.push(`${name} ${/^(must|may|is) /.test(issue.message) ? issue.message : `is invalid (${issue.message})`}`);
  }
  return { env: null, problems };
}

/** The schema's variables; throws one ConfigProblems naming every problem. Empty values are unset. */
export function parseEnv(source: NodeJS.ProcessEnv): Env {
  const { env, problems } = envProblems(present(source), new Set());
  if (!env) throw new ConfigProblems(problems);
  return env;
}

/**
 * WARROOM_AUDIT_VERIFY_WORKERS for `npm run audit:verify`, which needs no other variable of the
 * bot's (only DATABASE_URL): undefined when unset, ConfigProblems when malformed.
 */
export function auditVerifyWorkers(source: NodeJS.ProcessEnv): number | undefined {
  const name = 'WARROOM_AUDIT_VERIFY_WORKERS';
  const value = present(source)[name];
  if (value === undefined) return undefined;
  const parsed = envSchema.shape[name].safeParse(value);
  if (!parsed.success) throw new ConfigProblems([`${name} ${parsed.error.issues[0]?.message ?? 'is invalid'}`]);
  return parsed.data;
}

export interface Config {
  env: Env;
  policy: Policy;
  /** Bearer tokens for the HTTP APIs, by name. */
  apiTokens: Array<{ name: string; value: string; scopes: ApiScope[] }>;
  /** Variables of API tokens the policy names that are unset (those tokens cannot authenticate). */
  unsetApiTokens: string[];
  routingKeys: Record<string, string>;
  twilio: { accountSid: string; authToken: string; from: string; apiUrl: string } | null;
  pagerCa?: string;
}

export const policySendsSms = (policy: Policy): boolean => policy.severities.some((s) => s.escalation.steps.some((st) => st.actions.some((a) => a.kind === 'sms')));

/**
 * The environment and the policy together, in one pass: the schema's variables, the policy file,
 * and the variables the policy names (PagerDuty routing keys, Twilio when a step sends SMS, API
 * tokens). Throws one ConfigProblems listing every problem found.
 */
export function loadConfig(source: NodeJS.ProcessEnv): Config {
  const vars = present(source);
  const problems: string[] = [];
  let policy: Policy | null = null;
  const policyFile = vars['WARROOM_POLICY'];
  try {
    policy = loadPolicy(policyFile);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(err.message);
  }
  const sms = policy ? policySendsSms(policy) : false;
  const checked = envProblems(vars, new Set(sms ? ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'] : []));
  problems.push(...checked.problems);

  const routingKeys: Record<string, string> = {};
  const apiTokens: Config['apiTokens'] = [];
  const unsetApiTokens: string[] = [];
  if (policy) {
    for (const [service, s] of Object.entries(policy.pagerduty.services)) {
      const v = vars[s.routingKeyEnv];
      const what = `the routing key of PagerDuty service "${service}" in the policy`;
      if (v === undefined) problems.push(`${s.routingKeyEnv} is not set: ${what}`);
      else if (!/^[A-Za-z0-9]{32}$/.test(v)) problems.push(`${s.routingKeyEnv} must be 32 characters, letters and digits: ${what} (an Events API v2 integration key)`);
      else routingKeys[service] = v;
    }
    for (const t of policy.apiTokens) {
      const v = vars[t.env];
      if (v === undefined) unsetApiTokens.push(t.env);
      else if (v.length < 16) problems.push(`${t.env} must be at least 16 characters: the API token "${t.name}" in the policy`);
      else apiTokens.push({ name: t.name, value: v, scopes: t.scopes });
    }
  } else {
    problems.push('the variables the policy names (PagerDuty routing keys, API tokens) were not checked: the policy did not load');
  }

  let pagerCa: string | undefined;
  const caFile = vars['PAGERDUTY_CA_FILE'];
  if (caFile) {
    try {
      pagerCa = readFileSync(caFile, 'utf8');
    } catch (err) {
      problems.push(`PAGERDUTY_CA_FILE names a file that cannot be read: ${caFile} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }

  const notes = unsetApiTokens.map((v) => `${v} is not set: the API token the policy names with it cannot authenticate`);
  if (problems.length || !checked.env || !policy) throw new ConfigProblems(problems, notes);
  const env = checked.env;
  const twilio =
    env.TWILIO_ACCOUNT_SID && env.TWILIO_AUTH_TOKEN && env.TWILIO_FROM
      ? { accountSid: env.TWILIO_ACCOUNT_SID, authToken: env.TWILIO_AUTH_TOKEN, from: env.TWILIO_FROM, apiUrl: env.TWILIO_API_URL }
      : null;
  return { env, policy, apiTokens, unsetApiTokens, routingKeys, twilio, ...(pagerCa ? { pagerCa } : {}) };
}

/** Values that must never reach a log line. */
export function secretsOf(config: Pick<Config, 'env'> & Partial<Pick<Config, 'apiTokens' | 'routingKeys'>>): string[] {
  const { env } = config;
  return [
    env.SLACK_BOT_TOKEN,
    env.SLACK_SIGNING_SECRET,
    env.SLACK_APP_TOKEN,
    env.TWILIO_AUTH_TOKEN,
    env.PAGERDUTY_WEBHOOK_SECRET,
    ...(config.apiTokens ?? []).map((t) => t.value),
    ...Object.values(config.routingKeys ?? {}),
  ].filter((s): s is string => Boolean(s));
}

/** A variable the policy names, for `.env.example` and README (the default policy's are listed). */
export interface PolicyVar {
  name: string;
  need: Need;
  doc: string;
  secret: true;
}

export function policyVars(policy: Policy): PolicyVar[] {
  return [
    ...Object.entries(policy.pagerduty.services).map(([service, s]) => ({
      name: s.routingKeyEnv,
      need: 'policy' as const,
      doc: `PagerDuty Events v2 routing key (32 characters) of the service "${service}" (pagerduty.services)`,
      secret: true as const,
    })),
    ...policy.apiTokens.map((t) => ({ name: t.env, need: 'no' as const, doc: `bearer token (at least 16 characters) of the API client "${t.name}" (api_tokens); unset, that client cannot authenticate`, secret: true as const })),
  ];
}

/** `.env.example`: every variable with what it changes, from ENV_VARS and the default policy. */
export function renderEnvExample(policy: Policy = loadPolicy(undefined)): string {
  const need = (d: { need: Need; default?: string }) =>
    d.need === 'yes' ? 'Required.' : d.need === 'policy' ? 'Required by the default policy.' : d.default !== undefined ? `Optional; default ${d.default}.` : 'Optional.';
  const lines = [
    '# warroom configuration. Copy to .env, fill in, then: node --env-file=.env --import tsx src/main.ts',
    '# (or docker run --env-file .env …). Generated from src/config/env.ts and policy/default.yml by',
    '# `npm run env:example`; test/config checks that it is current. Empty values count as unset.',
    '',
  ];
  const sentence = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
  // Required variables are left empty (never a placeholder that would pass validation).
  for (const [name, d] of Object.entries(ENV_VARS) as Array<[string, VarDoc]>) {
    lines.push(`# ${sentence(d.doc)}. ${need(d)}${d.example ? ` Example: ${d.example}` : ''}`);
    lines.push(d.need === 'no' ? `# ${name}=${d.default ?? ''}` : `${name}=`, '');
  }
  lines.push('# Variables the default policy names (a policy of your own may name others).', '');
  for (const v of policyVars(policy)) {
    lines.push(`# ${sentence(v.doc)}. ${need(v)}`);
    lines.push(v.need === 'no' ? `# ${v.name}=` : `${v.name}=`, '');
  }
  return lines.join('\n');
}
