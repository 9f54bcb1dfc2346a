import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DEFAULT_POLICY_PATH } from '../../src/config/policy-schema.js';
import { ALERT_POST_COALESCE_MS, ALERT_POST_GAP_MS } from '../../src/app/alerts.js';
import { SLACK_LIMITS, SLACK_WINDOW_MS, STORM_ROUTES, stormPlan, type StormRequest, type StormShape } from '../../bench/lib/alert-storm.js';
import { GATE_TOKEN, SHORT_QUEUE, useHarness } from '../support/harness.js';
import { nothingMoreWithin, TIMER_GRACE_MS } from '../support/quiet.js';

/**
 * The storm of issue 11 (bench/lib/alert-storm.ts): 40 group keys, half from Alertmanager (a
 * group's alerts in batches, one webhook at a time per group), half from a single-alert sender
 * (Datadog's shape, via the generic endpoint), 10 % resends and 10 % resolves mixed in, while 20
 * people use `/incident`, with Slack rate limited per method (SLACK_LIMITS: Slack's tiers scaled
 * 30× down, as storm.test.ts does for Tier 2).
 *
 * Scale: 2,000 alerts in 60 s, the full storm's shape at a fifth of its alerts. The full size
 * (10,000 in 60 s) was tried here first: in this one process (bot, fakes and senders) on 2 cores
 * the bot recorded about 60 alerts/s, so two thirds of the requests met a 429 (the bot truly could
 * not keep up) and the storm outlasted any test timeout. The full size runs in the bench
 * (`npm run bench -- --only=alerts`), which reports its figures; this test checks what must hold.
 * The senders retry a 429 after its Retry-After, as Alertmanager and Datadog do.
 */
const SHAPE: StormShape = { groups: 40, perGroup: 50, spanMs: 60_000, amTicks: 10, tag: Date.now().toString(36) };

const TOKEN = 'storm-alerts-token-for-tests-61b2c9';
const policy = parse(readFileSync(DEFAULT_POLICY_PATH, 'utf8'));
policy.alerts.routes = STORM_ROUTES;
const h = useHarness({
  policyYaml: stringify(policy),
  queue: { ...SHORT_QUEUE, attempts: 8, concurrency: 8 },
  bot: {
    apiTokens: [
      { name: 'ci', value: GATE_TOKEN, scopes: ['deploy-gate', 'compliance'] },
      { name: 'storm', value: TOKEN, scopes: ['alerts'] },
    ],
  },
});

interface Answer {
  accepted: number;
  duplicates: number;
}

/** One request of a stream, sent again after Retry-After while it is answered 429. */
async function deliver(r: StormRequest, throttled: { n: number }): Promise<Answer> {
  for (;;) {
    const res = await fetch(`${h.bot.url}/api/v1/alerts/${r.path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: r.body });
    const body = (await res.json()) as Answer;
    if (res.status === 202) return body;
    expect(res.status, JSON.stringify(body)).toBe(429);
    throttled.n += 1;
    // The sender's own pacing (Retry-After), not a wait for the bot.
    await new Promise((done) => setTimeout(done, Number(res.headers.get('retry-after')) * 1000));
  }
}

/** Max accepted calls in any window of SLACK_WINDOW_MS. */
function peakPerWindow(ats: number[]): number {
  const sorted = [...ats].sort((a, b) => a - b);
  let peak = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= SLACK_WINDOW_MS) j++;
    peak = Math.max(peak, i - j + 1);
  }
  return peak;
}

describe('alert storm', () => {
  it(`${SHAPE.groups * SHAPE.perGroup} alerts in ${SHAPE.spanMs / 1000} s from Alertmanager and a single-alert sender, 40 groups, with resends and resolves, while 20 people use /incident`, async () => {
    // The routes declare Sev1 and Sev2, which page in every market session: the same ladder at any hour.
    for (const sev of ['sev1', 'sev2']) expect(h.policy.severities.find((s) => s.id === sev)!.escalation.quietSessions).toEqual([]);
    for (const [method, limit] of Object.entries(SLACK_LIMITS)) h.slack.rateLimit(method, limit, SLACK_WINDOW_MS);
    const humans = Array.from({ length: 20 }, (_, i) => `UHUMAN${String(i).padStart(3, '0')}`);
    humans.forEach((id, i) => h.slack.addUser({ id, name: `human${i}`, realName: `Human ${i}` }));
    const slackBefore = h.slack.calls().length;
    const streams = stormPlan(SHAPE);
    const throttled = { n: 0 };
    const totals = { deliveries: 0, resends: 0, accepted: 0, duplicates: 0 };
    const t0 = performance.now();
    const at = (ms: number) => new Promise((done) => setTimeout(done, Math.max(0, t0 + ms - performance.now())));

    // Each group's stream one request at a time, at its planned time or after the previous answer.
    const senders = streams.map(async (s) => {
      for (const r of s.requests) {
        await at(r.at);
        const a = await deliver(r, throttled);
        totals.deliveries += r.alerts;
        totals.resends += r.resends;
        totals.accepted += a.accepted;
        totals.duplicates += a.duplicates;
      }
    });
    // 20 people: each declares an incident of their own and asks for help during the storm.
    const acks: Array<{ status: number; text: string }> = [];
    const people = humans.map(async (user, i) => {
      await at((i * SHAPE.spanMs) / humans.length + 500);
      const declared = await h.command('/incident', `sev3 Side issue ${i} during the storm`, { user });
      acks.push({ status: declared.status, text: String(declared.body?.text) });
      const help = await h.command('/incident', 'help', { user });
      acks.push({ status: help.status, text: String(help.body?.text) });
    });
    await Promise.all([...senders, ...people]);

    // Every alert recorded once: the rows are the deliveries less the resends, which the 202s counted as duplicates.
    expect(totals.deliveries).toBe(SHAPE.groups * SHAPE.perGroup);
    expect({ accepted: totals.accepted, duplicates: totals.duplicates }).toEqual({ accepted: totals.deliveries - totals.resends, duplicates: totals.resends });
    expect((await h.sql`select count(*)::int as n from alerts`)[0]!['n']).toBe(totals.accepted);
    expect(acks.filter((a) => a.status !== 200)).toEqual([]);
    // An ack that could not confirm within Slack's 3 s says so (the declaration goes on): every
    // person's incident is declared once, whatever the ack said.
    const unconfirmed = acks.filter((a) => a.text.includes("couldn't confirm")).length;
    await h.slack.waitFor(async () => (await h.sql`select count(*)::int as n from incidents where title like 'Side issue % during the storm'`)[0]!['n'] >= humans.length, 30_000, "every person's incident");
    const mine = await h.sql`select declared_by, title from incidents where title like 'Side issue % during the storm'`;
    expect(mine.map((r) => `${r['declared_by']} ${r['title']}`).sort()).toEqual(humans.map((u, i) => `${u} Side issue ${i} during the storm`).sort());

    // Exactly 40 incidents from the alerts, one per group key, every alert of a group in its incident.
    const byGroup = await h.sql`
      select group_key, array_agg(distinct incident_id) as incidents, count(*)::int as n,
             count(*) filter (where action = 'declared')::int as declared, count(*) filter (where incident_id is null)::int as loose
      from alerts group by group_key order by group_key`;
    expect(byGroup).toHaveLength(SHAPE.groups);
    for (const g of byGroup) {
      expect(g, String(g['group_key'])).toMatchObject({ declared: 1, loose: 0, n: (SHAPE.perGroup * 9) / 10 });
      expect(g['incidents'], String(g['group_key'])).toHaveLength(1);
    }
    const alertIncidents = byGroup.map((g) => (g['incidents'] as number[])[0]!);
    expect(new Set(alertIncidents).size).toBe(SHAPE.groups);
    const integration = await h.sql`select id, severity from incidents where declarer_kind = 'integration'`;
    expect(integration.map((r) => r['id'] as number).sort((a, b) => a - b)).toEqual([...alertIncidents].sort((a, b) => a - b));
    const sev1 = integration.filter((r) => r['severity'] === 'sev1').map((r) => r['id'] as number);
    expect(sev1).toHaveLength(SHAPE.groups / 4);

    // Every war room ready, every alert listed in its war room, the pages and the Sev1 SMS out.
    await h.slack.waitFor(async () => (await h.sql`select count(*)::int as n from incidents where ready_at is null`)[0]!['n'] === 0, 120_000, 'every war room ready');
    await h.slack.waitFor(async () => (await h.sql`select count(*)::int as n from alerts where incident_id is not null and posted_at is null`)[0]!['n'] === 0, 120_000, 'every alert listed');
    const executives = ['+12125550108', '+12125550109'];
    const smsOf = (id: number) => h.twilio.messages().filter((m) => new RegExp(`INC-${id}\\b`).test(m.body));
    const pagesOf = (id: number) => h.pagerduty.events({ action: 'trigger', dedupKey: `warroom-INC-${id}` });
    await h.pagerduty.waitFor(() => alertIncidents.every((id) => pagesOf(id).length >= 1), 60_000, 'a page for every alert incident');
    await h.slack.waitFor(() => sev1.every((id) => executives.every((to) => smsOf(id).some((m) => m.to === to))), 60_000, 'Sev1 SMS to the executives');

    // No page, no SMS twice, also once anything late would have gone out.
    await nothingMoreWithin(ALERT_POST_COALESCE_MS + TIMER_GRACE_MS, 'a second page or SMS');
    for (const id of alertIncidents) {
      expect(pagesOf(id).map((e) => e.status), `INC-${id} pages`).toEqual([202]);
      const to = smsOf(id).map((m) => m.to);
      expect(to.length, `INC-${id} SMS`).toBe(new Set(to).size);
    }

    // Slack's limits: no method past its limit in any window; what it answered 429 was retried (all ready, all listed).
    const calls = h.slack.calls().slice(slackBefore);
    const limited: Record<string, { ok: number; peak: number; rateLimited: number }> = {};
    for (const [method, limit] of Object.entries(SLACK_LIMITS)) {
      const mine = calls.filter((c) => c.method === method);
      limited[method] = { ok: mine.filter((c) => c.ok).length, peak: peakPerWindow(mine.filter((c) => c.ok).map((c) => c.at)), rateLimited: mine.filter((c) => c.status === 429).length };
      expect(limited[method]!.peak, method).toBeLessThanOrEqual(limit);
    }

    // Coalesced: a room's alert lists are at least ALERT_POST_GAP_MS apart (claim times, as the bot wrote them).
    const claims = await h.sql`select incident_id, post_key, min(posted_at) as at from alerts where incident_id is not null group by incident_id, post_key order by incident_id, at`;
    const lists = new Map<number, number[]>();
    for (const c of claims) lists.set(c['incident_id'] as number, [...(lists.get(c['incident_id'] as number) ?? []), (c['at'] as Date).getTime()]);
    for (const [id, times] of lists) {
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!, `INC-${id} list ${i}`).toBeGreaterThanOrEqual(ALERT_POST_GAP_MS);
    }
    // Slack calls naming an alert incident (its channel or number, the war room's setup included), and its alert lists.
    const rooms = await h.sql`select channel_id from incidents where id in ${h.sql(alertIncidents)}`;
    const channels = new Set(rooms.map((r) => r['channel_id'] as string));
    const ids = new Set(alertIncidents);
    const alertCalls = calls.filter((c) => {
      if (channels.has(String(c.args['channel']))) return true;
      const m = /\b(?:INC-|inc-)(\d+)\b/.exec(JSON.stringify(c.args));
      return m !== null && ids.has(Number(m[1]));
    });
    const alertPosts = alertCalls.filter((c) => c.method === 'chat.postMessage' && c.ok && /^:rotating_light: \*\d+ alerts?\*/.test(String(c.args['text'] ?? '')));
    expect(alertPosts).toHaveLength(claims.length);
    console.log(`alert storm: ${JSON.stringify({ sendS: Math.round(performance.now() - t0) / 1000, throttled429: throttled.n, unconfirmedAcks: unconfirmed, ...totals, slackCalls: calls.length, callsNamingAlertIncidents: alertCalls.length, alertPosts: alertPosts.length, perAlert: alertCalls.length / totals.deliveries, postsPerAlert: alertPosts.length / totals.deliveries, limited })}`);

    // The people's acks, by the bot's own measure: every one under Slack's 3 s.
    const metrics = await (await fetch(`${h.bot.url}/metrics`)).text();
    const counts = [...metrics.matchAll(/warroom_ack_seconds_count\{kind="([^"]+)"\} (\d+)/g)].map((m) => [m[1]!, Number(m[2])] as const);
    expect(counts.reduce((n, [, c]) => n + c, 0)).toBeGreaterThanOrEqual(acks.length);
    for (const [kind, n] of counts) {
      const under3 = Number(new RegExp(`warroom_ack_seconds_bucket\\{le="3",kind="${kind}"\\} (\\d+)`).exec(metrics)![1]);
      expect(under3, `acks of ${kind} under 3 s`).toBe(n);
    }
  }, 300_000);
});
