import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../../src/config/policy-schema.js';
import { DeployRules, type DeployType, type Freeze } from '../../src/domain/deploy-rules.js';
import { parseDeployWindowCommand, parseWhen } from '../../src/domain/deploy-command.js';
import { MarketCalendar } from '../../src/domain/market-calendar.js';

const policy = loadPolicy(undefined);
const rules = new DeployRules(new MarketCalendar(policy.calendar), policy.deploy);
const ET = 'America/New_York';
const et = (s: string) => DateTime.fromISO(s.replace(' ', 'T'), { zone: ET });
const evalAt = (at: string, type: DeployType, freezes: Freeze[] = [], grants: Parameters<DeployRules['evaluate']>[0]['grants'] = []) => rules.evaluate({ at: et(at), type, freezes, grants });
const iso = (d: DateTime | null) => d?.setZone(ET).toISO({ suppressMilliseconds: true }) ?? null;

describe('the rule table (default policy)', () => {
  // An ordinary Wednesday, then the day-after-Thanksgiving early close, a weekend, a holiday.
  it.each([
    ['2026-12-02 03:59', 'overnight', ['auto', 'auto', 'auto'], 'low'],
    ['2026-12-02 04:00', 'pre-market', ['auto', 'forbidden', 'cto'], 'low'],
    ['2026-12-02 09:19', 'pre-market', ['auto', 'forbidden', 'cto'], 'low'],
    ['2026-12-02 09:20', 'pre-market', ['forbidden', 'forbidden', 'cto'], 'critical'],
    ['2026-12-02 09:30', 'regular', ['forbidden', 'forbidden', 'cto'], 'critical'],
    ['2026-12-02 15:59', 'regular', ['forbidden', 'forbidden', 'cto'], 'critical'],
    ['2026-12-02 16:00', 'after-hours', ['engineering-lead', 'engineering-lead', 'engineering-lead'], 'medium'],
    ['2026-12-02 19:59', 'after-hours', ['engineering-lead', 'engineering-lead', 'engineering-lead'], 'medium'],
    ['2026-12-02 20:00', 'overnight', ['auto', 'auto', 'auto'], 'low'],
    ['2026-11-27 12:59', 'regular', ['forbidden', 'forbidden', 'cto'], 'critical'],
    ['2026-11-27 13:00', 'after-hours', ['engineering-lead', 'engineering-lead', 'engineering-lead'], 'medium'],
    ['2026-11-27 17:00', 'weekend', ['auto', 'auto', 'auto'], 'low'],
    ['2026-11-28 12:00', 'weekend', ['auto', 'auto', 'auto'], 'low'],
    ['2026-11-26 12:00', 'holiday', ['auto', 'auto', 'auto'], 'low'],
    ['2026-12-24 13:30', 'after-hours', ['engineering-lead', 'engineering-lead', 'engineering-lead'], 'medium'],
    ['2026-12-24 17:30', 'closed', ['auto', 'auto', 'auto'], 'low'],
  ])('%s ET is %s: non-critical/standard/emergency need %j, risk %s', (at, session, approvals, risk) => {
    const got = (['non-critical', 'standard', 'emergency'] as const).map((t) => evalAt(at, t));
    expect(got[0]!.session.kind).toBe(session);
    expect(got.map((d) => d.approval)).toEqual(approvals);
    expect(got[0]!.risk).toBe(risk);
    got.forEach((d) => expect(d.allowed).toBe(d.approval === 'auto'));
  });

  it('the done-when case: 2026-11-27 13:30 ET, standard', () => {
    const d = evalAt('2026-11-27 13:30', 'standard');
    expect(d.session.kind).toBe('after-hours');
    expect(d.approval).toBe('engineering-lead');
    expect(d.allowed).toBe(false);
    expect(d.reason).toBe('After-hours: standard releases need engineering-lead approval');
    expect(iso(d.nextAutoWindow)).toBe('2026-11-27T17:00:00-05:00');
    expect(iso(d.windowEnds)).toBe('2026-11-27T17:00:00-05:00');
  });

  it('next auto window: a Wednesday morning waits for 20:00; an auto time is its own answer', () => {
    expect(iso(evalAt('2026-12-02 09:00', 'standard').nextAutoWindow)).toBe('2026-12-02T20:00:00-05:00');
    expect(iso(evalAt('2026-12-02 09:00', 'non-critical').nextAutoWindow)).toBe('2026-12-02T09:00:00-05:00');
    expect(iso(evalAt('2026-12-02 09:25', 'non-critical').nextAutoWindow)).toBe('2026-12-02T20:00:00-05:00');
  });

  it('the 09:20 cut is right across DST (2026-03-09 09:20 EDT is 13:20Z)', () => {
    const d = rules.windowEnd(DateTime.fromISO('2026-03-09T12:00:00Z'));
    expect(d.toUTC().toISO()).toBe('2026-03-09T13:20:00.000Z');
  });

  it('forbidden types say when they open', () => {
    expect(iso(rules.nextPermitted('standard', et('2026-12-02 10:00')))).toBe('2026-12-02T16:00:00-05:00');
  });

  it('an approval lasts until its window ends, at most max_approval (4 h)', () => {
    const d = evalAt('2026-12-02 16:30', 'standard');
    expect(iso(rules.approvalExpiry(et('2026-12-02 16:30'), d))).toBe('2026-12-02T20:00:00-05:00');
    const late = evalAt('2026-11-27 13:30', 'standard');
    expect(iso(rules.approvalExpiry(et('2026-11-27 13:30'), late))).toBe('2026-11-27T17:00:00-05:00');
    const emergency = evalAt('2026-12-02 09:40', 'emergency');
    expect(iso(rules.approvalExpiry(et('2026-12-02 09:40'), emergency))).toBe('2026-12-02T13:40:00-05:00');
  });
});

describe('approvals', () => {
  it('cto approval satisfies engineering-lead, not the other way round', () => {
    expect(evalAt('2026-12-02 16:30', 'standard', [], [{ capacity: 'cto', by: 'UCTO' }]).allowed).toBe(true);
    expect(evalAt('2026-12-02 10:00', 'emergency', [], [{ capacity: 'engineering-lead', by: 'UEL' }]).allowed).toBe(false);
    const ok = evalAt('2026-12-02 10:00', 'emergency', [], [{ capacity: 'cto', by: 'UCTO' }]);
    expect(ok.allowed).toBe(true);
    expect(ok.approvedBy).toEqual(['UCTO']);
    expect(ok.reason).toContain('approved');
  });
  it('nothing unlocks a forbidden slot', () => {
    expect(evalAt('2026-12-02 10:00', 'standard', [], [{ capacity: 'cto', by: 'UCTO' }]).allowed).toBe(false);
  });
});

describe('incident freeze', () => {
  const sev1: Freeze = { incidentId: 42, severity: 'sev1', channelId: 'CWAR', commander: 'UIC' };
  it('forbids non-critical and standard everywhere, naming the incident', () => {
    for (const at of ['2026-11-28 12:00', '2026-12-02 16:30']) {
      const d = evalAt(at, 'standard', [sev1]);
      expect(d.approval).toBe('forbidden');
      expect(d.freeze).toEqual(sev1);
      expect(d.reason).toBe('Freeze: INC-42 (SEV1) is open; standard releases are forbidden until it is resolved');
    }
  });
  it('emergency keeps its row and also needs the IC', () => {
    const d = evalAt('2026-11-28 12:00', 'emergency', [sev1]);
    expect(d.approval).toBe('auto');
    expect(d.needsCommander).toBe(true);
    expect(d.allowed).toBe(false);
    expect(d.reason).toContain("INC-42's Incident Commander");
    expect(evalAt('2026-11-28 12:00', 'emergency', [sev1], [{ capacity: 'incident-commander', by: 'UIC' }]).allowed).toBe(true);
    const regular = evalAt('2026-12-02 10:00', 'emergency', [sev1], [{ capacity: 'incident-commander', by: 'UIC' }]);
    expect(regular.allowed).toBe(false); // still needs the CTO
    expect(rules.capacitiesNeeded(regular)).toEqual(['cto', 'incident-commander']);
  });
  it('a Sev3 does not freeze', () => {
    expect(evalAt('2026-11-28 12:00', 'standard', [{ ...sev1, severity: 'sev3' }]).allowed).toBe(true);
  });
});

describe('/deploy-window parsing', () => {
  const now = et('2026-11-27 13:30');
  const at = (text: string) => {
    const c = parseDeployWindowCommand(text, now, ET);
    return 'at' in c ? iso(c.at) : null;
  };
  it.each([
    ['', '2026-11-27T13:30:00-05:00'],
    ['standard', '2026-11-27T13:30:00-05:00'],
    ['emergency at 2026-11-27 13:30', '2026-11-27T13:30:00-05:00'],
    ['standard at tomorrow 09:00', '2026-11-28T09:00:00-05:00'],
    ['standard at 16:30', '2026-11-27T16:30:00-05:00'],
    ['standard at monday 20:00', '2026-11-30T20:00:00-05:00'],
    ['standard at 2026-11-27T18:30:00Z', '2026-11-27T13:30:00-05:00'],
    ['standard at 2026-11-27T13:30:00-05:00', '2026-11-27T13:30:00-05:00'],
    ['at 2026-12-02 09:20', '2026-12-02T09:20:00-05:00'],
  ])('"%s" → %s', (text, expected) => expect(at(text)).toBe(expected));

  it('parses requests with and without a time', () => {
    expect(parseDeployWindowCommand('request standard payments Rotate TLS certs', now, ET)).toMatchObject({ kind: 'request', type: 'standard', service: 'payments', summary: 'Rotate TLS certs', explicitTime: false });
    const later = parseDeployWindowCommand('request emergency order-routing at tomorrow 09:00 Hotfix FIX session reset', now, ET);
    expect(later).toMatchObject({ kind: 'request', type: 'emergency', service: 'order-routing', summary: 'Hotfix FIX session reset' });
    expect(iso((later as { at: DateTime }).at)).toBe('2026-11-28T09:00:00-05:00');
  });

  it.each([
    ['rollout', /"rollout" is not a deploy type.*`\/deploy-window standard`/],
    ['standard at 25:00', /can't read the time "25:00"/],
    ['standard at yesterday', /can't read the time/],
    ['standard at', /Say when after `at`/],
    ['standard now please', /didn't understand "now please"/],
    ['request standard', /Usage: `\/deploy-window request/],
    ['request standard Payments! fix', /is not a service name/],
    ['request standard payments at 2026-11-01 10:00 Old change', /is in the past/],
  ])('"%s" is refused with a working example', (text, message) => {
    expect(() => parseDeployWindowCommand(text, now, ET)).toThrow(message);
  });

  it('a local time DST skips moves forward; an ambiguous one is the later instant', () => {
    expect(parseWhen('2026-03-08 02:30', now, ET).toISO()).toBe('2026-03-08T03:30:00.000-04:00');
    expect(parseWhen('2026-11-01 01:30', now, ET).toUTC().toISO()).toBe('2026-11-01T06:30:00.000Z');
  });
});

describe('the per-minute memo of the calendar half', () => {
  // The gate answers a fleet of pipelines asking about the same minute from a memo; every
  // instant of a minute must get exactly what a walk of the calendar from that instant gives.
  it('answers any instant of a minute as a fresh walk of the calendar would', () => {
    const shared = new DeployRules(new MarketCalendar(policy.calendar), policy.deploy);
    const start = et('2026-11-20 00:00');
    // Every 53 minutes for 3 weeks (Thanksgiving, its early close, weekends) and the minutes
    // either side of each cut, at the minute's start then 59.999 s into it: the second answer
    // comes from the memo the first filled.
    const cuts = ['03:59', '04:00', '09:19', '09:20', '09:29', '09:30', '12:59', '13:00', '15:59', '16:00', '19:59', '20:00'];
    const minutes = [
      ...Array.from({ length: Math.ceil((21 * 24 * 60) / 53) }, (_, k) => start.plus({ minutes: k * 53 })),
      ...['2026-11-25', '2026-11-26', '2026-11-27', '2026-11-30', '2026-12-04', '2026-12-05'].flatMap((d) => cuts.map((c) => et(`${d} ${c}`))),
    ];
    for (const minute of minutes) {
      for (const type of ['standard', 'non-critical', 'emergency'] as const) {
        shared.evaluate({ at: minute, type, freezes: [] });
        const late = minute.plus({ milliseconds: 59_999 });
        const fresh = new DeployRules(new MarketCalendar(policy.calendar), policy.deploy).evaluate({ at: late, type, freezes: [] });
        const memo = shared.evaluate({ at: late, type, freezes: [] });
        expect(JSON.stringify(memo), `${type} at ${late.toISO()}`).toBe(JSON.stringify(fresh));
      }
    }
  });
});
