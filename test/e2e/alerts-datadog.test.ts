import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_ALERT_BODY } from '../../src/http/alerts-api.js';
import { GATE_TOKEN, useHarness } from '../support/harness.js';
import { nothingMoreWithin, TIMER_GRACE_MS } from '../support/quiet.js';
import { ALERT_POST_COALESCE_MS, ALERT_POST_GAP_MS } from '../../src/app/alerts.js';

/**
 * `POST /api/v1/alerts/datadog` over real HTTP, with the bodies Datadog's Webhooks integration
 * renders from the payload template of docs/alerts.md: every variable substituted as text inside
 * its JSON string (so `$DATE` is a string, and `$EVENT_MSG` arrives with its quotes and new lines
 * escaped). The default policy routes a P1 monitor tagged `alert:nscc-collateral` to a Sev1.
 */
const TOKEN = 'datadog-webhook-token-for-tests-3e8a';
const h = useHarness({
  bot: {
    apiTokens: [
      { name: 'ci', value: GATE_TOKEN, scopes: ['deploy-gate', 'compliance'] },
      { name: 'datadog', value: TOKEN, scopes: ['alerts'] },
    ],
  },
});

type Transition = 'Triggered' | 'Re-Triggered' | 'Recovered' | 'Warn' | 'Re-Warn' | 'No Data' | 'Re-No Data' | 'Renotify';
const digits = (n: number) => Array.from(randomBytes(n), (b) => String(b % 10)).join('');

/** One monitor: its id, name and tags; `notify` renders the template for one of its notifications. */
function monitor(name: string, opts: { priority?: string; tags?: string } = {}) {
  const alertId = `45${digits(6)}`;
  const tags = opts.tags ?? 'monitor, service:clearing, alert:nscc-collateral, env:prod, team:clearing-ops';
  return {
    alertId,
    name,
    notify(transition: Transition, cycle: string, o: { scope?: string; priority?: string; alertType?: string } = {}) {
      const scope = o.scope ?? '';
      const priority = o.priority ?? opts.priority ?? 'P1';
      const on = scope ? ` on {${scope}}` : '';
      const eventId = digits(19);
      return {
        id: eventId,
        alert_id: alertId,
        alert_cycle_key: cycle,
        transition,
        priority,
        alert_type: o.alertType ?? (transition === 'Recovered' ? 'success' : transition.endsWith('Warn') ? 'warning' : 'error'),
        scope,
        title: `[${priority}] [${transition}${on}] ${name}`,
        message: `%%%\n@webhook-warroom Collateral demand is "over" the limit${scope ? ` for ${scope}` : ''}.\n\nRunbook: https://runbooks.example/nscc\n%%%`,
        tags: scope ? `${tags}, ${scope}` : tags,
        hostname: '$HOSTNAME',
        link: `https://app.datadoghq.com/event/jump_to?event_id=${eventId}`,
        date: String(Date.now()),
        last_updated: String(Date.now()),
        org_id: '11023',
      };
    },
  };
}
const cycleKey = () => digits(19);

async function post(body: unknown, opts: { token?: string | null; raw?: string } = {}) {
  const token = opts.token === undefined ? TOKEN : opts.token;
  const res = await fetch(`${h.bot.url}/api/v1/alerts/datadog`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: opts.raw ?? JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const rowsOf = (alertId: string) => h.sql`select dedup_key, occurrence, status, severity, title, service, labels, link, route, action, incident_id, raw from alerts where source = 'datadog' and labels->>'monitor_id' = ${alertId} order by id`;
/** The war room's posts and the replies in their threads (alert lists go in the card's thread). */
const roomTexts = (channel: string) => h.slack.channel(channel)!.messages.flatMap((m) => [m.text, ...m.replies.map((r) => r.text)]);
const incidentOf = (r: { body: { incidents: string[] } }) => Number(r.body.incidents[0]!.slice(4));

describe('a P1 monitor: Triggered, repeats within the cycle, Recovered', () => {
  it('declares a Sev1 on clearing, names the monitor with its link, dedupes Renotify/Re-Triggered/retries, records the Recovered once', async () => {
    const m = monitor('NSCC collateral demand (single)');
    const cycle = cycleKey();
    const triggered = m.notify('Triggered', cycle);
    const r = await post(triggered);
    expect(r).toMatchObject({ status: 202, body: { accepted: 1, duplicates: 0, truncated: 0, outcomes: { declared: 1 } } });
    const id = incidentOf(r);
    const [inc] = await h.sql`select severity, service, title, declared_by, declarer_kind, declarer_name, declarer_link from incidents where id = ${id}`;
    expect(inc).toEqual({
      severity: 'sev1',
      service: 'clearing',
      title: 'NSCC collateral demand (single)',
      declared_by: 'datadog',
      declarer_kind: 'integration',
      declarer_name: 'datadog — NSCC collateral demand (single)',
      declarer_link: triggered.link,
    });
    const [row] = await rowsOf(m.alertId);
    expect(row).toMatchObject({ dedup_key: m.alertId, occurrence: cycle, status: 'firing', severity: 'critical', service: 'clearing', route: 'nscc-collateral', action: 'declared', incident_id: id, link: triggered.link });
    expect(row!['labels']).toEqual({
      monitor: '',
      service: 'clearing',
      alert: 'nscc-collateral',
      env: 'prod',
      team: 'clearing-ops',
      alertname: 'NSCC collateral demand (single)',
      monitor_id: m.alertId,
      transition: 'Triggered',
      priority: 'P1',
    });
    // Kept as sent: the message with its quotes and new lines, the unfilled $HOSTNAME.
    expect(row!['raw']).toEqual(triggered);
    const [audit] = await h.sql`select actor, data from audit_trail where action = 'alert.received' and subject = ${`datadog:${m.alertId}`}`;
    expect(audit).toMatchObject({ actor: 'token:datadog', data: { route: 'nscc-collateral', outcome: 'declared', status: 'firing', severity: 'critical' } });

    const room = await h.warRoomReady(id);
    const header = h.slack.channel(room.channel_id)!.messages.find((m2) => m2.ts === room.header_ts)!;
    expect(JSON.stringify(header.blocks)).toContain(`<${triggered.link}|datadog — NSCC collateral demand (single)>`);
    await h.slack.waitFor(() => roomTexts(room.channel_id).some((t) => t.includes('*1 alert* (1 firing, 0 resolved)') && t.includes('NSCC collateral demand (single)')), 10_000, 'alert post');
    await h.pagerduty.waitFor(() => h.pagerduty.events({ action: 'trigger', dedupKey: `warroom-INC-${id}` }).length === 1, 5000, 'page');

    // Within the cycle: Datadog's retry of the same delivery, a Renotify, a Re-Triggered — all duplicates.
    for (const again of [triggered, m.notify('Renotify', cycle), m.notify('Re-Triggered', cycle)]) {
      expect(await post(again)).toMatchObject({ status: 202, body: { accepted: 0, duplicates: 1, incidents: [] } });
    }
    expect(await rowsOf(m.alertId)).toHaveLength(1);

    // Recovered: recorded against the incident once; the war room hears the group has resolved.
    const recovered = m.notify('Recovered', cycle);
    expect(await post(recovered)).toMatchObject({ status: 202, body: { accepted: 1, outcomes: { resolved: 1 }, incidents: [`INC-${id}`] } });
    expect(await post(recovered)).toMatchObject({ status: 202, body: { accepted: 0, duplicates: 1 } });
    await h.slack.waitFor(() => roomTexts(room.channel_id).some((t) => t.includes('All 1 alert of group `nscc-collateral:datadog/NSCC collateral demand (single)` have resolved')), 10_000, 'all clear');
    const rows = await rowsOf(m.alertId);
    expect(rows.map((x) => [x['status'], x['occurrence'], x['action'], x['incident_id']])).toEqual([
      ['firing', cycle, 'declared', id],
      ['resolved', cycle, 'resolved', id],
    ]);
    expect((await h.sql`select status from incidents where id = ${id}`)[0]!['status']).toBe('open');

    // A new cycle while the incident is open joins it: never a second declaration or page.
    const next = await post(m.notify('Triggered', cycleKey()));
    expect(next).toMatchObject({ status: 202, body: { accepted: 1, outcomes: { joined: 1 }, incidents: [`INC-${id}`] } });
    await nothingMoreWithin(TIMER_GRACE_MS, 'a second page');
    expect(h.pagerduty.events({ action: 'trigger', dedupKey: `warroom-INC-${id}` })).toHaveLength(1);
  });
});

describe('a multi-alert monitor', () => {
  it('two scopes are two alerts in one group: one incident, one all-clear once both have recovered', async () => {
    const m = monitor('NSCC collateral demand (by venue)');
    const [nscc, dtc] = ['service:clearing,venue:nscc', 'venue:dtc, service:clearing'];
    const [c1, c2] = [cycleKey(), cycleKey()];
    const first = await post(m.notify('Triggered', c1, { scope: nscc }));
    expect(first.body).toMatchObject({ accepted: 1, outcomes: { declared: 1 } });
    const id = incidentOf(first);
    const second = await post(m.notify('Triggered', c2, { scope: dtc }));
    expect(second.body).toMatchObject({ accepted: 1, outcomes: { joined: 1 }, incidents: [`INC-${id}`] });
    const rows = await rowsOf(m.alertId);
    // The scope's tags, sorted, name the alert (Datadog writes them with or without spaces).
    expect(rows.map((r) => r['dedup_key'])).toEqual([`${m.alertId}:service:clearing,venue:nscc`, `${m.alertId}:service:clearing,venue:dtc`]);
    expect(rows.map((r) => r['title'])).toEqual(['NSCC collateral demand (by venue) (service:clearing,venue:nscc)', 'NSCC collateral demand (by venue) (service:clearing,venue:dtc)']);
    expect(rows.map((r) => (r['labels'] as Record<string, string>)['venue'])).toEqual(['nscc', 'dtc']);

    const room = await h.warRoomReady(id);
    await h.slack.waitFor(() => roomTexts(room.channel_id).some((t) => t.includes('in all 2 firing / 0 resolved')), 10_000, 'both listed');
    const clear = (t: string) => t.includes('of group `nscc-collateral:datadog/NSCC collateral demand (by venue)` have resolved');

    // One scope recovers: the group still fires.
    expect((await post(m.notify('Recovered', c1, { scope: nscc }))).body).toMatchObject({ outcomes: { resolved: 1 } });
    await h.slack.waitFor(() => roomTexts(room.channel_id).some((t) => t.includes('in all 1 firing / 1 resolved')), ALERT_POST_GAP_MS + 10_000, 'first recovery listed (the next list comes at least ALERT_POST_GAP_MS after the last)');
    expect(roomTexts(room.channel_id).filter(clear)).toHaveLength(0);
    // Both: one line.
    expect((await post(m.notify('Recovered', c2, { scope: dtc }))).body).toMatchObject({ outcomes: { resolved: 1 } });
    await h.slack.waitFor(() => roomTexts(room.channel_id).some((t) => t.includes('All 2 alerts of group')), 10_000, 'all clear');
    await nothingMoreWithin(ALERT_POST_COALESCE_MS + TIMER_GRACE_MS, 'a second all-clear line');
    expect(roomTexts(room.channel_id).filter(clear)).toHaveLength(1);
  }, 60_000);
});

describe('Warn and No Data', () => {
  it('a Warn is at most a warning (dropped by default); a Triggered in the same cycle is not its duplicate; the Recovered closes both', async () => {
    const m = monitor('NSCC collateral demand (warn first)');
    const cycle = cycleKey();
    const warn = await post(m.notify('Warn', cycle));
    expect(warn).toMatchObject({ status: 202, body: { accepted: 1, outcomes: { dropped: 1 }, incidents: [] } });
    expect(await post(m.notify('Re-Warn', cycle))).toMatchObject({ status: 202, body: { accepted: 0, duplicates: 1 } });
    // A Renotify while warning ($ALERT_TYPE warning) repeats the Warn.
    expect(await post(m.notify('Renotify', cycle, { alertType: 'warning' }))).toMatchObject({ status: 202, body: { accepted: 0, duplicates: 1 } });

    const alerting = await post(m.notify('Triggered', cycle));
    expect(alerting).toMatchObject({ status: 202, body: { accepted: 1, outcomes: { declared: 1 } } });
    const id = incidentOf(alerting);
    const recovered = await post(m.notify('Recovered', cycle));
    expect(recovered).toMatchObject({ status: 202, body: { accepted: 1, outcomes: { resolved: 1 }, incidents: [`INC-${id}`] } });

    const rows = await rowsOf(m.alertId);
    expect(rows.map((r) => [r['occurrence'], r['status'], r['severity'], (r['labels'] as Record<string, string>)['transition'], r['route'], r['action']])).toEqual([
      [`${cycle}/warn`, 'firing', 'warning', 'Warn', 'default', 'dropped'],
      [cycle, 'firing', 'critical', 'Triggered', 'nscc-collateral', 'declared'],
      [cycle, 'resolved', 'critical', 'Recovered', 'nscc-collateral', 'resolved'],
    ]);
    const room = await h.warRoomReady(id);
    await h.slack.waitFor(() => roomTexts(room.channel_id).some((t) => t.includes('All 1 alert of group `nscc-collateral:datadog/NSCC collateral demand (warn first)` have resolved')), 10_000, 'all clear');
  });

  it('No Data fires as a warning of its own phase; its Recovered matches no incident', async () => {
    const m = monitor('NSCC collateral feed (no data)');
    const cycle = cycleKey();
    expect(await post(m.notify('No Data', cycle))).toMatchObject({ status: 202, body: { accepted: 1, outcomes: { dropped: 1 } } });
    expect(await post(m.notify('Re-No Data', cycle))).toMatchObject({ status: 202, body: { accepted: 0, duplicates: 1 } });
    expect(await post(m.notify('Recovered', cycle))).toMatchObject({ status: 202, body: { accepted: 1, outcomes: { resolved_unmatched: 1 }, incidents: [] } });
    const rows = await rowsOf(m.alertId);
    expect(rows.map((r) => [r['occurrence'], r['status'], r['severity'], r['action']])).toEqual([
      [`${cycle}/no-data`, 'firing', 'warning', 'dropped'],
      [cycle, 'resolved', 'critical', 'resolved_unmatched'],
    ]);
  });

  it('severity from the priority, or from a severity: tag; a P1 without the route tags takes the default critical route', async () => {
    const p3 = monitor('Settlement file late', { priority: 'P3', tags: 'service:clearing' });
    expect((await post(p3.notify('Triggered', cycleKey()))).body.outcomes).toEqual({ dropped: 1 });
    const tagged = monitor('Settlement file missing', { priority: 'P4', tags: 'service:clearing, severity:critical' });
    const r = await post(tagged.notify('Triggered', cycleKey()));
    expect(r.body.outcomes).toEqual({ declared: 1 });
    const [inc] = await h.sql`select severity from incidents where id = ${incidentOf(r)}`;
    expect(inc!['severity']).toBe('sev2'); // the `critical` route: not tagged alert:nscc-collateral
    const sev = async (m: ReturnType<typeof monitor>) => (await rowsOf(m.alertId)).map((x) => x['severity']);
    expect(await sev(p3)).toEqual(['warning']);
    expect(await sev(tagged)).toEqual(['critical']);
  });
});

describe('refusals', () => {
  const m = monitor('NSCC collateral demand (refusals)');
  const ok = () => m.notify('Triggered', cycleKey());

  it('400 with the JSON path of the problem, and nothing kept', async () => {
    const cases: Array<[unknown, string]> = [
      [{ ...ok(), alert_cycle_key: undefined }, '$.alert_cycle_key'],
      [{ ...ok(), alert_id: '$ALERT_ID' }, '$.alert_id'],
      [{ ...ok(), transition: 'Exploded' }, '$.transition'],
      [{ ...ok(), priority: 'urgent' }, '$.priority'],
      [{ ...ok(), date: 'yesterday' }, '$.date'],
      [{ ...ok(), tags: ['service:clearing'] }, '$.tags'],
      [{ ...ok(), title: '' }, '$.title'],
      [[ok()], '$'],
    ];
    for (const [body, path] of cases) {
      const r = await post(body);
      expect(r.status, path).toBe(400);
      expect(r.body, path).toMatchObject({ error: 'bad_request', path });
    }
    // A template with $EVENT_MSG outside quotes: Datadog's text makes the body not JSON.
    const raw = JSON.stringify(ok()).replace(/"message":"(?:[^"\\]|\\.)*"/, '"message": Collateral demand\nover the limit');
    expect(await post(null, { raw })).toMatchObject({ status: 400, body: { error: 'bad_request', path: '$' } });
    expect(await rowsOf(m.alertId)).toHaveLength(0);
  });

  it('401 without the token, with a wrong one, with a token lacking the alerts scope; 413 over 1 MiB', async () => {
    for (const token of [null, 'wrong-token-000000000000', GATE_TOKEN]) {
      const r = await post(ok(), { token });
      expect(r.status, String(token)).toBe(401);
      expect(r.body.error).toBe('unauthorized');
    }
    const big = { ...ok(), message: 'x'.repeat(MAX_ALERT_BODY) };
    expect(await post(big)).toMatchObject({ status: 413, body: { error: 'too_large' } });
    expect(await rowsOf(m.alertId)).toHaveLength(0);
  });
});
