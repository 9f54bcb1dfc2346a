import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ALERT_POST_COALESCE_MS } from '../../src/app/alerts.js';
import { ACTION } from '../../src/adapters/slack/ids.js';
import { RESOLVED_FROM_ALERTS } from '../../src/adapters/slack/listeners/resolve-action.js';
import { GATE_TOKEN, USERS, useHarness } from '../support/harness.js';
import { nothingMoreWithin, TIMER_GRACE_MS } from '../support/quiet.js';

/**
 * A burst from one Alertmanager group: the first critical alert declares a Sev1 (war room, page),
 * fifty more of the same group join it (no second incident, no second page, a few coalesced
 * posts in the card's thread, the card's counts), and when they have all resolved the war room
 * hears it once, with a Resolve button.
 */
const TOKEN = 'alertmanager-token-for-tests-9ad2f4';
const h = useHarness({
  bot: {
    apiTokens: [
      { name: 'ci', value: GATE_TOKEN, scopes: ['deploy-gate', 'compliance'] },
      { name: 'alertmanager', value: TOKEN, scopes: ['alerts'] },
    ],
  },
});

const ZERO = '0001-01-01T00:00:00Z';
const startsAt = new Date(Date.now() - 60_000).toISOString();

const alert = (i: number, status: 'firing' | 'resolved' = 'firing', alertname = 'NsccCollateralDemand') => ({
  status,
  labels: { alertname, severity: 'critical', service: 'order-routing', instance: `clearing-gw-${i}` },
  annotations: { summary: `Collateral demand over threshold (gateway ${i})` },
  startsAt,
  endsAt: status === 'firing' ? ZERO : new Date().toISOString(),
  generatorURL: `http://prometheus:9090/graph?g0.expr=nscc_collateral_demand&i=${i}`,
  fingerprint: `${alertname.slice(0, 1)}${String(i).padStart(15, '0')}`,
});

const payload = (alerts: ReturnType<typeof alert>[]) => ({
  version: '4',
  groupKey: '{}/{severity="critical"}:{alertname="NsccCollateralDemand"}',
  truncatedAlerts: 0,
  status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
  receiver: 'warroom',
  groupLabels: { alertname: 'NsccCollateralDemand' },
  commonLabels: { alertname: 'NsccCollateralDemand', severity: 'critical', service: 'order-routing' },
  commonAnnotations: {},
  externalURL: 'http://alertmanager:9093',
  alerts,
});

async function send(alerts: ReturnType<typeof alert>[]) {
  const res = await fetch(`${h.bot.url}/api/v1/alerts/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'x-request-id': randomUUID() },
    body: JSON.stringify(payload(alerts)),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

describe('one Alertmanager group, one incident', () => {
  it('declares once, pages once, lists the storm in a few posts, and says when it has all resolved', async () => {
    const first = await send([alert(0)]);
    expect(first).toMatchObject({ status: 202, body: { accepted: 1, outcomes: { declared: 1 } } });
    const id = Number(first.body.incidents[0].slice(4));
    const room = await h.warRoomReady(id);
    const [inc] = await h.sql`select severity, declarer_kind from incidents where id = ${id}`;
    expect(inc).toEqual({ severity: 'sev1', declarer_kind: 'integration' });
    const pages = () => h.pagerduty.events({ action: 'trigger', dedupKey: `warroom-INC-${id}` }).length;
    await h.pagerduty.waitFor(() => pages() === 1, 5000, 'page');

    // Fifty more of the group, in five concurrent deliveries (and one of them delivered twice).
    const batches = [range(1, 11), range(11, 21), range(21, 31), range(31, 41), range(41, 51)].map((ids) => ids.map((i) => alert(i)));
    const answers = await Promise.all([...batches.map(send), send(batches[2]!)]);
    for (const a of answers) expect(a.status).toBe(202);
    const joined = answers.reduce((n, a) => n + (a.body.outcomes.joined ?? 0), 0);
    const dups = answers.reduce((n, a) => n + a.body.duplicates, 0);
    expect({ joined, dups }).toEqual({ joined: 50, dups: 10 });
    for (const a of answers) expect(a.body.incidents).toEqual(a.body.accepted ? [`INC-${id}`] : []);

    // Every alert listed in the card's thread, in a few coalesced posts.
    const card = () => h.slack.channel(room.channel_id)!.messages.find((m) => m.ts === room.header_ts)!;
    const alertPosts = () => card().replies.filter((m) => m.text.startsWith(':rotating_light:'));
    const listed = () => alertPosts().reduce((sum, m) => sum + Number(/\*(\d+) alerts?\*/.exec(m.text)![1]), 0);
    await h.slack.waitFor(() => listed() === 51, 20_000, 'all 51 alerts listed');
    const n = alertPosts().length;
    expect(n).toBeLessThanOrEqual(4);
    expect((await h.sql`select count(*)::int as n from alerts where incident_id = ${id} and posted_at is null`)[0]!['n']).toBe(0);
    expect(h.slack.channel(room.channel_id)!.messages.filter((m) => m.text.startsWith(':rotating_light:'))).toHaveLength(0);
    // The card counts them, updated with each post, not with each alert.
    const alertField = () => JSON.stringify(card().blocks).match(/\*Alerts\*\\n([^"]*)/)?.[1];
    await h.slack.waitFor(() => alertField()?.startsWith('51 firing · 0 resolved'), 10_000, 'the card counts 51 firing');
    const cardUpdates = h.slack.calls('chat.update').filter((c) => c.args['ts'] === room.header_ts).length;
    expect(cardUpdates).toBeLessThanOrEqual(n + 2);

    // Nothing more: one incident from the group, one page, no further posts.
    await nothingMoreWithin(2 * ALERT_POST_COALESCE_MS + TIMER_GRACE_MS, 'a second incident, page or alert post');
    expect(pages()).toBe(1);
    expect((await h.sql`select count(*)::int as n from incidents where declarer_kind = 'integration'`)[0]!['n']).toBe(1);
    expect(alertPosts().length).toBe(n);
    expect(listed()).toBe(51);
    const audited = await h.sql`select count(*)::int as n from audit_trail where action = 'alert.received' and incident_id = ${id}`;
    expect(audited[0]!['n']).toBe(51);

    // All resolve (in two concurrent deliveries): recorded against the incident, the all-clear said once.
    const resolves = [range(0, 26), range(26, 51)].map((ids) => ids.map((i) => alert(i, 'resolved')));
    const done = await Promise.all(resolves.map(send));
    expect(done.reduce((s, a) => s + (a.body.outcomes.resolved ?? 0), 0)).toBe(51);
    const clear = () => h.slack.channel(room.channel_id)!.messages.filter((m) => m.text.includes('All 51 alerts of group'));
    await h.slack.waitFor(() => clear().length === 1, 20_000, 'all-clear line');
    await h.slack.waitFor(() => alertField()?.startsWith('0 firing · 51 resolved'), 10_000, 'the card counts 51 resolved');
    await nothingMoreWithin(ALERT_POST_COALESCE_MS + TIMER_GRACE_MS, 'a second all-clear');
    expect(clear()).toHaveLength(1);
    expect(clear()[0]!.text).toContain(`INC-${id} stays open until someone resolves it`);
    const [after] = await h.sql`select status from incidents where id = ${id}`;
    expect(after!['status']).toBe('open');
    expect(pages()).toBe(1);

    // The all-clear offers Resolve; an SRE manager's click resolves it, saying why.
    expect(JSON.stringify(clear()[0]!.blocks)).toContain(`"value":"resolve|${id}|alerts"`);
    await h.clickInMessage(room.channel_id, clear()[0]!.ts, ACTION.resolve, USERS.erin, { value: `resolve|${id}|alerts`, blockId: `resolve|${id}` });
    await h.slack.waitFor(async () => (await h.sql`select status from incidents where id = ${id}`)[0]!['status'] === 'resolved', 5000, 'resolved by the click');
    const [resolved] = await h.sql`select resolved_by, resolution from incidents where id = ${id}`;
    expect(resolved).toEqual({ resolved_by: USERS.erin, resolution: RESOLVED_FROM_ALERTS });
    await h.pagerduty.waitFor(() => h.pagerduty.events({ action: 'resolve', dedupKey: `warroom-INC-${id}` }).length === 1, 5000, 'resolve sent to PagerDuty');
  });

  it('the first alerts of a new group, delivered concurrently, still open one incident', async () => {
    const before = (await h.sql`select count(*)::int as n from incidents`)[0]!['n'] as number;
    const answers = await Promise.all(range(0, 6).map((i) => send([alert(i, 'firing', 'FixSessionDrops')])));
    const outcomes = answers.map((a) => Object.keys(a.body.outcomes)[0]).sort();
    expect(outcomes).toEqual(['declared', 'joined', 'joined', 'joined', 'joined', 'joined']);
    expect(new Set(answers.map((a) => a.body.incidents[0])).size).toBe(1);
    expect((await h.sql`select count(*)::int as n from incidents`)[0]!['n']).toBe(before + 1);
  });
});
