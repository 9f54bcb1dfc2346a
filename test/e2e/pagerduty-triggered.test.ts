import { describe, expect, it } from 'vitest';
import { ACTION } from '../../src/adapters/slack/ids.js';
import { useHarness } from '../support/harness.js';
import { ladderSpanMs, nothingMoreWithin } from '../support/quiet.js';
import { shortPolicyYaml } from '../support/short-policy.js';

/**
 * Declaring from PagerDuty: an incident PagerDuty opened itself (another integration's alert, a
 * responder's manual incident) arrives as `incident.triggered`. A route that names the source
 * `pagerduty` and matches its service declares in warroom; PagerDuty keeps paging for it (warroom
 * does not page a second time), and its acknowledgement and resolve act on the warroom incident.
 */
const SECRET = 'pd-webhook-secret-for-triggered-5b1e';
const h = useHarness({
  policyYaml: shortPolicyYaml((p) => {
    // Room for the acknowledgement to land before the Sev2's SMS step.
    p.severities.sev2.respond_within = '6s';
    p.severities.sev2.escalation[1].after = '6s';
    p.alerts.routes.unshift({ name: 'pd-payments', match: { source: ['pagerduty'], labels: { service: { equals: 'Payments API' } } }, action: 'declare', severity: 'sev2', service: 'payments', group_key: '{source}/{service_id}/{alertname}' });
  }),
  env: { PAGERDUTY_WEBHOOK_SECRET: SECRET },
});
const url = () => `${h.bot.url}/api/v1/alerts/pagerduty`;
const ERIN = '+12125550105';

describe('incident.triggered from PagerDuty', () => {
  it('a matching route declares; no second page; the ack in PagerDuty stops the ladder; its resolve offers Resolve', async () => {
    const pdKey = 'ach-monitor-7f3a9c';
    const people = { service: 'Payments API', title: 'ACH return file rejected by the Fed', priority: 'P2' };
    const sent = await h.pagerduty.sendWebhook(url(), SECRET, h.pagerduty.webhookEvent(pdKey, 'incident.triggered', people));
    expect(sent).toMatchObject({ status: 202, body: { event_type: 'incident.triggered', outcome: 'routed' } });
    const id = Number(String(sent.body.incident).slice('INC-'.length));
    const [inc] = await h.sql`select severity, service, title, declarer_kind, declared_by, declarer_link from incidents where id = ${id}`;
    const pdIncident = h.pagerduty.alerts().get(pdKey)!.incidentId;
    expect(inc).toEqual({
      severity: 'sev2',
      service: 'payments',
      title: 'ACH return file rejected by the Fed',
      declarer_kind: 'integration',
      declared_by: 'pagerduty',
      declarer_link: `https://acme.pagerduty.com/incidents/${pdIncident}`,
    });
    const [alert] = await h.sql`select source, dedup_key, severity, route, action, labels from alerts where incident_id = ${id}`;
    expect(alert).toMatchObject({ source: 'pagerduty', dedup_key: pdIncident, severity: 'error', route: 'pd-payments', action: 'declared', labels: { service: 'Payments API', priority: 'P2', urgency: 'high' } });

    // The page step ran without paging PagerDuty again: PagerDuty already pages for its incident.
    await h.slack.waitFor(async () => (await h.sql`select status from escalation_steps where incident_id = ${id} and step_index = 0`)[0]?.['status'] === 'sent', 10_000, 'first step done');
    expect(h.pagerduty.events({ dedupKey: `warroom-INC-${id}` })).toHaveLength(0);

    // The on-call acknowledges in the PagerDuty app: the warroom ladder stops, the card says so.
    const ack = await h.pagerduty.sendWebhook(url(), SECRET, h.pagerduty.webhookEvent(pdKey, 'incident.acknowledged', { ...people, agent: 'Jane Doe' }));
    expect(ack.body).toMatchObject({ incident: `INC-${id}`, outcome: 'acknowledged' });
    const room = await h.warRoomReady(id);
    const card = () => JSON.stringify(h.slack.channel(room.channel_id)!.messages.find((m) => m.ts === room.header_ts)!.blocks);
    await h.slack.waitFor(() => card().includes('*Responded*\\nAcknowledged in PagerDuty by *Jane Doe* in'), 10_000, 'card shows the PagerDuty responder');
    expect(card()).toContain(`https://acme.pagerduty.com/incidents/${pdIncident}`);
    await nothingMoreWithin(ladderSpanMs(h.policy, 'sev2'), 'a step after the PagerDuty acknowledgement');
    expect(h.twilio.messages().filter((m) => m.to === ERIN && m.body.includes(`INC-${id}:`))).toHaveLength(0);
    expect(h.pagerduty.events({ dedupKey: `warroom-INC-${id}` })).toHaveLength(0);

    // A redelivered trigger (a new webhook id) is the same alert: nothing more is declared.
    const again = await h.pagerduty.sendWebhook(url(), SECRET, h.pagerduty.webhookEvent(pdKey, 'incident.triggered', people));
    expect(again.body).toMatchObject({ outcome: 'ignored' });
    expect((await h.sql`select count(*)::int as n from incidents`)[0]!['n']).toBe(1);

    // Resolved in PagerDuty: the alert resolves, the group's all-clear offers Resolve; nothing resolves by itself.
    const resolved = await h.pagerduty.sendWebhook(url(), SECRET, h.pagerduty.webhookEvent(pdKey, 'incident.resolved', { ...people, agent: 'Jane Doe' }));
    expect(resolved.body).toMatchObject({ incident: `INC-${id}`, outcome: 'routed' });
    const offer = await h.slack.waitFor(() => h.slack.channel(room.channel_id)!.messages.find((m) => m.text.includes('All 1 alert of group')), 10_000, 'all-clear');
    expect(JSON.stringify(offer.blocks)).toContain(`"action_id":"${ACTION.resolve}"`);
    expect((await h.sql`select status from incidents where id = ${id}`)[0]!['status']).toBe('open');
  });

  it('no route names the PagerDuty service, or the incident is warroom\'s own page: kept, nothing declared', async () => {
    const before = (await h.sql`select count(*)::int as n from incidents`)[0]!['n'];
    const other = await h.pagerduty.sendWebhook(url(), SECRET, h.pagerduty.webhookEvent('trading-5c1d', 'incident.triggered', { service: 'Trading Platform', title: 'FIX gateway flapping' }));
    expect(other.body).toMatchObject({ outcome: 'not_ours', incident: null });
    // warroom's own page comes back as a trigger with its key: never a loop.
    const own = await h.pagerduty.sendWebhook(url(), SECRET, h.pagerduty.webhookEvent('warroom-INC-1', 'incident.triggered', { service: 'Payments API', title: 'Echo' }));
    expect(own.body).toMatchObject({ outcome: 'ignored', incident: 'INC-1' });
    expect((await h.sql`select count(*)::int as n from incidents`)[0]!['n']).toBe(before);
    expect((await h.sql`select count(*)::int as n from alerts where dedup_key <> ${h.pagerduty.alerts().get('ach-monitor-7f3a9c')!.incidentId}`)[0]!['n']).toBe(0);
  });
});
