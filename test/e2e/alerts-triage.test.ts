import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ACTION } from '../../src/adapters/slack/ids.js';
import { TRIAGE_COALESCE_MS } from '../../src/app/alert-triage.js';
import { ALERT_POST_GAP_MS } from '../../src/app/alerts.js';
import { DEFAULT_POLICY_PATH } from '../../src/config/policy-schema.js';
import { GATE_TOKEN, incidentIdFrom, USERS, useHarness } from '../support/harness.js';
import { nothingMoreWithin, TIMER_GRACE_MS } from '../support/quiet.js';

/**
 * A `triage` route: alerts a human should look at before anyone is paged. Each group gets one
 * post in #alerts-triage with **Declare**, **Attach to INC-n…** and **Dismiss**, decided once.
 */
const TOKEN = 'triage-token-for-tests-0c1d2e3f';
const policy = parse(readFileSync(DEFAULT_POLICY_PATH, 'utf8'));
policy.alerts.routes.unshift(
  { name: 'batch-triage', match: { source: ['nightly-batch'] }, action: 'triage', severity: 'sev3', service: 'clearing', responders: { users: [USERS.dave], groups: [] }, group_key: '{source}/{alertname}' },
  { name: 'mobile-attach', match: { source: ['mobile-probe'] }, action: 'attach', service: 'mobile-app', severity: 'sev4' },
  { name: 'lost-triage', match: { source: ['lost-probe'] }, action: 'triage', severity: 'sev4', channel: 'no-such-channel' },
);
const h = useHarness({
  policyYaml: stringify(policy),
  bot: { apiTokens: [{ name: 'ci', value: GATE_TOKEN, scopes: ['deploy-gate', 'compliance'] }, { name: 'batch', value: TOKEN, scopes: ['alerts'] }] },
});

let seq = 0;
async function send(source: string, alertname: string, status: 'firing' | 'resolved' = 'firing', key = `${alertname}-${++seq}`) {
  const res = await fetch(`${h.bot.url}/api/v1/alerts/generic`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ source, dedup_key: key, status, title: `${alertname} failed on <!channel> job`, severity: 'error', labels: { alertname }, link: 'https://ci.example.com/jobs/812' }),
  });
  return { status: res.status, body: (await res.json()) as { outcomes: Record<string, number>; incidents: string[] }, key };
}

const triagePosts = () => h.slack.channel('alerts-triage')!.messages.filter((m) => m.text.startsWith('Triage:'));
const postFor = (alertname: string) => triagePosts().find((m) => m.text.includes(`${alertname} failed`));
const ephemeral = (fragment: string) => h.slack.responses().filter((r) => typeof r.body?.text === 'string' && r.body.text.includes(fragment));

describe('triage route', () => {
  it('a group becomes one triage post; nobody is paged; Dismiss decides once, and later alerts stay quiet on it', async () => {
    const answers = [await send('nightly-batch', 'ReconFailed'), await send('nightly-batch', 'ReconFailed'), await send('nightly-batch', 'ReconFailed')];
    expect(answers.map((a) => a.body.outcomes)).toEqual([{ triaged: 1 }, { triaged: 1 }, { triaged: 1 }]);
    for (const a of answers) expect(a.body.incidents).toEqual([]);
    const post = await h.slack.waitFor(() => {
      const p = postFor('ReconFailed');
      return p && JSON.stringify(p.blocks).includes('3 firing · 0 resolved') ? p : undefined;
    }, 10_000, 'one triage post counting 3');
    expect(triagePosts()).toHaveLength(1);
    const blocks = JSON.stringify(post.blocks);
    expect(blocks).toContain(`"action_id":"${ACTION.triageDeclare}"`);
    expect(blocks).toContain('Declare SEV3');
    expect(blocks).toContain(`"action_id":"${ACTION.triageDismiss}"`);
    // The alert's text is escaped wherever Slack would parse it: nobody is pinged by it.
    const mrkdwn = JSON.stringify((post.blocks ?? []).flatMap((b: any) => [b.text, ...(b.fields ?? []), ...(b.elements ?? [])]).filter((t: any) => t?.type === 'mrkdwn'));
    expect(mrkdwn).not.toContain('<!channel>');
    expect(mrkdwn).toContain('&lt;!channel&gt;');
    expect(post.text).not.toContain('<!channel>');
    expect(h.pagerduty.events()).toHaveLength(0);
    expect((await h.sql`select count(*)::int as n from incidents`)[0]!['n']).toBe(0);

    // A double click and a second person: one dismissal, the others told.
    const triageId = Number((await h.sql`select id from alert_triage where group_key = 'batch-triage:nightly-batch/ReconFailed'`)[0]!['id']);
    const value = `triage|${triageId}`;
    const clicks = await Promise.all([USERS.alice, USERS.alice, USERS.bob].map((u) => h.clickInMessage('alerts-triage', post.ts, ACTION.triageDismiss, u, { value, blockId: value })));
    for (const c of clicks) expect(c.status).toBe(200);
    await h.slack.waitFor(() => ephemeral('Those alerts were already dismissed').length === 2, 10_000, 'two told it was done');
    const [row] = await h.sql`select status, decided_by from alert_triage where id = ${triageId}`;
    expect(row!['status']).toBe('dismissed');
    expect(await h.sql`select actor from audit_trail where action = 'alert.triage_dismissed'`).toHaveLength(1);
    await h.slack.waitFor(() => JSON.stringify(postFor('ReconFailed')!.blocks).includes('*Dismissed* by'), 10_000, 'the post says it was dismissed');
    expect(JSON.stringify(postFor('ReconFailed')!.blocks)).not.toContain(ACTION.triageDeclare);

    // Later alerts of the group: kept on the dismissed post, quietly.
    const later = await send('nightly-batch', 'ReconFailed');
    expect(later.body.outcomes).toEqual({ dismissed: 1 });
    await h.slack.waitFor(() => JSON.stringify(postFor('ReconFailed')!.blocks).includes('4 firing · 0 resolved'), 10_000, 'counted');
    expect(triagePosts()).toHaveLength(1);
    expect(h.pagerduty.events()).toHaveLength(0);
  });

  it('Declare: the clicker declares at the route\'s severity, the alerts move to the war room, later ones join it', async () => {
    const first = await send('nightly-batch', 'MarginCalcStale');
    await send('nightly-batch', 'MarginCalcStale');
    const post = await h.slack.waitFor(() => postFor('MarginCalcStale'), 10_000, 'triage post');
    const triageId = Number((await h.sql`select id from alert_triage where group_key = 'batch-triage:nightly-batch/MarginCalcStale'`)[0]!['id']);
    await h.clickInMessage('alerts-triage', post.ts, ACTION.triageDeclare, USERS.carol, { value: `triage|${triageId}`, blockId: `triage|${triageId}` });
    const declared = await h.slack.waitFor(() => ephemeral('declared as INC-')[0], 10_000, 'told');
    const id = Number(/declared as INC-(\d+)/.exec(declared.body.text)![1]);
    const [inc] = await h.sql`select severity, service, declared_by, declarer_kind from incidents where id = ${id}`;
    expect(inc).toEqual({ severity: 'sev3', service: 'clearing', declared_by: USERS.carol, declarer_kind: 'user' });
    const room = await h.warRoomReady(id);
    // The route's responders are invited; both alerts are listed in the card's thread and counted on it.
    await h.slack.waitFor(() => h.slack.channel(room.channel_id)!.members.has(USERS.dave), 10_000, 'responder invited');
    const card = () => h.slack.channel(room.channel_id)!.messages.find((m) => m.ts === room.header_ts)!;
    await h.slack.waitFor(() => card().replies.some((m) => m.text.includes('*2 alerts* (2 firing, 0 resolved)')), 10_000, 'listed in the thread');
    await h.slack.waitFor(() => JSON.stringify(card().blocks).includes('*Alerts*\\n2 firing · 0 resolved'), 10_000, 'counted on the card');
    await h.slack.waitFor(() => JSON.stringify(postFor('MarginCalcStale')!.blocks).includes(`*Declared* as INC-${id} by <@${USERS.carol}>`), 10_000, 'the post says so');
    expect(await h.sql`select actor from audit_trail where action = 'alert.triage_declared' and incident_id = ${id}`).toEqual([{ actor: USERS.carol }]);

    // A later alert of the group joins the incident; the resolve of the first is recorded against it.
    const later = await send('nightly-batch', 'MarginCalcStale');
    expect(later.body).toMatchObject({ outcomes: { joined: 1 }, incidents: [`INC-${id}`] });
    const resolved = await send('nightly-batch', 'MarginCalcStale', 'resolved', first.key);
    expect(resolved.body).toMatchObject({ outcomes: { resolved: 1 }, incidents: [`INC-${id}`] });
    await h.slack.waitFor(() => JSON.stringify(card().blocks).includes('*Alerts*\\n2 firing · 1 resolved'), ALERT_POST_GAP_MS + 10_000, 'the card counts the resolve (with the next list, at least ALERT_POST_GAP_MS after the last)');
  }, 60_000);

  it('Attach to INC-n…: the alerts join a chosen open incident; a resolved one is refused and changes nothing', async () => {
    // An attach route with no open incident of its service falls back to triage (the default).
    const a = await send('mobile-probe', 'LoginLatency');
    expect(a.body.outcomes).toEqual({ triaged: 1 });
    const post = await h.slack.waitFor(() => postFor('LoginLatency'), 10_000, 'triage post');
    const triageId = Number((await h.sql`select id from alert_triage where group_key like 'mobile-attach:%'`)[0]!['id']);
    const open = await h.sql`select id from incidents where status = 'open' order by id desc limit 1`;
    const target = Number(open[0]!['id']);
    expect(JSON.stringify(post.blocks)).toContain(`"value":"${target}"`);
    // An incident resolved after the post was rendered: still in its list, refused when chosen.
    const resolvedId = incidentIdFrom(await h.command('/incident', 'sev4 Old login glitch', { user: USERS.bob }));
    const old = await h.warRoomReady(resolvedId);
    await h.command('/incident', 'resolve cleared', { channel: old.channel_id, user: USERS.bob });
    await h.slack.waitFor(async () => (await h.sql`select status from incidents where id = ${resolvedId}`)[0]!['status'] === 'resolved', 10_000, 'resolved');

    await h.clickInMessage('alerts-triage', post.ts, ACTION.triageAttach, USERS.erin, { selectedOption: String(resolvedId), blockId: `triage|${triageId}` });
    await h.slack.waitFor(() => ephemeral(`INC-${resolvedId} is resolved`).length === 1, 10_000, 'refused');
    expect((await h.sql`select status from alert_triage where id = ${triageId}`)[0]!['status']).toBe('open');

    const pages = () => h.pagerduty.events({ dedupKey: `warroom-INC-${target}` }).length;
    const pagesBefore = pages();
    await h.clickInMessage('alerts-triage', post.ts, ACTION.triageAttach, USERS.erin, { selectedOption: String(target), blockId: `triage|${triageId}` });
    await h.slack.waitFor(() => ephemeral(`attached to INC-${target}`).length === 1, 10_000, 'attached');
    expect(await h.sql`select incident_id from alerts where triage_id = ${triageId}`).toEqual([{ incident_id: target }]);
    await h.slack.waitFor(() => JSON.stringify(postFor('LoginLatency')!.blocks).includes(`*Attached* to INC-${target}`), 10_000, 'the post says so');
    // Deciding made no page: attaching never pages.
    await nothingMoreWithin(TRIAGE_COALESCE_MS + TIMER_GRACE_MS, 'a page for an attached triage');
    expect(pages()).toBe(pagesBefore);
  });

  it('a triage channel that does not exist: the alerts are not left unseen — audited and said in #incidents', async () => {
    expect((await send('lost-probe', 'DiskFull')).body.outcomes).toEqual({ triaged: 1 });
    const warning = await h.slack.waitFor(() => h.slack.channel('incidents')!.messages.find((m) => m.text.includes('could not be posted in #no-such-channel')), 20_000, 'the warning');
    expect(warning.text).toContain('DiskFull failed on &lt;!channel&gt; job');
    expect(await h.sql`select data->>'channel' as channel from audit_trail where action = 'alert.triage_undelivered'`).toEqual([{ channel: 'no-such-channel' }]);
  });
});
