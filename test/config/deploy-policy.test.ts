import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DEFAULT_POLICY_PATH, parsePolicy } from '../../src/config/policy-schema.js';

const base = parse(readFileSync(DEFAULT_POLICY_PATH, 'utf8'));

describe('deploy policy (validated by the schema; DeployRules trusts it)', () => {
  it('rejects windows that leave a session uncovered to its end', () => {
    const p = structuredClone(base);
    p.deploy = { windows: [{ name: 'only regular', sessions: ['regular'], approvals: { 'non-critical': 'auto', standard: 'auto', emergency: 'auto' }, risk: 'low' }] };
    expect(() => parsePolicy(stringify(p), 'WARROOM_POLICY')).toThrow(/deploy\.windows: no window covers the overnight session to its end/);
  });

  it('rejects a malformed from/until', () => {
    const p = structuredClone(base);
    p.deploy = { windows: [{ name: 'all', sessions: ['pre-market', 'regular', 'after-hours', 'overnight', 'weekend', 'holiday', 'closed'], from: '9:00', approvals: { 'non-critical': 'auto', standard: 'auto', emergency: 'auto' }, risk: 'low' }] };
    expect(() => parsePolicy(stringify(p), 'WARROOM_POLICY')).toThrow(/deploy\.windows\.0\.from/);
  });
});
