import { describe, expect, it } from 'vitest';
import { ACTION } from '../../src/adapters/slack/ids.js';
import { PAGERDUTY_WEBHOOK_MAX_BYTES } from '../../src/http/pagerduty-webhook.js';
import { signWebhook } from '../../src/sandbox/fake-pagerduty.js';
import { incidentIdFrom, useHarness, USERS } from '../support/harness.js';
import { ladderSpanMs, nothingMoreWithin, TIMER_GRACE_MS } from '../support/quiet.js';
import { shortPolicyYaml } from '../support/short-policy.js';

/**
 * PagerDuty both ways, the inbound half: the fake PagerDuty delivers signed webhooks (v3) to the
 * bot over HTTP, as PagerDuty does when someone acknowledges, resolves, escalates or reassigns.
 */
const SECRET = 'pd-webhook-secret-for-tests-41c9e';
const OLD_SECRET = 'pd-webhook-old-secret-for-tests-77a0';
const h = useHarness({ policyYaml: shortPolicyYaml(), env: { PAGERDUTY_WEBHOOK_SECRET: SECRET } });

const PHONES = { erin: '+12125550105', grace: '+12125550107' };
const url = () => `${h.bot.url}/api/v1/alerts/pagerduty`;
const key = (id: number) => `warroom-INC-${id}`;
const roomLines = (channel: string) => h.slack.channel(channel)!.messages.map((m) => m.text);
const smsTo = (phone: string, id: number) => h.twilio.messages().filter((m) => m.to === phone && m.body.includes(`INC-${id}:`));
const rows = (webhookId: string) => h.sql`select incident_id, event_type, outcome, payload, pd_incident_id, incident_key from pagerduty_webhooks where webhook_id = ${webhookId}`;
const audits = (webhookId: string) => h.sql`select actor, incident_id, data from audit_trail where action = 'pagerduty.webhook_received' and subject = ${webhookId}`;

/** Declares as Bob and waits until PagerDuty holds the page (its incident_key is warroom-INC-<id>). */
async function declare(text: string): Promise<number> {
  const id = incidentIdFrom(await h.command('/incident', text, { user: USERS.bob }));
  await h.pagerduty.waitFor(() => h.pagerduty.alerts().get(key(id)), 5000, `the page of INC-${id}`);
  return id;
}

describe('the endpoint: signatures, bodies, sizes, redeliveries', () => {
  it('an event about an incident warroom did not send is kept and audited, and changes nothing', async () => {
    for (const incidentKey of ['a1b2c3d4e5f60718293a4b5c6d7e8f90', 'warroom-INC-987654']) {
      const sent = await h.pagerduty.sendWebhook(url(), SECRET, h.pagerduty.webhookEvent(incidentKey, 'incident.acknowledged', { agent: 'Jane Doe' }));
      expect(sent.status).toBe(202);
      expect(sent.body).toMatchObject({ status: 'accepted', event_type: 'incident.acknowledged', incident: null, outcome: 'not_ours' });
      const [row] = await rows(sent.webhookId);
      expect(row).toMatchObject({ incident_id: null, event_type: 'incident.acknowledged', outcome: 'not_ours', incident_key: incidentKey });
      expect(row!['payload'].event.data.incident_key).toBe(incidentKey);
      const [audit] = await audits(sent.webhookId);
      expect(audit).toMatchObject({ actor: 'pagerduty:Jane Doe', incident_id: null });
      expect(audit!['data']).toMatchObject({ event_type: 'incident.acknowledged', outcome: 'not_ours' });
      expect(await h.sql`select 1 from work_items where dedupe_key like ${`%${sent.webhookId}`}`).toHaveLength(0);
    }
  });

  it("PagerDuty's test event (pagey.ping) is accepted and kept", async () => {
    const ping = { event: { id: '01FKZOXA868SHYEE4DVNWB5P9W', event_type: 'pagey.ping', resource_type: 'pagey', occurred_at: new Date().toISOString(), agent: { id: 'PVE0ZR9', type: 'user_reference' }, client: null, data: { message: 'Hello from your friend Pagey!', type: 'ping' } } };
    const sent = await h.pagerduty.sendWebhook(url(), SECRET, ping);
    expect(sent).toMatchObject({ status: 202, body: { event_type: 'pagey.ping', incident: null, outcome: 'not_ours' } });
    expect((await rows(sent.webhookId))[0]).toMatchObject({ event_type: 'pagey.ping', incident_id: null, pd_incident_id: null });
    expect((await audits(sent.webhookId))[0]).toMatchObject({ actor: 'pagerduty:PagerDuty' });
  });

  it('verifies X-PagerDuty-Signature: good, rotated (two, the second valid), wrong secret, missing, malformed', async () => {
    const event = () => h.pagerduty.webhookEvent('not-ours-signatures', 'incident.triggered');
    expect((await h.pagerduty.sendWebhook(url(), SECRET, event())).status).toBe(202);
    const rotated = await h.pagerduty.sendWebhook(url(), [OLD_SECRET, SECRET], event());
    expect(rotated.status).toBe(202);
    const wrong = await h.pagerduty.sendWebhook(url(), [OLD_SECRET, 'another-wrong-secret-0000'], event());
    expect(wrong).toMatchObject({ status: 401, body: { error: 'bad_signature' } });
    const missing = await h.pagerduty.sendWebhook(url(), SECRET, event(), { signature: null });
    expect(missing).toMatchObject({ status: 401, body: { error: 'missing_signature' } });
    const raw = JSON.stringify(event());
    const sha256Style = await h.pagerduty.sendWebhook(url(), SECRET, null, { raw, signature: signWebhook(raw, SECRET).replace('v1=', 'sha256=') });
    expect(sha256Style).toMatchObject({ status: 401, body: { error: 'bad_signature' } });
    // Signed over other bytes: the same JSON re-serialised with a space does not verify.
    const reformatted = await h.pagerduty.sendWebhook(url(), SECRET, null, { raw: JSON.stringify(event(), null, 1), signature: signWebhook(raw, SECRET) });
    expect(reformatted.status).toBe(401);
    for (const refused of [wrong, missing, sha256Style, reformatted]) expect(await rows(refused.webhookId)).toHaveLength(0);
    expect(await rows(rotated.webhookId)).toHaveLength(1);
  });

  it('answers 400 with the JSON path of the problem, and keeps nothing', async () => {
    const notJson = await h.pagerduty.sendWebhook(url(), SECRET, null, { raw: 'event=incident.acknowledged' });
    expect(notJson).toMatchObject({ status: 400, body: { error: 'bad_request', path: '$' } });
    const noType = h.pagerduty.webhookEvent('not-ours-400', 'incident.acknowledged');
    delete noType['event'].event_type;
    expect(await h.pagerduty.sendWebhook(url(), SECRET, noType)).toMatchObject({ status: 400, body: { path: '$.event.event_type' } });
    const noId = h.pagerduty.webhookEvent('not-ours-400', 'incident.acknowledged');
    delete noId['event'].data.id;
    expect(await h.pagerduty.sendWebhook(url(), SECRET, noId)).toMatchObject({ status: 400, body: { path: '$.event.data.id' } });
    const badAssignee = h.pagerduty.webhookEvent('not-ours-400', 'incident.reassigned', { assignees: ['Priya Shah'] });
    badAssignee['event'].data.assignees[0].summary = 42;
    const sent = await h.pagerduty.sendWebhook(url(), SECRET, badAssignee);
    expect(sent).toMatchObject({ status: 400, body: { path: '$.event.data.assignees[0].summary' } });
    expect(sent.body.message).toContain('$.event.data.assignees[0].summary');
    expect(await h.pagerduty.sendWebhook(url(), SECRET, { messages: [] })).toMatchObject({ status: 400, body: { path: '$.event' } });
    expect(await rows(sent.webhookId)).toHaveLength(0);
  });

  it(`answers 413 over ${PAGERDUTY_WEBHOOK_MAX_BYTES} bytes`, async () => {
    const big = { ...h.pagerduty.webhookEvent('not-ours-413', 'incident.annotated'), padding: 'x'.repeat(PAGERDUTY_WEBHOOK_MAX_BYTES) };
    const sent = await h.pagerduty.sendWebhook(url(), SECRET, big);
    expect(sent).toMatchObject({ status: 413, body: { error: 'payload_too_large', limit_bytes: PAGERDUTY_WEBHOOK_MAX_BYTES } });
    expect(await rows(sent.webhookId)).toHaveLength(0);
  });

  it('a redelivery (same X-Webhook-Id, even at the same moment) answers 2xx and does nothing', async () => {
    const event = h.pagerduty.webhookEvent('not-ours-redelivered', 'incident.resolved', { agent: 'Jane Doe' });
    const webhookId = 'c0ffee00-0000-4000-8000-000000000001';
    const answers = await Promise.all([1, 2, 3].map(() => h.pagerduty.sendWebhook(url(), SECRET, event, { webhookId })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 202]);
    expect(answers.filter((a) => a.status === 200).every((a) => a.body.status === 'duplicate')).toBe(true);
    expect(await rows(webhookId)).toHaveLength(1);
    expect(await audits(webhookId)).toHaveLength(1);
  });
});

describe('incident.acknowledged counts as the response', () => {
  it('stops the ladder, shows "Acknowledged in PagerDuty by" on the card, audits it, sends no acknowledge back', async () => {
    const id = await declare('sev1 Matching engine halted');
    const body = h.pagerduty.actInApp(key(id), 'acknowledge', 'Jane Doe');
    const sent = await h.pagerduty.sendWebhook(url(), SECRET, body);
    expect(sent).toMatchObject({ status: 202, body: { incident: `INC-${id}`, outcome: 'acknowledged' } });

    const [incident] = await h.sql`select acknowledged_by, esc_generation from incidents where id = ${id}`;
    expect(incident!['acknowledged_by']).toBe('pagerduty:Jane Doe');
    const [row] = await rows(sent.webhookId);
    expect(row).toMatchObject({ incident_id: id, outcome: 'acknowledged', incident_key: key(id), pd_incident_id: h.pagerduty.alerts().get(key(id))!.incidentId });
    const acks = await h.sql`select actor, data from audit_trail where incident_id = ${id} and action = 'incident.acknowledged'`;
    expect(acks).toHaveLength(1);
    expect(acks[0]).toMatchObject({ actor: 'pagerduty:Jane Doe', data: { how: 'acknowledged in PagerDuty', steps_stopped: 2 } });
    expect((await audits(sent.webhookId))[0]).toMatchObject({ actor: 'pagerduty:Jane Doe', incident_id: id, data: { outcome: 'acknowledged', event_type: 'incident.acknowledged' } });

    // The card and the war room say who answered, and where.
    const room = await h.warRoomReady(id);
    const header = () => h.slack.channel(room.channel_id)!.messages.find((m) => m.ts === room.header_ts)!;
    await h.slack.waitFor(() => JSON.stringify(header().blocks).includes('*Responded*\\nAcknowledged in PagerDuty by *Jane Doe* in'), 5000, 'card shows the PagerDuty responder');
    expect(JSON.stringify(header().blocks)).not.toContain(ACTION.acknowledge);
    await h.slack.waitFor(() => roomLines(room.channel_id).some((t) => t.startsWith(':white_check_mark: *Jane Doe* acknowledged in PagerDuty after') && t.includes('2 pending escalation steps cancelled')), 5000, 'response notice');

    // No later step fires; warroom does not echo an acknowledge to PagerDuty.
    await nothingMoreWithin(ladderSpanMs(h.policy, 'sev1'), 'a step after the PagerDuty acknowledgement');
    expect(smsTo(PHONES.erin, id)).toHaveLength(0);
    expect(smsTo(PHONES.grace, id)).toHaveLength(0);
    const steps = await h.sql`select step_index, status from escalation_steps where incident_id = ${id} and step_index > 0`;
    expect(steps.map((s) => s['status'])).toEqual(['cancelled', 'cancelled']);
    expect(h.pagerduty.events({ action: 'acknowledge', dedupKey: key(id) })).toHaveLength(0);
    expect(h.pagerduty.alerts().get(key(id))?.status).toBe('acknowledged');

    // A redelivery and a later ack (another webhook) change nothing.
    expect((await h.pagerduty.sendWebhook(url(), SECRET, body, { webhookId: sent.webhookId })).status).toBe(200);
    const later = await h.pagerduty.sendWebhook(url(), SECRET, h.pagerduty.webhookEvent(key(id), 'incident.acknowledged', { agent: 'Omar Reyes' }));
    expect(later).toMatchObject({ status: 202, body: { outcome: 'already_answered' } });
    const timeline = await h.command('/incident', 'timeline', { channel: room.channel_id, user: USERS.alice });
    expect(JSON.stringify(timeline.body)).toContain('pagerduty:Jane Doe acknowledged in PagerDuty after');
    expect(JSON.stringify(timeline.body)).toContain(`pagerduty:Jane Doe PagerDuty incident.acknowledged (#${h.pagerduty.alerts().get(key(id))!.number}): acknowledged`);
    const reply = await h.command('/incident', 'ack', { channel: room.channel_id, user: USERS.alice });
    expect(JSON.stringify(reply.body)).toContain(`INC-${id} was already answered by *Jane Doe*`);
    expect(await h.sql`select 1 from audit_trail where incident_id = ${id} and action = 'incident.acknowledged'`).toHaveLength(1);
    await h.command('/incident', 'resolve done', { channel: room.channel_id, user: USERS.bob });
  });

  it('an acknowledgement in Slack and one in PagerDuty at the same moment are one response', async () => {
    const winners: string[] = [];
    for (let round = 1; round <= 3; round++) {
      const id = await declare(`sev2 Both acknowledged ${round}`);
      const room = await h.warRoomReady(id);
      const body = h.pagerduty.actInApp(key(id), 'acknowledge', 'Jane Doe');
      const [click, hook] = await Promise.all([
        h.clickInMessage(room.channel_id, room.header_ts, ACTION.acknowledge, USERS.alice, { value: `ack|${id}` }),
        h.pagerduty.sendWebhook(url(), SECRET, body),
      ]);
      expect(click.status).toBe(200);
      expect(hook.status).toBe(202);
      // The click answers Slack first and acknowledges after: wait for its reply.
      const reply = await h.slack.waitFor(
        () => h.slack.responses().find((r) => r.body?.text?.startsWith(`Acknowledged INC-${id}.`) || r.body?.text?.startsWith(`INC-${id} was already answered`)),
        5000,
        'the click answered',
      );
      const acks = await h.sql`select actor from audit_trail where incident_id = ${id} and action = 'incident.acknowledged'`;
      expect(acks).toHaveLength(1);
      const pdWon = acks[0]!['actor'] === 'pagerduty:Jane Doe';
      winners.push(pdWon ? 'pagerduty' : 'slack');
      expect(hook.body.outcome).toBe(pdWon ? 'acknowledged' : 'already_answered');
      expect(reply.body.text.startsWith(`Acknowledged INC-${id}.`)).toBe(!pdWon);
      const [incident] = await h.sql`select acknowledged_by from incidents where id = ${id}`;
      expect(incident!['acknowledged_by']).toBe(pdWon ? 'pagerduty:Jane Doe' : USERS.alice);
      await h.slack.waitFor(() => roomLines(room.channel_id).some((t) => / acknowledged( in PagerDuty)? after /.test(t)), 5000, 'response notice');
      if (!pdWon) await h.pagerduty.waitFor(() => h.pagerduty.events({ action: 'acknowledge', dedupKey: key(id) }).length === 1, 5000, 'the Slack ack reaching PagerDuty');
    }
    await nothingMoreWithin(ladderSpanMs(h.policy, 'sev2'), 'a second response, notice or step');
    const ids = (await h.sql`select id from incidents where title like 'Both acknowledged %' order by id`).map((r) => Number(r['id']));
    for (const [i, id] of ids.entries()) {
      const room = await h.warRoomReady(id);
      expect(roomLines(room.channel_id).filter((t) => / acknowledged( in PagerDuty)? after /.test(t))).toHaveLength(1);
      expect(smsTo(PHONES.erin, id)).toHaveLength(0);
      expect(h.pagerduty.events({ action: 'acknowledge', dedupKey: key(id) })).toHaveLength(winners[i] === 'slack' ? 1 : 0);
      expect(await h.sql`select 1 from audit_trail where incident_id = ${id} and action = 'incident.acknowledged'`).toHaveLength(1);
    }
  });
});

describe('incident.resolved, escalated and reassigned', () => {
  it('resolved in PagerDuty: the war room is offered Resolve, which resolves only on a permitted click', async () => {
    const id = await declare('sev2 Options quotes stale');
    const room = await h.warRoomReady(id);
    const sent = await h.pagerduty.sendWebhook(url(), SECRET, h.pagerduty.actInApp(key(id), 'resolve', 'Jane Doe'));
    expect(sent).toMatchObject({ status: 202, body: { incident: `INC-${id}`, outcome: 'resolve_offered' } });
    const offer = await h.slack.waitFor(() => h.slack.channel(room.channel_id)!.messages.find((m) => m.text.startsWith(':large_green_circle: *Resolved in PagerDuty* by *Jane Doe*')), 5000, 'the offer');
    expect(offer.text).toContain(`If INC-${id} is over, resolve it here too`);
    expect(JSON.stringify(offer.blocks)).toContain(`"action_id":"${ACTION.resolve}"`);
    // warroom does not resolve by itself.
    await nothingMoreWithin(TIMER_GRACE_MS, 'a resolution nobody asked for');
    expect((await h.sql`select status from incidents where id = ${id}`)[0]!['status']).toBe('open');

    // Alice is neither IC, declarer nor an SRE manager: refused, as with /incident resolve.
    await h.clickInMessage(room.channel_id, offer.ts, ACTION.resolve, USERS.alice, { value: `resolve|${id}`, blockId: `resolve|${id}` });
    await h.slack.waitFor(() => h.slack.responses().some((r) => r.body?.text?.startsWith(':warning: Only') && r.body.text.includes(`INC-${id}`)), 5000, 'refusal');
    expect((await h.sql`select status from incidents where id = ${id}`)[0]!['status']).toBe('open');
    expect(await h.sql`select 1 from audit_trail where incident_id = ${id} and action = 'incident.denied' and actor = ${USERS.alice}`).toHaveLength(1);

    // Bob declared it: his click resolves it, and PagerDuty hears the resolve.
    await h.clickInMessage(room.channel_id, offer.ts, ACTION.resolve, USERS.bob, { value: `resolve|${id}`, blockId: `resolve|${id}` });
    await h.slack.waitFor(() => h.slack.responses().some((r) => r.body?.text === `INC-${id} resolved. Thank you, <@${USERS.bob}>.`), 5000, 'resolved reply');
    const [incident] = await h.sql`select status, resolved_by, resolution from incidents where id = ${id}`;
    expect(incident).toMatchObject({ status: 'resolved', resolved_by: USERS.bob, resolution: 'Resolved in PagerDuty; confirmed in Slack.' });
    await h.pagerduty.waitFor(() => h.pagerduty.events({ action: 'resolve', dedupKey: key(id) }).length === 1, 5000, 'resolve sent');

    // Resolved already: another resolved event is kept, nothing more is offered.
    const again = await h.pagerduty.sendWebhook(url(), SECRET, h.pagerduty.webhookEvent(key(id), 'incident.resolved', { agent: 'Jane Doe' }));
    expect(again.body.outcome).toBe('incident_closed');
    await nothingMoreWithin(TIMER_GRACE_MS, 'a second offer');
    expect(h.slack.channel(room.channel_id)!.messages.filter((m) => m.text.includes('*Resolved in PagerDuty*'))).toHaveLength(1);
  });

  it('escalated and reassigned are posted in the war room with the new assignees; other types are only kept', async () => {
    const id = await declare('sev2 Clearing file late');
    const room = await h.warRoomReady(id);
    const escalated = await h.pagerduty.sendWebhook(url(), SECRET, h.pagerduty.webhookEvent(key(id), 'incident.escalated', { assignees: ['Omar Reyes'], escalationPolicy: 'Trading Platform' }));
    expect(escalated.body.outcome).toBe('posted');
    const reassigned = await h.pagerduty.sendWebhook(url(), SECRET, h.pagerduty.webhookEvent(key(id), 'incident.reassigned', { agent: 'Jane Doe', assignees: ['Priya Shah', 'Omar Reyes'] }));
    expect(reassigned.body.outcome).toBe('posted');
    const pd = h.pagerduty.alerts().get(key(id))!;
    const link = `<https://acme.pagerduty.com/incidents/${pd.incidentId}|PagerDuty #${pd.number}>`;
    await h.slack.waitFor(() => roomLines(room.channel_id).includes(`:arrow_double_up: PagerDuty escalated ${link} to *Omar Reyes* (escalation policy *Trading Platform*).`), 5000, 'escalated line');
    await h.slack.waitFor(() => roomLines(room.channel_id).includes(`:busts_in_silhouette: PagerDuty ${link} reassigned to *Priya Shah*, *Omar Reyes* by *Jane Doe* (escalation policy *Default*).`), 5000, 'reassigned line');

    const priority = await h.pagerduty.sendWebhook(url(), SECRET, h.pagerduty.webhookEvent(key(id), 'incident.priority_updated', { agent: 'Jane Doe' }));
    expect(priority).toMatchObject({ status: 202, body: { incident: `INC-${id}`, outcome: 'ignored' } });
    expect((await rows(priority.webhookId))[0]).toMatchObject({ incident_id: id, outcome: 'ignored' });
    await nothingMoreWithin(TIMER_GRACE_MS, 'a line for an ignored event');
    expect(roomLines(room.channel_id).filter((t) => t.includes('PagerDuty')).length).toBe(2);
    await h.command('/incident', 'resolve done', { channel: room.channel_id, user: USERS.bob });
  });
});
