import { z } from 'zod';
import { ConfigError, duration, formatIssues } from './policy-schema.js';
import type { ApiScope } from '../domain/policy.js';


const url = (schemes: string[]) =>
  z.string().refine((v) => {
    try {
      return schemes.includes(new URL(v).protocol.replace(':', ''));
    } catch {
      return false;
    }
  }, `must be a ${schemes.join(' or ')} URL`);

/** Every environment variable warroom reads, and what it changes. */
const envSchema = z.object({
  /** Bot token (xoxb-…). */
  SLACK_BOT_TOKEN: z.string().min(1, 'is required (the bot token, xoxb-…)'),
  /** Verifies that requests come from Slack. */
  SLACK_SIGNING_SECRET: z.string().min(1, 'is required (Basic Information → Signing Secret)'),
  /** App-level token (xapp-…): when set, the bot connects by Socket Mode instead of HTTP. */
  SLACK_APP_TOKEN: z.string().startsWith('xapp-', 'must be an app-level token (xapp-…)').optional(),
  /** Web API base URL: GovSlack, a proxy, or the local sandbox. */
  SLACK_API_URL: url(['http', 'https']).default('https://slack.com/api/'),
  DATABASE_URL: url(['postgres', 'postgresql']),
  REDIS_URL: url(['redis', 'rediss']).default('redis://127.0.0.1:6379'),
  /** Redis key prefix; braces keep BullMQ's keys in one Redis Cluster slot. */
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9{}_-]+$/, 'letters, digits, -, _ and braces only').default('{warroom}'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Path to the ops policy YAML; the built-in default is policy/default.yml. */
  WARROOM_POLICY: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** PagerDuty Events API v2 endpoint (region); https only. */
  PAGERDUTY_EVENTS_URL: url(['https']).default('https://events.pagerduty.com/v2/enqueue'),
  /** Extra CA (PEM file) to trust for PagerDuty: a TLS-inspecting proxy, or the local sandbox. */
  PAGERDUTY_CA_FILE: z.string().optional(),
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must look like AC followed by 32 hex digits').optional(),
  TWILIO_AUTH_TOKEN: z.string().min(16, 'must be the account auth token').optional(),
  TWILIO_FROM: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number like +12125550100').optional(),
  TWILIO_API_URL: url(['http', 'https']).default('https://api.twilio.com'),
  /** Pinged after every escalation reconciliation (a dead-man switch such as healthchecks.io). */
  HEARTBEAT_URL: url(['http', 'https']).optional(),
  /** How often Postgres is checked for work and timers Redis may have lost. */
  WARROOM_RECONCILE_EVERY: duration.default(30_000),
  /** A step claimed this long ago and not confirmed sent is run again (its process died). */
  WARROOM_STALE_CLAIM_AFTER: duration.default(60_000),
  /** First retry delay of failed work (doubles per attempt). */
  WARROOM_RETRY_BACKOFF: duration.default(1000),
});

export type Env = z.infer<typeof envSchema>;

export function parseEnv(source: NodeJS.ProcessEnv): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) throw new ConfigError(formatIssues('environment', parsed.error));
  return parsed.data;
}

/** Values that must never reach a log line. */
export function secretsOf(env: Env): string[] {
  return [env.SLACK_BOT_TOKEN, env.SLACK_SIGNING_SECRET, env.SLACK_APP_TOKEN, env.TWILIO_AUTH_TOKEN].filter((s): s is string => Boolean(s));
}

/**
 * The API bearer tokens the policy names, with their values from the environment. A token whose
 * variable is unset is left out (and reported), so an unset variable can never match.
 */
export function resolveApiTokens(
  tokens: Array<{ name: string; env: string; scopes: ApiScope[] }>,
  source: NodeJS.ProcessEnv,
): { tokens: Array<{ name: string; value: string; scopes: ApiScope[] }>; missing: string[] } {
  const out: Array<{ name: string; value: string; scopes: ApiScope[] }> = [];
  const missing: string[] = [];
  for (const t of tokens) {
    const value = source[t.env];
    if (!value) missing.push(t.env);
    else if (value.length < 16) throw new ConfigError(`environment is invalid:\n  - ${t.env}: the API token "${t.name}" must be at least 16 characters`);
    else out.push({ name: t.name, value, scopes: t.scopes });
  }
  return { tokens: out, missing };
}

/**
 * PagerDuty routing keys for the services the policy names, from the environment. A policy that
 * pages a service whose key is unset cannot start: a page that silently goes nowhere is the
 * failure this bot exists to prevent.
 */
export function resolveRoutingKeys(services: Record<string, { routingKeyEnv: string }>, source: NodeJS.ProcessEnv): Record<string, string> {
  const keys: Record<string, string> = {};
  const problems: string[] = [];
  for (const [name, s] of Object.entries(services)) {
    const v = source[s.routingKeyEnv];
    if (!v) problems.push(`  - ${s.routingKeyEnv}: is required (routing key of pagerduty service "${name}")`);
    else if (!/^[A-Za-z0-9]{32}$/.test(v)) problems.push(`  - ${s.routingKeyEnv}: must be a 32-character Events API v2 routing key (pagerduty service "${name}")`);
    else keys[name] = v;
  }
  if (problems.length) throw new ConfigError(`environment is invalid:\n${problems.join('\n')}`);
  return keys;
}

/** Twilio is required when any escalation step sends SMS. */
export function requireTwilio(env: Env, needed: boolean): { accountSid: string; authToken: string; from: string; apiUrl: string } | null {
  if (!env.TWILIO_ACCOUNT_SID || !env.TWILIO_AUTH_TOKEN || !env.TWILIO_FROM) {
    if (!needed) return null;
    const missing = ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'].filter((k) => !env[k as keyof Env]);
    throw new ConfigError(`environment is invalid:\n${missing.map((k) => `  - ${k}: is required (the policy's escalation sends SMS)`).join('\n')}`);
  }
  return { accountSid: env.TWILIO_ACCOUNT_SID, authToken: env.TWILIO_AUTH_TOKEN, from: env.TWILIO_FROM, apiUrl: env.TWILIO_API_URL };
}
