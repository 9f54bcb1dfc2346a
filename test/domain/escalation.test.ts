import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../../src/config/policy-schema.js';
import { describeAction, humanDuration, judgeStep, planLadder } from '../../src/domain/escalation.js';
import { MarketCalendar } from '../../src/domain/market-calendar.js';
import { severityById } from '../../src/domain/policy.js';

const policy = loadPolicy(undefined);
const calendar = new MarketCalendar(policy.calendar);
const ladder = (sev: string) => severityById(policy, sev)!.escalation;
const iso = (d: Date) => d.toISOString();

describe('the ladder planner (injected clock)', () => {
  it('Sev1 at 10:00 ET on a Wednesday: 0, 5 and 10 minutes; only step 0 always fires', () => {
    const start = new Date('2026-12-02T15:00:00Z');
    const plan = planLadder(ladder('sev1'), start, calendar);
    expect(plan.deferredFrom).toBeNull();
    expect(plan.steps.map((s) => [iso(s.dueAt), s.always])).toEqual([
      ['2026-12-02T15:00:00.000Z', true],
      ['2026-12-02T15:05:00.000Z', false],
      ['2026-12-02T15:10:00.000Z', false],
    ]);
    expect(plan.steps[0]!.actions.map((a) => a.kind)).toEqual(['page', 'sms', 'notify', 'regulatory']);
  });

  it('Sev1 pages even overnight and at weekends (critical alerts only overnight)', () => {
    const plan = planLadder(ladder('sev1'), new Date('2026-11-28T17:00:00Z'), calendar); // Saturday noon ET
    expect(plan.deferredFrom).toBeNull();
    expect(iso(plan.steps[0]!.dueAt)).toBe('2026-11-28T17:00:00.000Z');
  });

  it.each([
    ['Saturday noon', '2026-11-28T17:00:00Z', 'weekend', '2026-11-30T09:00:00.000Z'],
    ['Wednesday 22:00 (overnight)', '2026-12-03T03:00:00Z', 'overnight', '2026-12-03T09:00:00.000Z'],
    ['Thanksgiving noon', '2026-11-26T17:00:00Z', 'holiday', '2026-11-27T09:00:00.000Z'],
    ['the night of the DST change', '2026-03-08T06:30:00Z', 'weekend', '2026-03-09T08:00:00.000Z'],
  ])('Sev3 declared %s waits for the next staffed session', (_what, at, quiet, clockStart) => {
    const plan = planLadder(ladder('sev3'), new Date(at), calendar);
    expect(plan.deferredFrom).toBe(quiet);
    expect(iso(plan.clockStart)).toBe(clockStart);
    expect(iso(plan.steps[1]!.dueAt)).toBe(new Date(new Date(clockStart).getTime() + 3_600_000).toISOString());
  });

  it('Sev3 in after-hours is staffed: no deferral', () => {
    const plan = planLadder(ladder('sev3'), new Date('2026-12-02T22:00:00Z'), calendar); // 17:00 ET
    expect(plan.deferredFrom).toBeNull();
  });
});

describe('judging a step when its timer wakes', () => {
  it.each([
    [{ generation: 1, always: false }, { generation: 1, open: true, acknowledged: false }, 'fire'],
    [{ generation: 1, always: false }, { generation: 2, open: true, acknowledged: true }, 'stale'],
    [{ generation: 2, always: false }, { generation: 2, open: true, acknowledged: true }, 'skip-acknowledged'],
    [{ generation: 2, always: true }, { generation: 2, open: true, acknowledged: true }, 'fire'],
    [{ generation: 3, always: true }, { generation: 3, open: false, acknowledged: true }, 'stale'],
  ] as const)('step %o, incident %o → %s', (step, incident, verdict) => {
    expect(judgeStep(step, incident)).toBe(verdict);
  });
});

describe('wording', () => {
  it.each([
    [45_000, '45 s'],
    [300_000, '5 min'],
    [5_400_000, '1 h 30 min'],
    [14_400_000, '4 h'],
  ])('%d ms is "%s"', (ms, text) => expect(humanDuration(ms)).toBe(text));
  it('describes actions', () => {
    expect(describeAction({ kind: 'sms', contacts: ['desk'], groups: ['sre-managers'] })).toBe('SMS to desk, @sre-managers');
  });
});
