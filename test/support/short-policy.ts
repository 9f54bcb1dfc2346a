import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { DEFAULT_POLICY_PATH } from '../../src/config/policy-schema.js';

/**
 * The default operating model with its minutes turned into seconds, so a whole Sev1 ladder runs
 * within a test: 0 s, 2 s, 4 s instead of 0, 5 and 10 minutes.
 */
export function shortPolicyYaml(mutate: (p: any) => void = () => {}): string {
  const p = parse(readFileSync(DEFAULT_POLICY_PATH, 'utf8'));
  p.severities.sev1.respond_within = '5s';
  p.severities.sev1.status_every = '1h';
  p.severities.sev1.escalation[1].after = '2s';
  p.severities.sev1.escalation[2].after = '4s';
  p.severities.sev2.respond_within = '3s';
  p.severities.sev2.status_every = '1h';
  p.severities.sev2.escalation[1].after = '2s';
  p.severities.sev3.escalation[1].after = '2s';
  p.regulatory.due_within = '6s';
  p.regulatory.remind_before = '3s';
  mutate(p);
  return stringify(p);
}
