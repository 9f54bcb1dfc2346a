import { describe, expect, it } from 'vitest';
import { TIMERS, WORK, orderedWorkKinds, timerJobId, type TimerSpec } from '../../src/app/jobs/catalog.js';

describe('the job catalog', () => {
  const at = new Date(1_800_000_000_000);
  it('keeps the timer job ids Redis already holds (deterministic, colon-free)', () => {
    const specs: TimerSpec[] = [
      { kind: 'esc-step', stepId: 7, at },
      { kind: 'nudge', incidentId: 3, seq: 2, at },
      { kind: 'reg-reminder', incidentId: 3, at },
      { kind: 'cmp-open', runId: 5, at },
      { kind: 'cmp-warn', runId: 5, at },
      { kind: 'cmp-due', runId: 5, at },
      { kind: 'cmp-digest', date: '2030-01-02', at },
      { kind: 'cmp-plan', at },
    ];
    expect(specs.map(timerJobId)).toEqual(['esc-7', `nudge-3-2-${at.getTime()}`, 'regrem-3', 'cmp-open-5', 'cmp-warn-5', 'cmp-due-5', 'cmp-digest-2030-01-02', `cmp-plan-${at.getTime()}`]);
    expect(new Set(specs.map((s) => s.kind))).toEqual(new Set(Object.keys(TIMERS)));
    for (const id of specs.map(timerJobId)) expect(id).not.toContain(':');
  });

  it('validates payloads: what the code writes passes, a wrong type or a missing field does not', () => {
    expect(WORK['incident.notice'].schema.safeParse({ incidentId: 1, where: 'war-room', text: 'hi' }).success).toBe(true);
    expect(WORK['incident.notice'].schema.safeParse({ incidentId: 1, where: 'war-room', text: 'hi', unlessSuperseded: { role: 'ic', userId: 'U1' } }).success).toBe(true);
    expect(WORK['incident.notice'].schema.safeParse({ incidentId: '1', where: 'war-room', text: 'hi' }).success).toBe(false);
    expect(WORK['incident.notice'].schema.safeParse({ incidentId: 1, where: 'lobby', text: 'hi' }).success).toBe(false);
    expect(WORK['compliance.digest'].schema.safeParse({}).success).toBe(false);
    expect(TIMERS['esc-step'].schema.safeParse({ stepId: 'x' }).success).toBe(false);
  });

  it('channel creation runs on the ordered lane, nothing else does', () => {
    expect(orderedWorkKinds()).toEqual(['warroom.channel']);
  });
});
