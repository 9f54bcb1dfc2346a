import { describe, expect, it } from 'vitest';
import { ACTION, encodeRoleTarget } from '../../src/adapters/slack/ids.js';
import { incidentIdFrom, routingKeyFor, useHarness, USERS } from '../support/harness.js';
import { shortPolicyYaml } from '../support/short-policy.js';
import { atET, nextPlainWeekend } from '../support/instants.js';
import { ladderSpanMs, nothingMoreWithin, stepDueMs, TIMER_GRACE_MS } from '../support/quiet.js';

const PHONES = { heidi: '+12125550108', ivan: '+12125550109', erin: '+12125550105', grace: '+12125550107' };

const h = useHarness({ policyYaml: shortPolicyYaml() });

const smsTo = (phone: string, id: number) => h.twilio.messages().filter((m) => m.to === phone && m.body.includes(`INC-${id}:`));
const triggers = (id: number) => h.pagerduty.events({ action: 'trigger', dedupKey: `warroom-INC-${id}`, status: 202 });
const roomLines = (channel: string) => h.slack.channel(channel)!.messages.map((m) => m.text);

async function declare(text: string, user: string = USERS.bob) {
  const id = incidentIdFrom(await h.command('/incident', text, { user }));
  const room = await h.warRoomReady(id);
  return { id, room };
}

describe('an unanswered Sev1 climbs the ladder', () => {
  it('pages at once, texts managers at 2 s and leadership at 4 s, each exactly once, in order', async () => {
    const { id, room } = await declare('sev1 Order routing down for equities');
    // At 0: PagerDuty (critical), executives by SMS and DM, the regulatory checklist.
    await h.pagerduty.waitFor(() => triggers(id).length === 1, 5000, 'page');
    const page = triggers(id)[0]!.body!;
    expect(page).toMatchObject({ routing_key: routingKeyFor('trading-oncall'), event_action: 'trigger', dedup_key: `warroom-INC-${id}`, payload: { summary: `[SEV1] INC-${id} Order routing down for equities`, severity: 'critical', source: 'warroom' } });
    expect(page.payload.custom_details).toMatchObject({ incident: `INC-${id}`, severity: 'sev1', war_room: `#${room.channel_name}` });
    await h.twilio.waitFor(() => smsTo(PHONES.heidi, id).length === 1 && smsTo(PHONES.ivan, id).length === 1, 5000, 'executives texted');
    expect(smsTo(PHONES.heidi, id)[0]!.body).toMatch(new RegExp(`^warroom SEV1 INC-${id}: Order routing down for equities - just declared\\. Slack #inc-${id}-order-routing-down-for-equities$`));
    expect(smsTo(PHONES.heidi, id)[0]!.segments).toBeLessThanOrEqual(2);
    await h.slack.waitFor(() => h.slack.dms(USERS.heidi).some((m) => m.text.includes(`INC-${id}`)), 5000, 'executive DM');
    await h.slack.waitFor(() => h.slack.channel('compliance')!.messages.some((m) => JSON.stringify(m.blocks ?? []).includes(`Regulatory checklist · INC-${id}`)), 5000, 'checklist');

    // At 2 s: SRE managers (not before: measured from the declaration Postgres recorded). At 4 s: senior leadership, by SMS and DM.
    await h.twilio.waitFor(() => smsTo(PHONES.erin, id).length === 1, 5000, 'managers texted');
    const [{ declared_at: declaredAt }] = (await h.sql`select declared_at from incidents where id = ${id}`) as unknown as [{ declared_at: Date }];
    expect(smsTo(PHONES.erin, id)[0]!.at.getTime() - declaredAt.getTime()).toBeGreaterThanOrEqual(stepDueMs(h.policy, 'sev1', 1));
    expect(smsTo(PHONES.erin, id)[0]!.body).toContain('no response for 2 s');
    await h.twilio.waitFor(() => smsTo(PHONES.grace, id).length === 1, 6000, 'leadership texted');
    await h.slack.waitFor(() => h.slack.dms(USERS.grace).some((m) => m.text.includes(`INC-${id}`)), 5000, 'leadership DM');

    // Exactly once each, and in order: nothing more once the last step's grace has passed.
    await nothingMoreWithin(TIMER_GRACE_MS, 'a second page or text');
    expect(triggers(id)).toHaveLength(1);
    expect(smsTo(PHONES.heidi, id)).toHaveLength(2); // once as an executive at 0, once as senior leadership at 4 s
    expect(smsTo(PHONES.ivan, id)).toHaveLength(1);
    expect(smsTo(PHONES.erin, id)).toHaveLength(1);
    expect(smsTo(PHONES.grace, id)).toHaveLength(1);
    const at = (phone: string) => smsTo(phone, id)[0]!.at.getTime();
    expect(at(PHONES.ivan)).toBeLessThan(at(PHONES.erin));
    expect(at(PHONES.erin)).toBeLessThan(at(PHONES.grace));
    // The war room's timeline says what happened.
    await h.slack.waitFor(() => roomLines(room.channel_id).filter((t) => t.startsWith(':stopwatch:')).length === 3, 5000, 'three timeline lines');
    const lines = roomLines(room.channel_id).filter((t) => t.startsWith(":stopwatch:"));
    expect(lines[0]).toMatch(/^:stopwatch: On declaration: page trading-oncall \(1 sent\) · SMS to @executives \(2 sent\) · notify @executives \(2 sent\) · regulatory checklist in #compliance \(due \d\d:\d\d:\d\d ET\)$/);
    expect(lines[1]).toBe(':stopwatch: 2 s without a response: SMS to @sre-managers (1 sent)');
    expect(lines[2]).toMatch(/^:stopwatch: 4 s without a response: SMS to @senior-leadership \(2 sent\) · notify @senior-leadership \(2 sent\)/);
    const fired = await h.sql`select action, data->>'step' as step from audit_trail where incident_id = ${id} and action = 'escalation.step_fired' order by ord`;
    expect(fired.map((r) => r['step'])).toEqual(['0', '1', '2']);
  });
});

describe('a response stops the ladder', () => {
  it('Acknowledge at ~1 s: no later step fires; PagerDuty acknowledged; the card shows who and how fast', async () => {
    const { id, room } = await declare('sev1 Options chain frozen');
    await h.pagerduty.waitFor(() => triggers(id).length === 1, 5000, 'page');
    const pagedAt = Date.now();
    // Answer between the page at 0 and the managers' step, as a responder would.
    await h.pagerduty.waitFor(() => Date.now() - pagedAt >= stepDueMs(h.policy, 'sev1', 1) / 2, stepDueMs(h.policy, 'sev1', 1), 'half way to the next step');
    const r = await h.clickInMessage(room.channel_id, room.header_ts, ACTION.acknowledge, USERS.alice, { value: `ack|${id}` });
    expect(r.status).toBe(200);
    await h.slack.waitFor(() => h.slack.responses().some((x) => x.body?.text?.startsWith(`Acknowledged INC-${id}.`)), 5000, 'ack reply');
    await h.pagerduty.waitFor(() => h.pagerduty.events({ action: 'acknowledge', dedupKey: `warroom-INC-${id}` }).length === 1, 5000, 'PD acknowledge');
    expect(h.pagerduty.alerts().get(`warroom-INC-${id}`)?.status).toBe('acknowledged');
    await nothingMoreWithin(ladderSpanMs(h.policy, 'sev1'), 'a step after the acknowledgement');
    expect(smsTo(PHONES.erin, id)).toHaveLength(0);
    expect(smsTo(PHONES.grace, id)).toHaveLength(0);
    const header = () => h.slack.channel(room.channel_id)!.messages.find((m) => m.ts === room.header_ts)!;
    await h.slack.waitFor(() => JSON.stringify(header().blocks).includes(`*Responded*\\n<@${USERS.alice}> in`), 5000, 'card shows responder');
    expect(roomLines(room.channel_id).some((t) => t.includes(`<@${USERS.alice}> acknowledged after`) && t.includes('2 pending escalation steps cancelled'))).toBe(true);
    const [row] = await h.sql`select response_ms::float8 as response_ms, acknowledged_by from incidents where id = ${id}`;
    expect(row!['acknowledged_by']).toBe(USERS.alice);
    expect(row!['response_ms']).toBeGreaterThan(500);
    expect(row!['response_ms']).toBeLessThan(3000);
    const again = await h.command('/incident', 'ack', { channel: room.channel_id, user: USERS.bob });
    expect(again.body.text).toContain(`was already answered by <@${USERS.alice}>`);
  });

  it('taking the Incident Commander role counts as the response', async () => {
    const { id, room } = await declare('sev2 Margin calculator slow');
    await h.clickInMessage(room.channel_id, room.header_ts, ACTION.roleTake, USERS.alice, { value: encodeRoleTarget(id, 'incident_commander') });
    await h.slack.waitFor(() => roomLines(room.channel_id).some((t) => t.includes(`<@${USERS.alice}> took Incident Commander after`)), 5000, 'response notice');
    await nothingMoreWithin(ladderSpanMs(h.policy, 'sev2'), 'a step after the IC took the role');
    expect(smsTo(PHONES.erin, id)).toHaveLength(0);
    expect(triggers(id)).toHaveLength(1); // the Sev2 page at 0 went out before anyone answered
  });
});

describe('lifecycle', () => {
  it('a severity change cancels the old ladder and starts the new one from the change', async () => {
    const { id, room } = await declare('sev1 Clearing file rejected');
    await h.pagerduty.waitFor(() => triggers(id).length === 1, 5000, 'sev1 page');
    await h.command('/incident', 'sev2 only options clearing affected', { channel: room.channel_id, user: USERS.bob });
    // The Sev2 ladder pages the tech-lead service at once; the Sev1 SMS at 2 s and 4 s never come.
    await h.pagerduty.waitFor(() => h.pagerduty.events({ action: 'trigger', dedupKey: `warroom-INC-${id}` }).some((e) => e.body!['routing_key'] === routingKeyFor('tech-lead-oncall')), 5000, 'sev2 page');
    await nothingMoreWithin(Math.max(ladderSpanMs(h.policy, 'sev1'), ladderSpanMs(h.policy, 'sev2')), 'a step of the old ladder');
    expect(smsTo(PHONES.grace, id)).toHaveLength(0);
    // The Sev2 step at 2 s (SRE managers) did fire: nobody acknowledged.
    expect(smsTo(PHONES.erin, id)).toHaveLength(1);
    const steps = await h.sql`select severity, status from escalation_steps where incident_id = ${id} order by id`;
    expect(steps.filter((s) => s['severity'] === 'sev1').map((s) => s['status'])).toEqual(['sent', 'cancelled', 'cancelled']);
    expect(steps.filter((s) => s['severity'] === 'sev2').map((s) => s['status'])).toEqual(['sent', 'sent']);
  });

  it('resolving cancels everything pending and resolves the PagerDuty alert', async () => {
    const { id, room } = await declare('sev1 Login outage');
    await h.pagerduty.waitFor(() => triggers(id).length === 1, 5000, 'page');
    await h.command('/incident', 'resolve auth cache flushed', { channel: room.channel_id, user: USERS.bob });
    await h.pagerduty.waitFor(() => h.pagerduty.alerts().get(`warroom-INC-${id}`)?.status === 'resolved', 5000, 'PD resolved');
    await nothingMoreWithin(ladderSpanMs(h.policy, 'sev1'), 'a step after the resolution');
    expect(smsTo(PHONES.erin, id)).toHaveLength(0);
    const pending = await h.sql`select count(*)::int as n from escalation_steps where incident_id = ${id} and status = 'pending'`;
    expect(pending[0]!['n']).toBe(0);
  });

  it('a Sev3 declared at the weekend pages nobody; its clock starts with the next staffed session', async () => {
    // The app's clock is set to a Saturday AFTER the real now, so every timer it plans is in the
    // future for Redis too (test/README.md, "Time"): nothing may fire during the test.
    const { saturday, monday } = nextPlainWeekend();
    h.clock.set(atET(saturday, '12:00').toJSDate());
    try {
      const { id, room } = await declare('sev3 Statement PDFs slow');
      const opens = atET(monday, '04:00');
      await h.slack.waitFor(() => roomLines(room.channel_id).some((t) => t.includes('Weekend is a quiet session for SEV3') && t.includes(`The response clock starts at ${opens.toFormat('ccc d LLL')} 04:00 ET`)), 5000, 'quiet notice');
      const [first] = await h.sql`select due_at from escalation_steps where incident_id = ${id} order by step_index limit 1`;
      expect(new Date(first!['due_at']).toISOString()).toBe(opens.toUTC().toISO());
      await nothingMoreWithin(TIMER_GRACE_MS, 'a page at the weekend');
      expect(triggers(id)).toHaveLength(0);
    } finally {
      h.clock.set(null);
    }
  });
});

describe('delivery problems', () => {
  it('PagerDuty 429 then 202: one alert, delivered on retry', async () => {
    const next = Number((await h.sql`select coalesce(max(id), 0) + 1 as n from incidents`)[0]!['n']);
    h.pagerduty.failNext(429, 1, (b) => b?.['dedup_key'] === `warroom-INC-${next}`);
    const { id } = await declare('sev2 Quote server lagging');
    expect(id).toBe(next);
    await h.pagerduty.waitFor(() => triggers(id).length === 1, 8000, 'page after retry');
    expect(h.pagerduty.events({ dedupKey: `warroom-INC-${id}`, status: 429 })).toHaveLength(1);
    expect(h.pagerduty.alerts().get(`warroom-INC-${id}`)?.triggers).toBe(1);
  });

  it('an invalid number (21211) is reported and does not stop the other recipients', async () => {
    h.twilio.failNumber(PHONES.ivan, 21211);
    try {
      const { id, room } = await declare('sev1 Crypto wallet sync stalled');
      await h.twilio.waitFor(() => smsTo(PHONES.heidi, id).length === 1, 5000, 'heidi texted');
      await h.slack.waitFor(() => roomLines(room.channel_id).some((t) => t.startsWith(':stopwatch: On declaration') && t.includes('SMS to @executives (1 sent, 1 failed): <@UIVAN009> (+1212555••••): invalid number')), 5000, 'failure shown');
      const [step] = await h.sql`select status from escalation_steps where incident_id = ${id} and step_index = 0`;
      expect(step!['status']).toBe('partial');
      await h.command('/incident', 'resolve test over', { channel: room.channel_id });
    } finally {
      h.twilio.reset();
    }
  });
});

describe('PagerDuty down for a while', () => {
  it('the page is retried with backoff, delivered when it returns, and the war room shows the delay', async () => {
    const next = Number((await h.sql`select coalesce(max(id), 0) + 1 as n from incidents`)[0]!['n']);
    h.pagerduty.failNext(503, 4, (b) => b?.['dedup_key'] === `warroom-INC-${next}`);
    const { id, room } = await declare('sev2 PagerDuty outage meanwhile');
    expect(id).toBe(next);
    await h.pagerduty.waitFor(() => triggers(id).length === 1, 15_000, 'page after the outage');
    expect(h.pagerduty.events({ dedupKey: `warroom-INC-${id}`, status: 503 })).toHaveLength(4);
    await h.slack.waitFor(() => roomLines(room.channel_id).some((t) => t.startsWith(':stopwatch: On declaration: page tech-lead-oncall (1 sent)')), 5000, 'timeline line');
    await h.command('/incident', 'resolve done', { channel: room.channel_id, user: USERS.bob });
  }, 30_000);
});

describe('PagerDuty refuses the event (400)', () => {
  it('is reported in the war room as a failed step, not retried', async () => {
    const next = Number((await h.sql`select coalesce(max(id), 0) + 1 as n from incidents`)[0]!['n']);
    h.pagerduty.failNext(400, 1, (b) => b?.['dedup_key'] === `warroom-INC-${next}`);
    const { id, room } = await declare('sev2 Bad routing key');
    expect(id).toBe(next);
    await h.slack.waitFor(() => roomLines(room.channel_id).some((t) => t.startsWith(':stopwatch: On declaration: page tech-lead-oncall (0 sent, 1 failed): PagerDuty trigger for service "tech-lead-oncall" (dedup_key warroom-INC-' + id + ') rejected: HTTP 400')), 5000, 'failed page shown');
    await nothingMoreWithin(TIMER_GRACE_MS, 'a retry of the refused event');
    expect(h.pagerduty.events({ dedupKey: `warroom-INC-${id}` })).toHaveLength(1);
    const [step] = await h.sql`select status from escalation_steps where incident_id = ${id} and step_index = 0`;
    expect(step!['status']).toBe('failed');
    await h.command('/incident', 'resolve test over', { channel: room.channel_id });
  });
});

describe('metrics', () => {
  it('exposes timer lateness and page/SMS counters at /metrics', async () => {
    const res = await fetch(`${h.bot.url}/metrics`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toMatch(/warroom_timer_lateness_seconds_count\{kind="esc-step"\} [1-9]/);
    expect(text).toMatch(/warroom_pages_total\{result="sent"\} [1-9]/);
    expect(text).toMatch(/warroom_sms_total\{result="sent"\} [1-9]/);
    expect(text).toMatch(/warroom_ack_seconds_count\{kind="\/incident"\} [1-9]/);
    expect(text).toMatch(/warroom_slack_api_calls_total\{method="conversations.create",result="ok"\} [1-9]/);
    expect(text).toMatch(/warroom_queue_jobs\{queue="timers",state="delayed"\} \d+/);
    expect(text).toMatch(/warroom_compliance_runs/);
  });
});


