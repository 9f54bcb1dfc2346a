import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VIEW } from '../../src/adapters/slack/ids.js';
import { GATE_TOKEN, routingKeyFor, startHarness, USERS, type Harness } from '../support/harness.js';
import { shortPolicyYaml } from '../support/short-policy.js';
import { localTime as at, startOfLocalTimeWindow, windowWaitBoundMs } from '../support/instants.js';
import { nothingMoreWithin, TIMER_GRACE_MS } from '../support/quiet.js';

/** Every task time below is within this many seconds of the start, on one ET date. */
const SPAN_S = 90;

let h: Harness;
let today: string;
let tomorrow: string;

beforeAll(async () => {
  // Offsets in seconds from now (ET), every day, so the suite runs whatever the real date is;
  // near midnight (or in the repeated DST hour) it first waits until the times fit on one date.
  const now = await startOfLocalTimeWindow(SPAN_S);
  today = now.toISODate()!;
  tomorrow = now.plus({ days: 1 }).toISODate()!;
  h = await startHarness({
    policyYaml: shortPolicyYaml((p) => {
      p.compliance = {
        digest_at: at(now, 10),
        completers: ['compliance'],
        tasks: [
          { id: 'nscc-settlement', title: 'NSCC settlement file', owner: 'compliance', kind: 'automated', days: 'every-day', opens: at(now, 2), due: at(now, 6), warn_before: '2s', page: 'clearing-oncall', notify_on_miss: ['compliance-managers'] },
          { id: 'filing-check', title: 'Regulatory filing check', owner: 'compliance', kind: 'manual', days: 'every-day', opens: at(now, 1), due: at(now, 60) },
          { id: 'options-risk', title: 'Options risk report', owner: 'risk', kind: 'automated', days: 'every-day', opens: at(now, 1), due: at(now, 60), page: 'trading-oncall' },
        ],
      };
    }),
  });
}, windowWaitBoundMs(SPAN_S) + 60_000);
afterAll(async () => {
  await h?.stop();
});

const compliance = () => h.slack.channel('compliance')!;
const card = (title: string) => compliance().messages.find((m) => m.blocks?.[0]?.text?.text?.startsWith(title));
const cardText = (title: string) => JSON.stringify(card(title)?.blocks ?? []);
const runId = async (task: string, date = today) => (await h.sql`select id from compliance_runs where task_id = ${task} and date = ${date}`)[0]!['id'] as number;
const post = (path: string, body: unknown, token: string | null = GATE_TOKEN) =>
  fetch(`${h.bot.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: await r.json() }));

function submitModal(callbackId: string, run: number, user: string, values: Record<string, string>) {
  return h.interact({
    type: 'view_submission',
    user: { id: user },
    team: { id: 'T0001' },
    trigger_id: `trig-${Math.random()}`,
    view: { id: `V${Math.random().toString(36).slice(2, 9).toUpperCase()}`, callback_id: callbackId, private_metadata: JSON.stringify({ runId: run }), state: { values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { v: { type: 'plain_text_input', value: v } }])) } },
  });
}

describe('a compliance day (offsets in seconds)', () => {
  it('opens each task as a card in #compliance, warns in the thread, and escalates a miss once', async () => {
    await h.slack.waitFor(() => card('NSCC settlement file'), 6000, 'NSCC card at opening');
    const text = cardText('NSCC settlement file');
    expect(text).toContain(`*Covers*\\n${today}`);
    expect(text).toContain('<!subteam^SCOMPLIAN>');
    expect(text).toContain('Mark done');
    expect(text).toContain('Report a problem');
    // Warn-before: a reply in the card's thread mentioning the owner.
    const nscc = card('NSCC settlement file')!;
    await h.slack.waitFor(() => nscc.replies.some((r) => r.text.includes('<!subteam^SCOMPLIAN> *NSCC settlement file*') && r.text.includes('is not done yet')), 6000, 'warning in thread');
    // Miss at the due time: overdue card, channel told, paged once, managers DM'd, audited once.
    await h.slack.waitFor(() => cardText('NSCC settlement file').includes(':red_circle: *Overdue* since'), 6000, 'overdue');
    await h.slack.waitFor(() => compliance().messages.some((m) => m.text.includes('*NSCC settlement file*') && m.text.includes('missed its') && m.text.includes('<!subteam^SCOMPLIAN>')), 5000, 'miss told');
    await h.pagerduty.waitFor(() => h.pagerduty.events({ action: 'trigger', dedupKey: `warroom-CMP-nscc-settlement-${today}` }).length === 1, 5000, 'page');
    expect(h.pagerduty.events({ action: 'trigger', dedupKey: `warroom-CMP-nscc-settlement-${today}` })[0]!.body!['routing_key']).toBe(routingKeyFor('clearing-oncall'));
    await h.slack.waitFor(() => h.slack.dms(USERS.grace).some((m) => m.text.includes('NSCC settlement file') && m.text.includes('missed')), 5000, 'manager DM');
    await nothingMoreWithin(TIMER_GRACE_MS, 'a second page for the miss');
    expect(h.pagerduty.events({ action: 'trigger', dedupKey: `warroom-CMP-nscc-settlement-${today}` })).toHaveLength(1);
    const missed = await h.sql`select count(*)::int as n from audit_trail where action = 'compliance.missed' and subject = ${`nscc-settlement/${today}`}`;
    expect(missed[0]!['n']).toBe(1);
  });

  it('the owner marks a task done from the card; a non-member is refused; done late shows as late', async () => {
    const filing = await runId('filing-check');
    await h.slack.waitFor(() => card('Regulatory filing check'), 5000, 'filing card');
    const refused = await submitModal(VIEW.complianceDone, filing, USERS.bob, { note: 'looks fine', evidence: '' });
    expect(refused.body.response_action).toBe('errors');
    expect(refused.body.errors.evidence).toContain('Only members of @compliance');
    const ok = await submitModal(VIEW.complianceDone, filing, USERS.dave, { evidence: 'https://filings.example/2026/q4/x17a-5', note: 'Filed with FINRA' });
    expect(ok.status).toBe(200);
    await h.slack.waitFor(() => cardText('Regulatory filing check').includes(`:white_check_mark: *Done* by <@${USERS.dave}>`), 5000, 'done');
    expect(cardText('Regulatory filing check')).toContain('Evidence: https://filings.example/2026/q4/x17a-5');
    expect(cardText('Regulatory filing check')).not.toContain('Mark done');
    // The missed NSCC run completed afterwards: done late, and its page resolved.
    const nscc = await runId('nscc-settlement');
    await submitModal(VIEW.complianceDone, nscc, USERS.dave, { evidence: 'NSCC ack 771', note: '' });
    await h.slack.waitFor(() => /:warning: \*Done late \(\+\d+ s\)\* by <@UDAVE004>/.test(cardText('NSCC settlement file')), 5000, 'done late');
    await h.pagerduty.waitFor(() => h.pagerduty.alerts().get(`warroom-CMP-nscc-settlement-${today}`)?.status === 'resolved', 5000, 'page resolved');
    const audit = await h.sql`select actor, action from audit_trail where subject = ${`filing-check/${today}`} order by ord`;
    expect(audit.map((a) => a['action'])).toEqual(['compliance.opened', 'compliance.completion_refused', 'compliance.completed']);
  });

  it('"Report a problem" records a note and pages the owner at once', async () => {
    const risk = await runId('options-risk');
    await h.slack.waitFor(() => card('Options risk report'), 5000, 'risk card');
    const r = await submitModal(VIEW.complianceProblem, risk, USERS.frank, { note: 'Vendor margin file missing' });
    expect(r.status).toBe(200);
    await h.pagerduty.waitFor(() => h.pagerduty.events({ action: 'trigger', dedupKey: `warroom-CMP-options-risk-${today}` }).length === 1, 5000, 'page');
    await h.slack.waitFor(() => cardText('Options risk report').includes(':warning: Problem reported: Vendor margin file missing'), 5000, 'card shows problem');
  });

  it('the automated job completes its run over HTTP: token required, idempotent, 404 and 409 where due', async () => {
    const path = (task: string, date: string, action = 'complete') => `/api/v1/compliance/tasks/${task}/runs/${date}/${action}`;
    expect((await post(path('options-risk', today), { evidence: 'risk-run-9912' }, null)).status).toBe(401);
    expect((await post(path('options-risk', today), {}, 'wrong-token-wrong-token')).status).toBe(401);
    const done = await post(path('options-risk', today), { evidence: 's3://risk/2026/eod.csv', note: 'auto' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ task: 'options-risk', date: today, status: 'done', done_by: 'token:ci', changed: true });
    const again = await post(path('options-risk', today), { evidence: 'other' });
    expect(again.status).toBe(200);
    expect(again.body.changed).toBe(false);
    await h.slack.waitFor(() => cardText('Options risk report').includes('Done') && cardText('Options risk report').includes('the job (`token:ci`)'), 5000, 'card done by job');
    expect((await post(path('no-such-task', today), {})).status).toBe(404);
    expect((await post(path('options-risk', `${today.slice(0, 4)}-02-30`), {})).status).toBe(404);
    const future = await post(path('options-risk', tomorrow), {});
    expect(future.status).toBe(409);
    expect(future.body.error).toBe('run_not_open');
    expect((await post(path('options-risk', DateTime.fromISO(today).plus({ years: 3 }).toISODate()!), {})).status).toBe(409);
    expect((await post(path('filing-check', today), {})).body.error).toBe('manual_task');
    const bad = await fetch(`${h.bot.url}${path('options-risk', today)}`, { method: 'POST', headers: { authorization: `Bearer ${GATE_TOKEN}` }, body: '[1,2' });
    expect(bad.status).toBe(400);
  });

  it('/compliance shows today; /compliance <task> the last runs; the digest comes once', async () => {
    const r = await h.command('/compliance', '');
    expect(r.body.response_type).toBe('ephemeral');
    expect(r.body.text).toContain(`*Compliance, ${today}:*`);
    expect(r.body.text).toMatch(/:warning: \*NSCC settlement file\* — late \(\+\d+ s\) by <@UDAVE004>/);
    expect(r.body.text).toMatch(/:white_check_mark: \*Options risk report\* — on time by `token:ci`/);
    const hist = await h.command('/compliance', 'nscc-settlement');
    expect(hist.body.text).toContain('*NSCC settlement file* — last');
    expect(hist.body.text).toContain(today);
    const unknown = await h.command('/compliance', 'cat-report');
    expect(unknown.body.text).toContain('There is no task "cat-report"');
    await h.slack.waitFor(() => compliance().messages.some((m) => m.text.startsWith(`:clipboard: *Compliance digest for ${today}:*`)), 12_000, 'digest');
    const digest = compliance().messages.find((m) => m.text.startsWith(`:clipboard: *Compliance digest for ${today}:*`))!;
    expect(digest.text).toContain('2 on time · 1 late · 0 missed · 0 open · 0 failed');
    await nothingMoreWithin(TIMER_GRACE_MS, 'a second digest');
    expect(compliance().messages.filter((m) => m.text.startsWith(':clipboard:'))).toHaveLength(1);
  });

  it('each card was posted exactly once', () => {
    for (const title of ['NSCC settlement file', 'Regulatory filing check', 'Options risk report']) {
      expect(compliance().messages.filter((m) => m.blocks?.[0]?.text?.text?.startsWith(title))).toHaveLength(1);
    }
  });
});
