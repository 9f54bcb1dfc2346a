import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { parseEnv } from '../../src/config/env.js';
import { DEFAULT_POLICY_PATH, loadPolicy, parsePolicy } from '../../src/config/policy-schema.js';

const base = parse(readFileSync(DEFAULT_POLICY_PATH, 'utf8'));
const withChange = (mutate: (p: any) => void) => {
  const p = structuredClone(base);
  mutate(p);
  return stringify(p);
};

describe('policy', () => {
  it('the built-in default is the operating model', () => {
    const p = loadPolicy(undefined);
    expect(p.severities.map((s) => [s.id, s.label, s.respondWithinMs])).toEqual([
      ['sev1', 'Critical', 300_000],
      ['sev2', 'High', 900_000],
      ['sev3', 'Medium', 3_600_000],
      ['sev4', 'Low', 14_400_000],
    ]);
    expect(p.roles.map((r) => r.label)).toEqual(['Incident Commander', 'Technical Lead', 'Communications Lead', 'Business Lead']);
    expect(p.channels.announcements).toBe('incidents');
  });

  it.each([
    [(p: any) => (p.severities.sev1.respond_within = '5 minutes'), 'severities.sev1.respond_within: "5 minutes" is not a duration'],
    [(p: any) => (p.severities.sev2.required_roles = ['incident_commander', 'scribe']), 'severities.sev2.required_roles.1: unknown role "scribe"'],
    [(p: any) => (p.severities.sev10 = p.severities.sev1), 'severities.sev10'],
    [(p: any) => (p.channels.announcements = '#incidents'), 'channels.announcements: must be a Slack channel name without #'],
    [(p: any) => (p.severities.sev1.default_responders.groups = ['@sre']), 'severities.sev1.default_responders.groups.0: must be a user-group handle'],
    [(p: any) => (p.severities.sev1.default_responders.users = ['alice']), 'severities.sev1.default_responders.users.0: must be a Slack user id'],
    [(p: any) => (p.roles = p.roles.slice(1)), 'roles: must include incident_commander'],
    [(p: any) => (p.timezone = 'Mars/Olympus'), 'timezone: "Mars/Olympus" is not an IANA time zone'],
    [(p: any) => (p.severitiez = {}), 'severitiez'],
  ])('names the key and the problem (%#)', (mutate, message) => {
    expect(() => parsePolicy(withChange(mutate), 'WARROOM_POLICY')).toThrow(message);
  });

  it('says when the file is missing or not YAML', () => {
    expect(() => loadPolicy('/nonexistent/policy.yml')).toThrow('WARROOM_POLICY: cannot read /nonexistent/policy.yml: ENOENT');
    expect(() => parsePolicy('a: [', 'WARROOM_POLICY')).toThrow(/WARROOM_POLICY is not valid YAML/);
  });
});

describe('environment', () => {
  const good = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', DATABASE_URL: 'postgres://postgres@127.0.0.1/warroom' };
  it('applies defaults', () => {
    expect(parseEnv(good)).toMatchObject({ PORT: 3000, REDIS_URL: 'redis://127.0.0.1:6379', SLACK_API_URL: 'https://slack.com/api/', REDIS_PREFIX: '{warroom}' });
  });
  it.each([
    [{ SLACK_BOT_TOKEN: undefined }, 'SLACK_BOT_TOKEN'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL: must be a postgres or postgresql URL'],
    [{ PORT: 'eighty' }, 'PORT'],
    [{ SLACK_APP_TOKEN: 'xoxb-wrong' }, 'SLACK_APP_TOKEN: must be an app-level token'],
  ])('names the variable: %o', (patch, message) => {
    expect(() => parseEnv({ ...good, ...patch })).toThrow(message);
  });
  it('never echoes a secret value in its errors', () => {
    let message: string | null = null;
    try {
      parseEnv({ ...good, SLACK_APP_TOKEN: 'supersecret-value', PORT: 'x' });
    } catch (err) {
      message = (err as Error).message;
    }
    // It must have refused (both values are bad), and said so without the value.
    expect(message).toContain('SLACK_APP_TOKEN');
    expect(message).not.toContain('supersecret-value');
  });
});

describe('docs/policy.md', () => {
  it('its full example is a valid policy', () => {
    const doc = readFileSync('docs/policy.md', 'utf8');
    const example = /## A full example\s+```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeTruthy();
    const p = parsePolicy(example!, 'docs example');
    expect(p.severities.find((s) => s.id === 'sev1')?.defaultResponders.users).toEqual(['U024BE7LH']);
  });
});
