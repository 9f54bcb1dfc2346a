import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION } from '../../src/adapters/slack/ids.js';
import { incidentIdFrom, startHarness, USERS, type Harness } from '../support/harness.js';
import { shortPolicyYaml } from '../support/short-policy.js';
import { parseDuration } from '../../src/domain/duration.js';
import { durationSpanMs, nothingMoreWithin, stepDueMs, TIMER_GRACE_MS } from '../support/quiet.js';

const PHONES = { heidi: '+12125550108', ivan: '+12125550109', erin: '+12125550105', grace: '+12125550107' };

const STATUS_EVERY = '2s';
let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    policyYaml: shortPolicyYaml((p) => {
      p.severities.sev2.status_every = STATUS_EVERY;
    }),
  });
});
afterAll(async () => {
  await h?.stop();
});

const smsTo = (phone: string, id: number) => h.twilio.messages().filter((m) => m.to === phone && m.body.includes(`INC-${id}:`));
const triggers = (id: number) => h.pagerduty.events({ action: 'trigger', dedupKey: `warroom-INC-${id}`, status: 202 });
const roomLines = (channel: string) => h.slack.channel(channel)!.messages.map((m) => m.text);

async function declare(text: string) {
  const id = incidentIdFrom(await h.command('/incident', text, { user: USERS.bob }));
  return { id, room: await h.warRoomReady(id) };
}

describe('no step lost, none doubled', () => {
  it('three processes on one Postgres and Redis run a whole Sev1 lifecycle: each step, message and page once', async () => {
    const replica = await h.startReplica();
    const third = await h.startReplica();
    try {
      const { id } = await declare('sev1 Two replicas');
      await h.twilio.waitFor(() => smsTo(PHONES.grace, id).length === 1, 9000, 'last step');
      await nothingMoreWithin(TIMER_GRACE_MS, 'a step run twice by another process');
      expect(triggers(id)).toHaveLength(1);
      expect(smsTo(PHONES.ivan, id)).toHaveLength(1);
      expect(smsTo(PHONES.erin, id)).toHaveLength(1);
      expect(smsTo(PHONES.grace, id)).toHaveLength(1);
      const fired = await h.sql`select count(*)::int as n from audit_trail where incident_id = ${id} and action = 'escalation.step_fired'`;
      expect(fired[0]!['n']).toBe(3);
      // The rest of the lifecycle, once each: card, announcement, resolution, PagerDuty resolve.
      const room = await h.warRoomReady(id);
      await h.command('/incident', 'resolve failover complete', { channel: room.channel_id, user: USERS.bob });
      await h.pagerduty.waitFor(() => h.pagerduty.events({ action: 'resolve', dedupKey: `warroom-INC-${id}` }).length >= 1, 5000, 'PD resolve');
      await h.slack.waitFor(() => h.slack.channel(room.channel_id)!.messages.some((m) => m.text.startsWith(':white_check_mark: *Resolved*')), 5000, 'resolution posted');
      await nothingMoreWithin(TIMER_GRACE_MS, 'a second resolution post or resolve event');
      const ch = h.slack.channel(room.channel_id)!;
      expect(ch.messages.filter((m) => m.blocks?.[0]?.type === 'header')).toHaveLength(1);
      expect(ch.messages.filter((m) => m.text.startsWith(':white_check_mark: *Resolved*'))).toHaveLength(1);
      expect(ch.messages.filter((m) => m.text.startsWith(':stopwatch:'))).toHaveLength(3);
      expect(h.slack.channel('incidents')!.messages.filter((m) => m.text.includes(`INC-${id}:`))).toHaveLength(1);
      expect(h.pagerduty.events({ action: 'resolve', dedupKey: `warroom-INC-${id}` })).toHaveLength(1);
    } finally {
      await replica.stop();
      await third.stop();
    }
  });

  it('a Redis flush mid-incident loses no step: the reconciler rebuilds the timers from Postgres', async () => {
    const { id } = await declare('sev1 Redis flushed');
    await h.pagerduty.waitFor(() => triggers(id).length === 1, 5000, 'step 0');
    const deleted = await h.flushRedis();
    expect(deleted).toBeGreaterThan(0);
    await h.twilio.waitFor(() => smsTo(PHONES.erin, id).length === 1, 8000, 'step 1 after the flush');
    await h.twilio.waitFor(() => smsTo(PHONES.grace, id).length === 1, 8000, 'step 2 after the flush');
    await nothingMoreWithin(TIMER_GRACE_MS, 'a rebuilt timer firing a step again');
    expect(smsTo(PHONES.erin, id)).toHaveLength(1);
    expect(triggers(id)).toHaveLength(1);
  });

  it('a process killed between claim and send: the step is resent once, skipping recipients already reached', async () => {
    // 1. A process records the incident and its ladder, then dies before any timer runs.
    await h.restartBot({ workers: false });
    const id = incidentIdFrom(await h.command('/incident', 'sev1 Killed mid-step', { user: USERS.bob }));
    const [step0] = await h.sql`select id from escalation_steps where incident_id = ${id} and step_index = 0`;
    // 2. It had claimed step 0 and texted Heidi, then was killed before texting Ivan or confirming.
    await h.sql`update escalation_steps set status = 'claimed', claimed_at = now() - interval '2 minutes', fired_at = now() - interval '2 minutes' where id = ${step0!['id']}`;
    await h.sql`insert into deliveries (step_id, channel, recipient, status, detail) values (${step0!['id']}, 'sms', ${PHONES.heidi}, 'sent', 'SMbefore')`;
    // 3. A new process comes up: the reconciler finds the stale claim and runs the step again.
    await h.restartBot({ workers: true });
    await h.warRoomReady(id);
    await h.twilio.waitFor(() => smsTo(PHONES.ivan, id).length === 1, 8000, 'Ivan texted on the retry');
    await h.pagerduty.waitFor(() => triggers(id).length === 1, 5000, 'page on the retry');
    await h.twilio.waitFor(async () => (await h.sql`select status from escalation_steps where id = ${step0!['id']}`)[0]!['status'] === 'sent', 5000, 'step 0 confirmed');
    await nothingMoreWithin(TIMER_GRACE_MS, 'Heidi texted again');
    expect(smsTo(PHONES.heidi, id).filter((m) => m.body.includes('just declared'))).toHaveLength(0);
    expect(smsTo(PHONES.ivan, id)).toHaveLength(1);
    const [row] = await h.sql`select status from escalation_steps where id = ${step0!['id']}`;
    expect(row!['status']).toBe('sent');
    await h.command('/incident', 'ack', { channel: (await h.warRoomReady(id)).channel_id });
  });

  it('a step due while the bot was down fires on recovery and says it is late', async () => {
    await h.restartBot({ workers: false });
    const id = incidentIdFrom(await h.command('/incident', 'sev2 Down while due', { user: USERS.bob }));
    // The Sev2 step at 2 s falls due while nothing runs; no worker, so nothing may fire meanwhile.
    await nothingMoreWithin(stepDueMs(h.policy, 'sev2', 1) + TIMER_GRACE_MS, 'a step with no worker running');
    expect(smsTo(PHONES.erin, id)).toHaveLength(0);
    await h.restartBot({ workers: true });
    const room = await h.warRoomReady(id);
    await h.twilio.waitFor(() => smsTo(PHONES.erin, id).length === 1, 8000, 'late step fired');
    await h.slack.waitFor(() => roomLines(room.channel_id).some((t) => t.startsWith(':stopwatch: 2 s without a response') && /:warning: fired \d+ s late \(due \d\d:\d\d:\d\d ET\)$/.test(t)), 5000, 'late line');
    const [s] = await h.sql`select lateness_ms::float8 as lateness_ms from escalation_steps where incident_id = ${id} and step_index = 1`;
    expect(s!['lateness_ms']).toBeGreaterThan(1000);
    await h.command('/incident', 'resolve done', { channel: room.channel_id });
  });
});

describe('status nudges', () => {
  it('remind the IC when no status was posted within the interval; a status resets the clock', async () => {
    const { id, room } = await declare('sev2 Nudge me');
    await h.clickInMessage(room.channel_id, room.header_ts, ACTION.roleTake, USERS.alice, { value: `role|${id}|incident_commander` });
    const nudges = () => roomLines(room.channel_id).filter((t) => t.startsWith(':alarm_clock:'));
    await h.slack.waitFor(() => nudges().length >= 1, 5000, 'first nudge');
    expect(nudges()[0]).toMatch(new RegExp(`^:alarm_clock: <@${USERS.alice}> no status update for \\d s\\. Post one with`));
    await h.command('/incident', 'status rolling back the release', { channel: room.channel_id, user: USERS.alice });
    const after = nudges().length;
    // Reset by the status update: nothing for most of an interval.
    await nothingMoreWithin(parseDuration(STATUS_EVERY) / 2, 'a nudge within half an interval of a status update');
    expect(nudges().length).toBe(after);
    await h.slack.waitFor(() => nudges().length > after, 5000, 'next nudge after the interval');
    await h.command('/incident', 'resolve done', { channel: room.channel_id });
    const count = nudges().length;
    await nothingMoreWithin(durationSpanMs(STATUS_EVERY), 'a nudge after resolution');
    expect(nudges().length).toBe(count);
  });
});

describe('regulatory checklist', () => {
  it('lists the assessments with owners; owners tick them off; others are refused; a reminder comes before it is late', async () => {
    const { id } = await declare('sev1 Funds transfer duplicate debits');
    const compliance = () => h.slack.channel('compliance')!;

    const card = await h.slack.waitFor(() => compliance().messages.find((m) => JSON.stringify(m.blocks ?? []).includes(`Regulatory checklist · INC-${id}`)), 5000, 'card');
    const text = JSON.stringify(card.blocks);
    expect(text).toContain('Assess customer impact');
    expect(text).toContain('Decide on FINRA / SEC notification');
    expect(text).toContain('<!subteam^SCOMPLIAN>');
    const before = h.slack.responses().length;
    await h.clickInMessage('compliance', card.ts, ACTION.checklistDone, USERS.bob, { value: `reg|${id}|customer-impact` });
    await h.slack.waitFor(() => h.slack.responses().slice(before).some((r) => r.body?.text?.includes('Only members of @compliance may complete')), 5000, 'refusal');
    await h.clickInMessage('compliance', card.ts, ACTION.checklistDone, USERS.dave, { value: `reg|${id}|customer-impact` });
    await h.slack.waitFor(() => JSON.stringify(compliance().messages.find((m) => m.ts === card.ts)!.blocks).includes(`~Assess customer impact: accounts, open orders, funds at risk~ — <@${USERS.dave}>`), 5000, 'ticked');
    await h.slack.waitFor(() => compliance().messages.some((m) => m.text.includes(`the regulatory checklist for INC-${id} is due`) && m.text.includes('<!subteam^SCOMPLIAN>') && !m.text.includes('Assess customer impact')), 6000, 'reminder');
    const audit = await h.sql`select action, actor from audit_trail where incident_id = ${id} and action like 'regulatory.%' order by ord`;
    expect(audit.map((a) => a['action'])).toEqual(['regulatory.checklist_opened', 'regulatory.item_refused', 'regulatory.item_done', 'regulatory.checklist_reminded']);
  });
});

describe('Twilio down for a while', () => {
  it('texts are retried with backoff and delivered when it returns; nobody texted twice; logs name the incident', async () => {
    h.twilio.failNext({ status: 503 }, 3);
    const { id } = await declare('sev1 Carrier outage meanwhile');
    await h.twilio.waitFor(() => smsTo(PHONES.heidi, id).length >= 1 && smsTo(PHONES.ivan, id).length >= 1, 15_000, 'executives texted after the outage');
    await nothingMoreWithin(TIMER_GRACE_MS, 'a second text to an executive');
    expect(smsTo(PHONES.heidi, id).filter((m) => m.body.includes('just declared'))).toHaveLength(1);
    expect(smsTo(PHONES.ivan, id)).toHaveLength(1);
    expect(h.twilio.requests().filter((r) => r.status === 503).length).toBeGreaterThanOrEqual(3);
    expect(h.logs.join('')).toContain(`"incident":"INC-${id}"`);
    const room = await h.warRoomReady(id);
    await h.command('/incident', 'resolve carrier back', { channel: room.channel_id, user: USERS.bob });
  }, 30_000);
});
