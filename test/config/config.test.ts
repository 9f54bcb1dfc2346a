import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigProblems, loadConfig, parseEnv } from '../../src/config/env.js';
import { DEFAULT_POLICY_PATH, loadPolicy, parsePolicy } from '../../src/config/policy-schema.js';
import { missingDatabase } from '../../src/startup.js';

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
    [{ SLACK_BOT_TOKEN: undefined }, 'SLACK_BOT_TOKEN is not set'],
    [{ SLACK_BOT_TOKEN: '' }, 'SLACK_BOT_TOKEN is not set'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL must be a postgres or postgresql URL'],
    [{ PORT: 'eighty' }, 'PORT must be a port number from 0 to 65535'],
    [{ PORT: '70000' }, 'PORT must be a port number from 0 to 65535'],
    [{ SLACK_APP_TOKEN: 'xoxb-wrong' }, 'SLACK_APP_TOKEN must be an app-level token'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent'],
    [{ WARROOM_RETRY_BACKOFF: 'soon' }, 'WARROOM_RETRY_BACKOFF must be a duration like'],
    [{ TWILIO_FROM: '212-555' }, 'TWILIO_FROM must be an E.164 number'],
  ])('names the variable and the problem in plain words: %o', (patch, message) => {
    expect(() => parseEnv({ ...good, ...patch })).toThrow(message);
  });
  it('never echoes a secret value in its errors', () => {
    expect(() => parseEnv({ ...good, SLACK_APP_TOKEN: 'supersecret-value', PORT: 'x' })).toThrow(ConfigProblems);
    const message = problemsOf(() => parseEnv({ ...good, SLACK_APP_TOKEN: 'supersecret-value', PORT: 'x' })).join('\n');
    expect(message).toContain('SLACK_APP_TOKEN');
    expect(message).not.toContain('supersecret-value');
  });
});

/** The problems a ConfigProblems lists (fails the test if nothing is thrown). */
function problemsOf(fn: () => unknown): string[] {
  let thrown: unknown = null;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(ConfigProblems);
  return (thrown as ConfigProblems).problems;
}

describe('environment and policy, in one pass', () => {
  const PD = ['PD_KEY_TRADING', 'PD_KEY_TECH_LEAD', 'PD_KEY_CLEARING', 'PD_KEY_PAYMENTS', 'PD_KEY_SRE'];
  const TWILIO_VARS = ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'];
  const complete: Record<string, string> = {
    SLACK_BOT_TOKEN: 'xoxb-1',
    SLACK_SIGNING_SECRET: 's',
    DATABASE_URL: 'postgres://postgres@127.0.0.1/warroom',
    ...Object.fromEntries(PD.map((k) => [k, 'a'.repeat(32)])),
    TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
    TWILIO_AUTH_TOKEN: 'twilio-auth-token-123',
    TWILIO_FROM: '+12125550100',
    DEPLOY_GATE_TOKEN: 'gate-token-0123456789',
  };
  const without = (...names: string[]) => Object.fromEntries(Object.entries(complete).filter(([k]) => !names.includes(k)));

  it('a complete environment loads, with the policy and what it names', () => {
    const c = loadConfig(complete);
    expect(Object.keys(c.routingKeys).sort()).toEqual(['clearing-oncall', 'payments-oncall', 'sre-oncall', 'tech-lead-oncall', 'trading-oncall']);
    expect(c.twilio).toMatchObject({ from: '+12125550100' });
    expect(c.apiTokens.map((t) => t.name)).toEqual(['ci']);
    expect(c.unsetApiTokens).toEqual([]);
  });

  it('an empty environment: every missing variable in one message, in plain words', () => {
    const problems = problemsOf(() => loadConfig({}));
    expect(problems).toEqual(
      expect.arrayContaining(
        ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'DATABASE_URL', ...PD, ...TWILIO_VARS].map((k) => expect.stringMatching(new RegExp(`^${k} is not set: `))),
      ),
    );
    expect(problems).toHaveLength(3 + PD.length + TWILIO_VARS.length);
    const message = (() => {
      try {
        loadConfig({});
      } catch (err) {
        return (err as Error).message;
      }
      return '';
    })();
    expect(message).not.toMatch(/Invalid input|expected string|received undefined/);
    expect(message).toMatch(/^11 configuration problems:\n {2}- /);
  });

  it("malformed and missing together, the policy's variables in the same pass", () => {
    const problems = problemsOf(() => loadConfig({ ...without('SLACK_SIGNING_SECRET', 'TWILIO_FROM'), PD_KEY_TRADING: 'short', PORT: 'x', DEPLOY_GATE_TOKEN: 'short' }));
    expect(problems).toEqual([
      expect.stringMatching(/^SLACK_SIGNING_SECRET is not set/),
      expect.stringMatching(/^TWILIO_FROM is not set: .*sends SMS/),
      'PORT must be a port number from 0 to 65535',
      expect.stringMatching(/^PD_KEY_TRADING must be 32 characters/),
      expect.stringMatching(/^DEPLOY_GATE_TOKEN must be at least 16 characters/),
    ]);
  });

  it('Twilio is required only when a policy step sends SMS', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warroom-policy-'));
    const file = join(dir, 'no-sms.yml');
    writeFileSync(
      file,
      withChange((p) => {
        for (const sev of Object.values<any>(p.severities)) {
          sev.escalation = (sev.escalation ?? []).filter((st: any) => st.page || st.notify || st.regulatory).map(({ sms: _sms, ...st }: any) => st);
        }
      }),
    );
    const c = loadConfig({ ...without(...TWILIO_VARS), WARROOM_POLICY: file });
    expect(c.twilio).toBeNull();
  });

  it('an unset API token is not fatal; it is reported, after any fatal problem', () => {
    expect(loadConfig(without('DEPLOY_GATE_TOKEN')).unsetApiTokens).toEqual(['DEPLOY_GATE_TOKEN']);
    let message = '';
    try {
      loadConfig(without('DEPLOY_GATE_TOKEN', 'DATABASE_URL'));
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.indexOf('DATABASE_URL is not set')).toBeGreaterThan(-1);
    expect(message.indexOf('DEPLOY_GATE_TOKEN is not set')).toBeGreaterThan(message.indexOf('DATABASE_URL is not set'));
  });

  it('a policy that does not load is one of the problems, not a separate start', () => {
    const problems = problemsOf(() => loadConfig({ ...without('SLACK_BOT_TOKEN'), WARROOM_POLICY: '/nonexistent/policy.yml' }));
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^WARROOM_POLICY: cannot read/), expect.stringMatching(/^SLACK_BOT_TOKEN is not set/)]),
    );
  });

  it('the bot started with nothing set: one plain message naming every variable, exit 78, no log line before it', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(78);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^warroom cannot start: 11 configuration problems:\n/);
    for (const k of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'DATABASE_URL', ...PD, ...TWILIO_VARS]) expect(stderr).toContain(`${k} is not set`);
    expect(stderr.indexOf('DEPLOY_GATE_TOKEN is not set')).toBeGreaterThan(stderr.indexOf('TWILIO_FROM is not set'));
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

describe('a database that does not exist', () => {
  it('is a configuration error with the createdb command, quoted for the shell', () => {
    const missing = Object.assign(new Error('database "x" does not exist'), { code: '3D000' });
    expect(missingDatabase(missing, 'postgres://postgres@127.0.0.1:5432/warroom')?.message).toMatch(/\n {2}createdb -h 127\.0\.0\.1 -p 5432 -U postgres warroom$/);
    expect(missingDatabase(missing, "postgres://app%40corp@db.example/war%20room's")?.message).toMatch(/\n {2}createdb -h db\.example -U app@corp 'war room'\\''s'$/);
    expect(missingDatabase(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), 'postgres://h/db')).toBeNull();
  });
});
