import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_VARS, parseEnv, policyVars, renderEnvExample, type Need } from '../../src/config/env.js';
import { DEFAULT_POLICY_PATH, loadPolicy } from '../../src/config/policy-schema.js';

/** README's configuration table, by variable: its "required" and "default" cells. */
function readmeTable(): Map<string, { required: string; default: string }> {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('### Configuration'));
  const lines = section.split('\n');
  const header = lines.findIndex((l) => l.startsWith('| variable | required | default |'));
  const end = lines.findIndex((l, i) => i > header && !l.startsWith('|'));
  const out = new Map<string, { required: string; default: string }>();
  for (const row of lines.slice(header + 2, end)) {
    const [first, required, def] = row.split(' | ').map((c) => c.replace(/^\| /, '').trim());
    for (const m of first!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) out.set(m[1]!, { required: required!, default: def! });
  }
  return out;
}

const defaultPolicy = loadPolicy(undefined);
const documented = (): Array<{ name: string; need: Need; default?: string }> => [
  ...Object.entries(ENV_VARS).map(([name, d]) => ({ name, need: d.need, ...(d.default !== undefined ? { default: d.default } : {}) })),
  ...policyVars(defaultPolicy).map((v) => ({ name: v.name, need: v.need })),
];

describe('.env.example', () => {
  it('is what `npm run env:example` generates from the schema and the default policy', () => {
    expect(readFileSync('.env.example', 'utf8'), 'run `npm run env:example` and commit .env.example').toBe(renderEnvExample(defaultPolicy));
  });

  it('names every variable, the required ones uncommented and empty', () => {
    const text = readFileSync('.env.example', 'utf8');
    for (const v of documented()) {
      if (v.need === 'no') expect(text).toMatch(new RegExp(`^# ${v.name}=`, 'm'));
      else expect(text).toMatch(new RegExp(`^${v.name}=$`, 'm'));
    }
  });
});

describe("README's configuration table", () => {
  const table = readmeTable();

  it('lists exactly the schema variables and those the default policy names', () => {
    expect([...table.keys()].sort()).toEqual(documented().map((v) => v.name).sort());
  });

  it('says which are required, and by the default policy (Twilio included)', () => {
    for (const v of documented()) {
      const cell = table.get(v.name)?.required ?? '(missing)';
      const expected = v.need === 'yes' ? /^yes$/ : v.need === 'policy' ? /^yes \(default policy\)$/ : /^no\b/;
      expect(`${v.name}: ${cell}`).toMatch(new RegExp(`^${v.name}: ${expected.source.slice(1)}`));
    }
    expect(table.get('TWILIO_FROM')?.required).toBe('yes (default policy)');
  });

  it('gives the same defaults as the schema', () => {
    for (const v of documented()) expect(`${v.name}: ${table.get(v.name)?.default}`).toBe(`${v.name}: ${v.default !== undefined ? `\`${v.default}\`` : '—'}`);
  });
});

describe('ENV_VARS defaults', () => {
  it('are the values the schema applies when a variable is unset', () => {
    const minimal = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', DATABASE_URL: 'postgres://postgres@127.0.0.1/warroom' };
    const unset = parseEnv(minimal) as Record<string, unknown>;
    for (const [name, d] of Object.entries(ENV_VARS)) {
      if (name in minimal) continue;
      if (d.default === undefined) {
        expect([name, unset[name]]).toEqual([name, undefined]);
      } else if (name === 'WARROOM_POLICY') {
        expect(DEFAULT_POLICY_PATH.endsWith(d.default)).toBe(true);
      } else {
        expect([name, unset[name]]).toEqual([name, (parseEnv({ ...minimal, [name]: d.default }) as Record<string, unknown>)[name]]);
      }
    }
  });
});
