import { describe, expect, it } from 'vitest';
import { ACTION } from '../../src/adapters/slack/ids.js';
import { GATE_TOKEN, useHarness, USERS } from '../support/harness.js';
import { atET, nextPlainTradingDay } from '../support/instants.js';
import { ladderSpanMs, nothingMoreWithin } from '../support/quiet.js';
import { shortPolicyYaml } from '../support/short-policy.js';

/**
 * The morning of 28 January 2021, replayed: at 06:00 ET, pre-market, Datadog's "NSCC collateral
 * demand" monitor triggers; the default policy's route declares a Sev1 on clearing; the war room
 * opens, PagerDuty is paged and the SMS ladder starts as for a typed Sev1; the on-call engineer
 * acknowledges in the PagerDuty app, and warroom's ladder stops.
 *
 * The bot's clock runs from 06:00 ET on the next plain trading day after the real now (never a
 * fixed date; test/README.md, "Time"): the timer queue counts on that clock, so the ladder's
 * steps (seconds apart in the short policy) fire during the test, as they would that morning.
 */
const TOKEN = 'datadog-webhook-token-for-tests-0600';
const SECRET = 'pd-webhook-secret-for-tests-gme-2021';
const h = useHarness({
  // Sev1's later steps at 5 s and 8 s: room enough to acknowledge after the first step, even on a busy machine.
  policyYaml: shortPolicyYaml((p) => {
    p.severities.sev1.respond_within = '10s';
    p.severities.sev1.escalation[1].after = '5s';
    p.severities.sev1.escalation[2].after = '8s';
  }),
  env: { PAGERDUTY_WEBHOOK_SECRET: SECRET },
  bot: {
    apiTokens: [
      { name: 'ci', value: GATE_TOKEN, scopes: ['deploy-gate', 'compliance'] },
      { name: 'datadog', value: TOKEN, scopes: ['alerts'] },
    ],
  },
});

const PHONES = { heidi: '+12125550108', ivan: '+12125550109', erin: '+12125550105', grace: '+12125550107' };
const smsTo = (phone: string, id: number) => h.twilio.messages().filter((m) => m.to === phone && m.body.includes(`INC-${id}:`));

describe('the GameStop morning', () => {
  it('a Datadog monitor at 06:00 ET pre-market declares a Sev1, pages, texts; an ack in PagerDuty stops the ladder', async () => {
    const day = nextPlainTradingDay();
    const six = atET(day, '06:00');
    h.clock.run(six.toJSDate());
    try {
      // Datadog's webhook, rendered from the docs/alerts.md template.
      const eventId = '7716548234011234567';
      const link = `https://app.datadoghq.com/event/jump_to?event_id=${eventId}`;
      const body = {
        id: eventId,
        alert_id: '48151623',
        alert_cycle_key: '7716548233999999999',
        transition: 'Triggered',
        priority: 'P1',
        alert_type: 'error',
        scope: '',
        title: '[P1] [Triggered] NSCC collateral demand',
        message: '%%%\nNSCC collateral demand is over the clearing deposit limit.\n@webhook-warroom\n%%%',
        tags: 'monitor, service:clearing, alert:nscc-collateral, team:clearing-ops',
        hostname: '',
        link,
        date: String(six.toMillis()),
        last_updated: String(six.toMillis()),
        org_id: '11023',
      };
      const res = await fetch(`${h.bot.url}/api/v1/alerts/datadog`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(202);
      const answer = (await res.json()) as { outcomes: Record<string, number>; incidents: string[] };
      expect(answer.outcomes).toEqual({ declared: 1 });
      const id = Number(answer.incidents[0]!.slice(4));
      const [inc] = await h.sql`select severity, service, declarer_name, declarer_link, declared_at from incidents where id = ${id}`;
      expect(inc).toMatchObject({ severity: 'sev1', service: 'clearing', declarer_name: 'datadog — NSCC collateral demand', declarer_link: link });
      expect((inc!['declared_at'] as Date).getTime() - six.toMillis()).toBeGreaterThanOrEqual(0);

      // The war room; its card names the monitor with its link and the pre-market declaration time.
      const room = await h.warRoomReady(id);
      const card = () => JSON.stringify(h.slack.channel(room.channel_id)!.messages.find((m) => m.ts === room.header_ts)!.blocks);
      expect(card()).toContain(`*Declared by*\\n<${link}|datadog — NSCC collateral demand>, ${six.toFormat('ccc d LLL')} 06:00 ET`);

      // Paged (Events API v2 trigger for warroom-INC-n) and the first SMS step, as for a typed Sev1.
      const key = `warroom-INC-${id}`;
      await h.pagerduty.waitFor(() => h.pagerduty.events({ action: 'trigger', dedupKey: key, status: 202 }).length === 1, 5000, 'the page');
      await h.twilio.waitFor(() => smsTo(PHONES.heidi, id).length === 1 && smsTo(PHONES.ivan, id).length === 1, 5000, 'executives texted');
      // Sev1 is staffed pre-market: nothing is deferred to a later session.
      expect(h.slack.channel(room.channel_id)!.messages.some((m) => m.text.startsWith(':zzz:'))).toBe(false);
      // Where the bot names the session: the deploy gate, frozen by the Sev1 in the pre-market.
      const gate = await h.api('/api/v1/deploy-window?type=emergency&service=clearing');
      expect(gate).toMatchObject({ status: 423, body: { session: 'pre-market', allowed: false, freeze: { incident: `INC-${id}`, severity: 'sev1' } } });

      // The on-call engineer acknowledges in the PagerDuty app: PagerDuty's webhook reaches warroom.
      const sent = await h.pagerduty.sendWebhook(`${h.bot.url}/api/v1/alerts/pagerduty`, SECRET, h.pagerduty.actInApp(key, 'acknowledge', 'Jane Doe'));
      expect(sent).toMatchObject({ status: 202, body: { incident: `INC-${id}`, outcome: 'acknowledged' } });
      await h.slack.waitFor(() => card().includes('*Responded*\\nAcknowledged in PagerDuty by *Jane Doe* in'), 5000, 'card shows the PagerDuty ack');
      expect(card()).not.toContain(ACTION.acknowledge);

      // The ladder has stopped: neither the SRE managers' (5 s) nor senior leadership's (8 s) SMS comes, nor another page.
      await nothingMoreWithin(ladderSpanMs(h.policy, 'sev1'), 'a step after the PagerDuty acknowledgement');
      expect(smsTo(PHONES.erin, id)).toHaveLength(0);
      expect(smsTo(PHONES.grace, id)).toHaveLength(0);
      expect(smsTo(PHONES.heidi, id)).toHaveLength(1);
      expect(h.pagerduty.events({ action: 'trigger', dedupKey: key })).toHaveLength(1);
      expect(h.pagerduty.events({ action: 'acknowledge', dedupKey: key })).toHaveLength(0);
      const steps = await h.sql`select step_index, status from escalation_steps where incident_id = ${id} order by step_index, id`;
      expect(steps.map((s) => [s['step_index'], s['status']])).toEqual([
        [0, 'sent'],
        [1, 'cancelled'],
        [2, 'cancelled'],
      ]);
      const [ack] = await h.sql`select actor, data from audit_trail where incident_id = ${id} and action = 'incident.acknowledged'`;
      expect(ack).toMatchObject({ actor: 'pagerduty:Jane Doe', data: { how: 'acknowledged in PagerDuty', steps_stopped: 2 } });
      await h.command('/incident', 'resolve collateral posted', { channel: room.channel_id, user: USERS.bob });
    } finally {
      h.clock.set(null);
    }
  });
});
