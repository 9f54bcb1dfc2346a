import { z } from 'zod';
import { ConfigError, formatIssues } from './policy-schema.js';

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
  return [env.SLACK_BOT_TOKEN, env.SLACK_SIGNING_SECRET, env.SLACK_APP_TOKEN].filter((s): s is string => Boolean(s));
}

/**
 * The API bearer tokens the policy names, with their values from the environment. A token whose
 * variable is unset is left out (and reported), so an unset variable can never match.
 */
export function resolveApiTokens(tokens: Array<{ name: string; env: string }>, source: NodeJS.ProcessEnv): { tokens: Array<{ name: string; value: string }>; missing: string[] } {
  const out: Array<{ name: string; value: string }> = [];
  const missing: string[] = [];
  for (const t of tokens) {
    const value = source[t.env];
    if (!value) missing.push(t.env);
    else if (value.length < 16) throw new ConfigError(`environment is invalid:\n  - ${t.env}: the API token "${t.name}" must be at least 16 characters`);
    else out.push({ name: t.name, value });
  }
  return { tokens: out, missing };
}
