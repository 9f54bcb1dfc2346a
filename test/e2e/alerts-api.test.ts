import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { DEFAULT_POLICY_PATH } from '../../src/config/policy-schema.js';
import { ALERT_POST_COALESCE_MS } from '../../src/app/alerts.js';
import { GATE_ONLY_TOKEN, GATE_TOKEN, USERS, useHarness } from '../support/harness.js';
import { nothingMoreWithin, TIMER_GRACE_MS } from '../support/quiet.js';

/**
 * The inbound alert endpoints over real HTTP, with Alertmanager's webhook payload (version 4) as
 * notify/webhook/webhook.go sends it and the generic schema of docs/alerts.md.
 */
const ALERTS_TOKEN = 'alertmanager-token-for-tests-51c7e0';
/** The default policy, with responders on the order-routing route (dave, and the risk group: frank)… */
const policy = parse(readFileSync(DEFAULT_POLICY_PATH, 'utf8'));
policy.alerts.routes[0].responders = { users: [USERS.dave], groups: ['risk'] };
// …and, first, a route that resolves by itself.
policy.alerts.routes.unshift({ name: 'batch-auto', match: { source: ['auto-batch'] }, action: 'declare', severity: 'sev3', service: 'clearing', auto_resolve: true });
const h = useHarness({
  policyYaml: stringify(policy),
  bot: {
    apiTokens: [
      { name: 'ci', value: GATE_TOKEN, scopes: ['deploy-gate', 'compliance'] },
      { name: 'gate-only', value: GATE_ONLY_TOKEN, scopes: ['deploy-gate'] },
      { name: 'alertmanager', value: ALERTS_TOKEN, scopes: ['alerts'] },
    ],
  },
});

async function postAlert(path: string, body: unknown, token: string | null = ALERTS_TOKEN, raw?: string) {
  const res = await fetch(`${h.bot.url}/api/v1/alerts/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: raw ?? JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const ZERO = '0001-01-01T00:00:00Z';
/** Minutes ago, from the real clock (no fixed dates). */
const ago = (min: number) => new Date(Date.now() - min * 60_000).toISOString();

interface AmAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

function amAlert(alertname: string, over: Partial<AmAlert> & { instance?: string } = {}): AmAlert {
  const { instance = 'or-1:9100', ...rest } = over;
  return {
    status: 'firing',
    labels: { alertname, severity: 'critical', service: 'order-routing', instance },
    annotations: { summary: `${alertname} on ${instance}`, runbook_url: 'https://runbooks.example/or' },
    startsAt: ago(1),
    endsAt: ZERO,
    generatorURL: `http://prometheus:9090/graph?g0.expr=${alertname}&g0.tab=1`,
    fingerprint: randomUUID().replace(/-/g, '').slice(0, 16),
    ...rest,
  };
}

function amPayload(alerts: AmAlert[], over: Record<string, unknown> = {}) {
  const common = alerts[0]!.labels;
  return {
    version: '4',
    groupKey: `{}:{alertname="${common['alertname']}"}`,
    truncatedAlerts: 0,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: 'warroom',
    groupLabels: { alertname: common['alertname'] },
    commonLabels: { alertname: common['alertname'], severity: common['severity'], service: common['service'] },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts,
    ...over,
  };
}

const incidentsCount = async () => (await h.sql`select count(*)::int as n from incidents`)[0]!['n'] as number;

describe('POST /api/v1/alerts/alertmanager', () => {
  it('a critical order-routing alert declares a Sev1 as the integration, names the monitor with its link, records and audits the alert', async () => {
    const a = amAlert('OrderRouterDown');
    const r = await postAlert('alertmanager', amPayload([a]));
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ accepted: 1, duplicates: 0, truncated: 0, outcomes: { declared: 1 } });
    const id = Number(r.body.incidents[0].slice(4));
    const [inc] = await h.sql`select severity, service, title, declared_by, declarer_kind, declarer_name, declarer_link from incidents where id = ${id}`;
    expect(inc).toEqual({
      severity: 'sev1',
      service: 'order-routing',
      title: 'OrderRouterDown: OrderRouterDown on or-1:9100',
      declared_by: 'alertmanager',
      declarer_kind: 'integration',
      declarer_name: 'alertmanager — OrderRouterDown',
      declarer_link: a.generatorURL,
    });
    const [row] = await h.sql`select source, dedup_key, status, route, action, group_key, incident_id, labels, raw from alerts where dedup_key = ${a.fingerprint}`;
    expect(row).toMatchObject({ source: 'alertmanager', status: 'firing', route: 'order-routing-critical', action: 'declared', group_key: 'order-routing-critical:alertmanager/OrderRouterDown/order-routing', incident_id: id });
    expect(row!['raw']).toMatchObject({ alert: { fingerprint: a.fingerprint }, envelope: { receiver: 'warroom', version: '4' } });
    const [audit] = await h.sql`select actor, data from audit_trail where action = 'alert.received' and subject = ${`alertmanager:${a.fingerprint}`}`;
    expect(audit).toMatchObject({ actor: 'token:alertmanager', data: { route: 'order-routing-critical', outcome: 'declared', status: 'firing' } });

    // The card names the monitor, linked; the route's responders are invited; the page goes out as for a typed declaration.
    const room = await h.warRoomReady(id);
    await h.slack.waitFor(() => [USERS.dave, USERS.frank].every((u) => h.slack.channel(room.channel_id)!.members.has(u)), 10_000, 'route responders invited');
    const header = h.slack.channel(room.channel_id)!.messages.find((m) => m.ts === room.header_ts)!;
    expect(JSON.stringify(header.blocks)).toContain(`<${a.generatorURL.replace(/&/g, '&amp;')}|alertmanager — OrderRouterDown>`);
    await h.pagerduty.waitFor(() => h.pagerduty.events({ action: 'trigger', dedupKey: `warroom-INC-${id}`, status: 202 }).length === 1, 5000, 'page');
    // The alert is listed in the war room.
    const card = () => h.slack.channel(room.channel_id)!.messages.find((m) => m.ts === room.header_ts)!;
    await h.slack.waitFor(() => card().replies.some((m) => m.text.includes('*1 alert* (1 firing, 0 resolved)')), 10_000, 'alert post in the card\'s thread');
    await h.slack.waitFor(() => JSON.stringify(card().blocks).includes('*Alerts*\\n1 firing · 0 resolved'), 10_000, 'the card counts it');

    // A resend (Alertmanager's retry or repeat_interval) is a no-op with 202.
    const again = await postAlert('alertmanager', amPayload([a]));
    expect(again).toMatchObject({ status: 202, body: { accepted: 0, duplicates: 1 } });
    expect((await h.sql`select count(*)::int as n from alerts where dedup_key = ${a.fingerprint}`)[0]!['n']).toBe(1);

    // Resolved: recorded against the incident; the group's only alert resolved → the all-clear line.
    const resolved = await postAlert('alertmanager', amPayload([{ ...a, status: 'resolved', endsAt: new Date().toISOString() }]));
    expect(resolved).toMatchObject({ status: 202, body: { accepted: 1, outcomes: { resolved: 1 }, incidents: [`INC-${id}`] } });
    await h.slack.waitFor(() => h.slack.channel(room.channel_id)!.messages.some((m) => m.text.includes('All 1 alert of group')), 10_000, 'all clear');
    const [inc2] = await h.sql`select status from incidents where id = ${id}`;
    expect(inc2!['status']).toBe('open'); // not resolved by itself

    // The timeline lists the alerts.
    const tl = await h.command('/incident', 'timeline', { channel: room.channel_id, user: USERS.erin });
    expect(tl.body.text).toContain('token:alertmanager alert firing (declared, route order-routing-critical): OrderRouterDown: OrderRouterDown on or-1:9100');
    expect(tl.body.text).toContain('alert resolved (resolved, route order-routing-critical)');

    // Once the incident is resolved, the group's next alert is routed afresh: a new incident.
    const done = await h.command('/incident', 'resolve order router restarted', { user: USERS.erin, channel: room.channel_id });
    expect(done.status).toBe(200);
    await h.slack.waitFor(async () => (await h.sql`select status from incidents where id = ${id}`)[0]!['status'] === 'resolved', 5000, 'resolved');
    const next = await postAlert('alertmanager', amPayload([amAlert('OrderRouterDown', { instance: 'or-2:9100' })]));
    expect(next.body).toMatchObject({ accepted: 1, outcomes: { declared: 1 } });
    expect(next.body.incidents).not.toEqual([`INC-${id}`]);
  });

  it('several alerts of one group in one payload, with truncatedAlerts, open one incident', async () => {
    const before = await incidentsCount();
    // As Alertmanager writes them: nanosecond times with an offset, a relative generatorURL.
    const alerts = [
      amAlert('FixGatewayLatency', { instance: 'fix-1' }),
      amAlert('FixGatewayLatency', { instance: 'fix-2', startsAt: ago(2).replace('Z', '123456+00:00'), generatorURL: '/graph?g0.expr=fix_latency' }),
      amAlert('FixGatewayLatency', { instance: 'fix-3' }),
    ];
    const r = await postAlert('alertmanager', amPayload(alerts, { truncatedAlerts: 7 }));
    expect(r).toMatchObject({ status: 202, body: { accepted: 3, duplicates: 0, truncated: 7, outcomes: { declared: 1, joined: 2 } } });
    expect(r.body.incidents).toHaveLength(1);
    expect(await incidentsCount()).toBe(before + 1);
    const [relative] = await h.sql`select link, starts_at from alerts where dedup_key = ${alerts[1]!.fingerprint}`;
    expect(relative!['link']).toBe('http://alertmanager:9093'); // a relative generatorURL falls back to externalURL
    expect((relative!['starts_at'] as Date).toISOString()).toBe(new Date(alerts[1]!.startsAt).toISOString());
    const [t] = await h.sql`select actor, data from audit_trail where action = 'alert.truncated' order by ord desc limit 1`;
    expect(t).toMatchObject({ actor: 'token:alertmanager', data: { truncated: 7, received: 3 } });
  });

  it('drops what the default route drops: recorded and audited, shown nowhere', async () => {
    const before = await incidentsCount();
    const a = amAlert('DiskFilling', { labels: { alertname: 'DiskFilling', severity: 'warning', service: 'web-trading' } });
    const r = await postAlert('alertmanager', amPayload([a]));
    expect(r).toMatchObject({ status: 202, body: { accepted: 1, outcomes: { dropped: 1 }, incidents: [] } });
    const [row] = await h.sql`select route, action, incident_id from alerts where dedup_key = ${a.fingerprint}`;
    expect(row).toEqual({ route: 'default', action: 'dropped', incident_id: null });
    expect(await incidentsCount()).toBe(before);
    // Shown nowhere: no Slack call ever names it, also once an alert post would have gone out.
    await nothingMoreWithin(ALERT_POST_COALESCE_MS + TIMER_GRACE_MS, 'a post about a dropped alert');
    expect(JSON.stringify(h.slack.calls().map((c) => c.args))).not.toContain('DiskFilling');
    // Counted.
    const metrics = await (await fetch(`${h.bot.url}/metrics`)).text();
    expect(metrics).toMatch(/warroom_alerts_total\{sender="alertmanager",outcome="dropped"\} [1-9]/);
  });

  it('attach: an error of market-data joins the open market-data incident, and is dropped when there is none', async () => {
    const err = (instance: string) => amAlert('QuoteFeedGaps', { labels: { alertname: 'QuoteFeedGaps', severity: 'error', service: 'market-data', instance } });
    const first = await postAlert('alertmanager', amPayload([err('md-1')]));
    expect(first.body).toMatchObject({ outcomes: { dropped: 1 }, incidents: [] });
    const { incident } = await h.bot.declareIncident({ requestKey: randomUUID(), severity: 'sev3', title: 'Quotes stale', service: 'market-data', declarer: { kind: 'integration', source: 'test', name: 'test' } });
    const second = await postAlert('alertmanager', amPayload([err('md-2')]));
    expect(second.body).toMatchObject({ outcomes: { attached: 1 }, incidents: [`INC-${incident.id}`] });
  });

  it('401 without a token, with a wrong one, and with a token that lacks the alerts scope (CI, deploy gate)', async () => {
    const body = amPayload([amAlert('X')]);
    for (const token of [null, 'wrong-token-0000000000', GATE_TOKEN, GATE_ONLY_TOKEN]) {
      const r = await postAlert('alertmanager', body, token);
      expect(r.status, String(token)).toBe(401);
      expect(r.body.error).toBe('unauthorized');
    }
    expect((await h.sql`select count(*)::int as n from alerts where labels->>'alertname' = 'X'`)[0]!['n']).toBe(0);
  });

  it('400 with the JSON path of the problem', async () => {
    const ok = amPayload([amAlert('Y'), amAlert('Y')]);
    const cases: Array<[unknown, string]> = [
      [{ ...ok, version: '3' }, '$.version'],
      [{ ...ok, alerts: [ok.alerts[0], { ...ok.alerts[1], startsAt: 'yesterday' }] }, '$.alerts[1].startsAt'],
      [{ ...ok, alerts: [{ ...ok.alerts[0], fingerprint: undefined }] }, '$.alerts[0].fingerprint'],
      [{ ...ok, alerts: [{ ...ok.alerts[0], labels: { alertname: 3 } }] }, '$.alerts[0].labels.alertname'],
      [{ ...ok, status: 'pending' }, '$.status'],
      [[], '$'],
    ];
    for (const [body, path] of cases) {
      const r = await postAlert('alertmanager', body);
      expect(r.status, path).toBe(400);
      expect(r.body).toMatchObject({ error: 'bad_request', path });
    }
    const notJson = await postAlert('alertmanager', null, ALERTS_TOKEN, '{"version": "4",');
    expect(notJson).toMatchObject({ status: 400, body: { path: '$' } });
  });

  it('413 over 1 MiB, 202 just under', async () => {
    const big = amPayload([amAlert('Big', { annotations: { summary: 'x'.repeat(1024 * 1024) } })]);
    const r = await postAlert('alertmanager', big);
    expect(r.status).toBe(413);
    expect(r.body.error).toBe('too_large');
    const fits = amPayload([amAlert('Big', { labels: { alertname: 'Big', severity: 'info' }, annotations: { summary: 'x'.repeat(1000 * 1000) } })]);
    expect((await postAlert('alertmanager', fits)).status).toBe(202);
  });
});

describe('POST /api/v1/alerts/generic', () => {
  const generic = (over: Record<string, unknown> = {}) => ({
    source: 'nightly-batch',
    dedup_key: `recon-${randomUUID()}`,
    status: 'firing',
    title: 'Reconciliation with the clearing firm failed',
    severity: 'sev1',
    service: 'clearing',
    labels: { job: 'recon', alertname: 'ReconFailed' },
    link: 'https://ci.example/jobs/recon/812',
    ...over,
  });

  it('declares per the route (critical → sev2), dedupes a resend, records the resolve against the incident', async () => {
    const g = generic();
    const r = await postAlert('generic', g);
    expect(r).toMatchObject({ status: 202, body: { accepted: 1, outcomes: { declared: 1 } } });
    const id = Number(r.body.incidents[0].slice(4));
    const [inc] = await h.sql`select severity, service, declared_by, declarer_name, declarer_link from incidents where id = ${id}`;
    expect(inc).toEqual({ severity: 'sev2', service: 'clearing', declared_by: 'nightly-batch', declarer_name: 'nightly-batch — ReconFailed', declarer_link: g.link });
    expect(await postAlert('generic', g)).toMatchObject({ status: 202, body: { accepted: 0, duplicates: 1 } });
    const res = await postAlert('generic', { ...g, status: 'resolved' });
    expect(res).toMatchObject({ status: 202, body: { accepted: 1, outcomes: { resolved: 1 }, incidents: [`INC-${id}`] } });
    const rows = await h.sql`select status, incident_id from alerts where dedup_key = ${g.dedup_key} order by id`;
    expect(rows).toEqual([{ status: 'firing', incident_id: id }, { status: 'resolved', incident_id: id }]);
  });

  it('auto_resolve: true resolves the incident, as the integration, once all of its group has resolved', async () => {
    const keys = ['a', 'b'].map((k) => `job-${k}-${randomUUID()}`);
    const first = await postAlert('generic', generic({ source: 'auto-batch', dedup_key: keys[0] }));
    expect(first.body.outcomes).toEqual({ declared: 1 });
    const id = Number(first.body.incidents[0].slice(4));
    expect((await postAlert('generic', generic({ source: 'auto-batch', dedup_key: keys[1] }))).body.outcomes).toEqual({ joined: 1 });
    const room = await h.warRoomReady(id);
    // One of two resolved: nothing to resolve yet (decided in the 202's transaction).
    await postAlert('generic', generic({ source: 'auto-batch', dedup_key: keys[0], status: 'resolved' }));
    const autoJobs = async () => (await h.sql`select count(*)::int as n from work_items where kind = 'alerts.auto-resolve' and (payload->>'incidentId')::int = ${id}`)[0]!['n'];
    expect(await autoJobs()).toBe(0);
    await postAlert('generic', generic({ source: 'auto-batch', dedup_key: keys[1], status: 'resolved' }));
    expect(await autoJobs()).toBe(1);
    await h.slack.waitFor(async () => (await h.sql`select status from incidents where id = ${id}`)[0]!['status'] === 'resolved', 10_000, 'auto-resolved');
    const [row] = await h.sql`select resolved_by, resolution from incidents where id = ${id}`;
    expect(row).toEqual({ resolved_by: 'integration:auto-batch', resolution: 'All 2 alerts of group batch-auto:auto-batch/ReconFailed/clearing resolved (auto_resolve).' });
    const [audit] = await h.sql`select actor, data from audit_trail where incident_id = ${id} and action = 'incident.resolved'`;
    expect(audit).toMatchObject({ actor: 'integration:auto-batch', data: { auto_resolve: true } });
    await h.slack.waitFor(() => h.slack.channel(room.channel_id)!.messages.some((m) => m.text.includes('*Resolved* automatically: all 2 alerts of group')), 10_000, 'war room told');
    await h.slack.waitFor(() => JSON.stringify(h.slack.channel(room.channel_id)!.messages.find((m) => m.ts === room.header_ts)!.blocks).includes('*Resolved* by integration:auto-batch'), 10_000, 'card');
  });

  it('severity words: critical/error/warning/info or sev1–sev4', async () => {
    const r = await postAlert('generic', generic({ severity: 'warning' }));
    expect(r.body.outcomes).toEqual({ dropped: 1 });
  });

  it('400 with the path; 401 for a CI token', async () => {
    const cases: Array<[unknown, string]> = [
      [generic({ severity: 'urgent' }), '$.severity'],
      [generic({ status: 'open' }), '$.status'],
      [generic({ source: 'Bad Source' }), '$.source'],
      [generic({ link: 'javascript:alert(1)' }), '$.link'],
      [generic({ labels: { n: 1 } }), '$.labels.n'],
      [{ ...generic(), dedup_key: undefined }, '$.dedup_key'],
    ];
    for (const [body, path] of cases) {
      const r = await postAlert('generic', body);
      expect(r.status, path).toBe(400);
      expect(r.body.path).toBe(path);
    }
    expect((await postAlert('generic', generic(), GATE_TOKEN)).status).toBe(401);
  });
});
