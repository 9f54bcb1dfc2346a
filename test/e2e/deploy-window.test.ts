import { beforeEach, describe, expect, it } from 'vitest';
import { ACTION } from '../../src/adapters/slack/ids.js';
import { incidentIdFrom, useHarness, USERS } from '../support/harness.js';
import { atET, nextEarlyCloseFriday, nextPlainTradingDay } from '../support/instants.js';

const h = useHarness();

// The app's clock is set to instants after the real now, taken from the calendar (test/README.md,
// "Time"): the next day after Thanksgiving (an early close, always a Friday, always in EST), the
// Thanksgiving before it, the Saturday after it, and the next ordinary trading day after that.
const { friday: FRI, thanksgiving: THANKSGIVING, saturday: SAT } = nextEarlyCloseFriday();
const DAY = nextPlainTradingDay(atET(SAT, '12:00'));
const FRIDAY_1330 = `${FRI}T13:30:00-05:00`;
const SATURDAY_NOON = `${SAT}T12:00:00-05:00`;
/** How the bot writes a date: `Fri 27 Nov`. */
const shown = (date: string) => atET(date, '12:00').toFormat('ccc d LLL');
const approvals = () => h.slack.channel('deploy-approvals')!;
const lastResponse = () => h.slack.responses().at(-1)?.body?.text as string | undefined;

async function cardFor(id: number) {
  return h.slack.waitFor(() => approvals().messages.find((m) => JSON.stringify(m.blocks ?? []).includes(`DEP-${id}*`)), 5000, `card DEP-${id}`);
}
async function click(id: number, action: string, user: string) {
  const card = await cardFor(id);
  const before = h.slack.responses().length;
  await h.clickInMessage('deploy-approvals', card.ts, action, user, { value: `deploy|${id}` });
  return h.slack.waitFor(() => h.slack.responses().length > before && lastResponse(), 5000, 'decision reply');
}
const requestId = (text: string) => Number(/DEP-(\d+)/.exec(text)?.[1]);

describe('the early-close Friday, 13:30 ET', () => {
  beforeEach(() => h.clock.set(FRIDAY_1330));

  it('/deploy-window standard: after-hours, engineering-lead approval, auto from 17:00', async () => {
    const r = await h.command('/deploy-window', 'standard');
    expect(r.body.response_type).toBe('ephemeral');
    expect(r.body.text).toContain(`*\`standard\` at ${shown(FRI)} 13:30 ET:* :hourglass: needs engineering-lead approval — After-hours: standard releases need engineering-lead approval. Risk: medium.`);
    expect(r.body.text).toContain('Next auto-approved window: today 17:00 ET.');
    expect(r.body.text).toContain('/deploy-window request standard <service> <change summary>');
  });

  it('the gate says the same in JSON, with 423', async () => {
    const r = await h.api('/api/v1/deploy-window?type=standard&service=payments');
    expect(r.status).toBe(423);
    expect(r.body).toMatchObject({
      at: FRIDAY_1330,
      session: 'after-hours',
      type: 'standard',
      allowed: false,
      approval: 'engineering-lead',
      approved_by: null,
      risk: 'medium',
      reason: 'After-hours: standard releases need engineering-lead approval',
      freeze: null,
      next_auto_window: `${FRI}T17:00:00-05:00`,
    });
    const at = await h.api(`/api/v1/deploy-window?type=standard&service=payments&at=${FRI}T22:30:00Z`);
    expect(at.status).toBe(200);
    expect(at.body).toMatchObject({ session: 'weekend', allowed: true, approval: 'auto', at: `${FRI}T17:30:00-05:00` });
  });

  it('/deploy-window alone: session, each type, freeze, next auto window, and today with its early close', async () => {
    const r = await h.command('/deploy-window', '');
    const t = r.body.text as string;
    expect(t).toContain('*Market now:* After-hours');
    expect(t).toContain('after-hours ends today 17:00 ET');
    expect(t).toContain('• `non-critical`: :hourglass: needs engineering-lead approval');
    expect(t).toContain('• `emergency`: :hourglass: needs engineering-lead approval');
    expect(t).toContain('*Freeze:* none');
    expect(t).toContain('*Next auto-approved window for `standard`:* today 17:00 ET');
    expect(t).toContain(`*${shown(FRI)} (early close 13:00):* pre-market 04:00–09:30 · regular 09:30–13:00 · after-hours 13:00–17:00`);
    const holiday = await h.command('/deploy-window', `at ${THANKSGIVING} 12:00`);
    expect(holiday.body.text).toContain('Holiday — Thanksgiving Day');
    expect(holiday.body.text).toContain(`NYSE closed (Thanksgiving Day); next trading day ${shown(FRI)}`);
  });

  it('times in the command: tomorrow, a bare time, an ISO time with an offset', async () => {
    expect((await h.command('/deploy-window', 'standard at 16:30')).body.text).toContain(`at ${shown(FRI)} 16:30 ET:* :hourglass: needs engineering-lead`);
    expect((await h.command('/deploy-window', 'standard at tomorrow 09:00')).body.text).toContain(`at ${shown(SAT)} 09:00 ET:* :white_check_mark: auto-approved`);
    expect((await h.command('/deploy-window', `emergency at ${DAY}T14:40:00Z`)).body.text).toContain(`at ${shown(DAY)} 09:40 ET:* :hourglass: needs CTO approval`);
  });
});

describe('approvals', () => {
  beforeEach(() => h.clock.set(FRIDAY_1330));

  it('a request posts a card for the approver group; only a member other than the requester decides', async () => {
    const r = await h.command('/deploy-window', 'request standard payments Rotate TLS certificates', { user: USERS.bob });
    expect(r.body.text).toMatch(/Deploy request DEP-\d+ \(`standard` · `payments`\) sent to #deploy-approvals for engineering-lead approval/);
    const id = requestId(r.body.text);
    const card = await cardFor(id);
    expect(card.text).toContain('<!subteam^SENGLEADS>');
    expect(JSON.stringify(card.blocks)).toContain('Rotate TLS certificates');

    expect(await click(id, ACTION.deployApprove, USERS.bob)).toContain(`You requested DEP-${id}; someone else in @eng-leads must decide it.`);
    expect(await click(id, ACTION.deployApprove, USERS.carol)).toContain(`Only @eng-leads may decide DEP-${id}.`);
    const refused = await h.sql`select actor from audit_trail where subject = ${`DEP-${id}`} and action = 'deploy.decision_refused' order by ord`;
    expect(refused.map((x) => x['actor'])).toEqual([USERS.bob, USERS.carol]);
    expect((await h.api('/api/v1/deploy-window?type=standard&service=payments')).status).toBe(423);

    expect(await click(id, ACTION.deployApprove, USERS.frank)).toBe(`DEP-${id} approved.`);
    await h.slack.waitFor(() => JSON.stringify(approvals().messages.find((m) => m.ts === card.ts)!.blocks).includes(':white_check_mark: *Approved*'), 5000, 'card updated');
    expect(JSON.stringify(approvals().messages.find((m) => m.ts === card.ts)!.blocks)).toContain(`valid until ${shown(FRI)} 17:00 ET`);
    await h.slack.waitFor(() => h.slack.dms(USERS.bob).some((m) => m.text.includes(`DEP-${id}`) && m.text.includes('*approved* by <@UFRANK06>')), 5000, 'requester told');

    const gate = await h.api('/api/v1/deploy-window?type=standard&service=payments');
    expect(gate.status).toBe(200);
    expect(gate.body).toMatchObject({ allowed: true, approval: 'engineering-lead', approved_by: [USERS.frank], approval_request: `DEP-${id}` });
    // The approval is for that service and type only.
    expect((await h.api('/api/v1/deploy-window?type=standard&service=clearing')).status).toBe(423);
    expect((await h.api('/api/v1/deploy-window?type=non-critical&service=payments')).status).toBe(423);
    // A second decision changes nothing.
    expect(await click(id, ACTION.deployDeny, USERS.grace)).toBe(`DEP-${id} was already approved by <@${USERS.frank}>.`);
  });

  it('an approval expires at most max_approval (4 h) after it starts', async () => {
    h.clock.set(`${DAY}T09:40:00-05:00`);
    const r = await h.command('/deploy-window', 'request emergency order-routing Hotfix FIX session reset', { user: USERS.bob });
    const id = requestId(r.body.text);
    expect(await click(id, ACTION.deployApprove, USERS.frank)).toContain('Only @cto may decide');
    expect(await click(id, ACTION.deployApprove, USERS.grace)).toBe(`DEP-${id} approved.`);
    const ok = await h.api(`/api/v1/deploy-window?type=emergency&service=order-routing&at=${encodeURIComponent(`${DAY}T13:39:00-05:00`)}`);
    expect(ok.status).toBe(200);
    const late = await h.api(`/api/v1/deploy-window?type=emergency&service=order-routing&at=${encodeURIComponent(`${DAY}T13:41:00-05:00`)}`);
    expect(late.status).toBe(423);
    expect(late.body.approved_by).toBeNull();
  });

  it('a denial updates the card and tells the requester', async () => {
    const r = await h.command('/deploy-window', 'request non-critical web-trading Copy change on login page', { user: USERS.carol });
    const id = requestId(r.body.text);
    expect(await click(id, ACTION.deployDeny, USERS.frank)).toBe(`DEP-${id} denied.`);
    await h.slack.waitFor(() => h.slack.dms(USERS.carol).some((m) => m.text.includes(`DEP-${id}`) && m.text.includes('*denied*')), 5000, 'requester told');
    const card = await cardFor(id);
    await h.slack.waitFor(() => JSON.stringify(approvals().messages.find((m) => m.ts === card.ts)!.blocks).includes(':x: *Denied* by <@UFRANK06>'), 5000, 'card shows denial');
  });

  it('a forbidden slot cannot be requested, and the answer says when it opens', async () => {
    h.clock.set(`${DAY}T10:00:00-05:00`);
    const r = await h.command('/deploy-window', 'request standard payments Rotate TLS certificates');
    expect(r.body.text).toContain(`Regular session: standard releases are forbidden (pre-open freeze and regular session). It cannot be requested for ${shown(DAY)} 10:00 ET; it opens today 16:00 ET.`);
  });

  it('an auto-approved slot needs no request', async () => {
    h.clock.set(SATURDAY_NOON);
    const r = await h.command('/deploy-window', 'request standard payments Weekend patch');
    expect(r.body.text).toBe('No approval needed: Weekend: standard releases are auto-approved. Go ahead.');
  });
});

describe('bad input', () => {
  beforeEach(() => h.clock.set(FRIDAY_1330));
  it.each([
    ['rollout', '"rollout" is not a deploy type. Use non-critical, standard, emergency — e.g. `/deploy-window standard`.'],
    ['standard at noonish', 'I can\'t read the time "noonish"'],
    [`request standard payments at ${THANKSGIVING} 10:00 Yesterday's change`, 'is in the past'],
  ])('/deploy-window %s', async (text, message) => {
    const before = (await h.sql`select count(*)::int as n from deploy_requests`)[0]!['n'];
    const r = await h.command('/deploy-window', text);
    expect(r.body.response_type).toBe('ephemeral');
    expect(r.body.text).toContain(message);
    expect((await h.sql`select count(*)::int as n from deploy_requests`)[0]!['n']).toBe(before);
  });
});

describe('the gate', () => {
  beforeEach(() => h.clock.set(FRIDAY_1330));
  it('401 without a valid bearer token', async () => {
    expect((await h.api('/api/v1/deploy-window?type=standard&service=payments', null)).status).toBe(401);
    const wrong = await h.api('/api/v1/deploy-window?type=standard&service=payments', 'gate-token-for-tests-3f9a1d');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('unauthorized');
  });
  it.each([
    ['service=payments', 'type'],
    ['type=yolo&service=payments', 'type'],
    ['type=standard', 'service'],
    ['type=standard&service=Pay%20ments', 'service'],
    ['type=standard&service=payments&at=tomorrow', 'at'],
    ['type=standard&service=payments&at=2026-13-40T10:00', 'at'],
  ])('400 with a JSON error for %s', async (qs, field) => {
    const r = await h.api(`/api/v1/deploy-window?${qs}`);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'bad_request', field });
  });
  it('every query is audited with the token name', async () => {
    await h.api('/api/v1/deploy-window?type=emergency&service=risk-engine');
    const [row] = await h.sql`select actor, subject, data from audit_trail where action = 'deploy.gate_queried' order by ord desc limit 1`;
    expect(row).toMatchObject({ actor: 'token:ci', subject: 'emergency:risk-engine', data: { allowed: false, approval: 'engineering-lead' } });
  });
});

describe('incident freeze', () => {
  it('an open Sev1 forbids standard everywhere and names the incident and its war room; emergency needs its IC', async () => {
    h.clock.set(null);
    const id = incidentIdFrom(await h.command('/incident', 'sev1 Order routing down'));
    const room = await h.warRoomReady(id);
    h.clock.set(SATURDAY_NOON);
    const gate = await h.api('/api/v1/deploy-window?type=standard&service=payments');
    expect(gate.status).toBe(423);
    expect(gate.body).toMatchObject({ approval: 'forbidden', freeze: { incident: `INC-${id}`, severity: 'sev1', channel: room.channel_id } });
    expect(gate.body.reason).toBe(`Freeze: INC-${id} (SEV1) is open; standard releases are forbidden until it is resolved`);
    const overview = await h.command('/deploy-window', '');
    expect(overview.body.text).toContain(`*Freeze:* :no_entry: INC-${id} (SEV1) is open in <#${room.channel_id}>`);
    const check = await h.command('/deploy-window', 'standard');
    expect(check.body.text).toContain(`It can be requested once INC-${id} is resolved.`);
    expect(check.body.text).not.toContain('Ask for approval');
    const refused = await h.command('/deploy-window', 'request standard payments During the incident');
    expect(refused.body.text).toContain(`until INC-${id} is resolved`);

    // Emergency: the weekend row is auto, but the IC must approve.
    await h.clickInMessage(room.channel_id, room.header_ts, ACTION.roleTake, USERS.alice, { value: `role|${id}|incident_commander` });
    await h.slack.waitFor(async () => (await h.sql`select roles->'incident_commander'->>'userId' as ic from incidents where id = ${id}`)[0]!['ic'] === USERS.alice, 5000, 'IC set');
    const r = await h.command('/deploy-window', 'request emergency order-routing Roll back router config', { user: USERS.bob });
    const dep = requestId(r.body.text);
    expect(r.body.text).toContain(`for the IC of INC-${id} approval`);
    expect(await click(dep, ACTION.deployApprove, USERS.frank)).toContain(`Only the IC of INC-${id} may decide`);
    expect(await click(dep, ACTION.deployApprove, USERS.alice)).toBe(`DEP-${dep} approved.`);
    expect((await h.api('/api/v1/deploy-window?type=emergency&service=order-routing')).status).toBe(200);
    expect((await h.api('/api/v1/deploy-window?type=standard&service=order-routing')).status).toBe(423);
  });
});
