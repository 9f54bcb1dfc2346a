import { describe, expect, it } from 'vitest';
import { channelNameFor } from '../../src/domain/incident.js';
import { incidentIdFrom, useHarness, USERS } from '../support/harness.js';

const h = useHarness();

const incidentsNamed = async (title: string) => (await h.sql`select count(*)::int as n from incidents where title = ${title}`)[0]!['n'];

describe('bad input gets a specific ephemeral answer and records nothing', () => {
  it.each([
    ['sev9 Something broke', /"sev9" is not a severity\. Use sev1–sev4/],
    [`sev2 ${'y'.repeat(151)}`, /151 characters; keep it to 150/],
    ['status all good', /`\/incident status` works only in an incident's war-room channel/],
    ['resolve fixed', /`\/incident resolve` works only in an incident's war-room channel/],
    ['timeline', /works only in an incident's war-room channel/],
  ])('/incident %s', async (text, expected) => {
    const before = (await h.sql`select count(*)::int as n from incidents`)[0]!['n'];
    // Background work (the compliance planner) may audit meanwhile; what this user caused must not change.
    const auditBefore = (await h.sql`select count(*)::int as n from audit_trail where actor = ${USERS.alice} or incident_id is not null`)[0]!['n'];
    const r = await h.command('/incident', text);
    expect(r.status).toBe(200);
    expect(r.body.response_type).toBe('ephemeral');
    expect(r.body.text).toMatch(expected);
    expect((await h.sql`select count(*)::int as n from incidents`)[0]!['n']).toBe(before);
    expect((await h.sql`select count(*)::int as n from audit_trail where actor = ${USERS.alice} or incident_id is not null`)[0]!['n']).toBe(auditBefore);
  });

  it('an unknown subcommand in a war room points at help', async () => {
    const id = incidentIdFrom(await h.command('/incident', 'sev4 Report typo'));
    const room = await h.warRoomReady(id);
    const r = await h.command('/incident', 'escalate now', { channel: room.channel_id });
    expect(r.body.text).toContain("I don't know `/incident escalate`. Try `/incident help`.");
    const help = await h.command('/incident', 'help', { channel: room.channel_id });
    for (const sub of ['status <text>', 'resolve <summary>', 'timeline', '<severity> <reason>']) expect(help.body.text).toContain(sub);
  });
});

describe('Slack trouble while building the war room', () => {
  it('a 429 on conversations.create waits Retry-After and still opens exactly one channel', async () => {
    h.slack.failNext('conversations.create', { status: 429, retryAfter: 1 });
    const started = Date.now();
    const id = incidentIdFrom(await h.command('/incident', 'sev2 Quotes throttled'));
    const room = await h.warRoomReady(id);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(room.channel_name).toBe(`inc-${id}-quotes-throttled`);
    expect(h.slack.channels().filter((c) => c.name.startsWith(`inc-${id}-`))).toHaveLength(1);
    expect(h.slack.calls('conversations.create').filter((c) => c.status === 429).length).toBe(1);
  });

  it('5xx bursts are retried; each step runs until it succeeds, none twice', async () => {
    h.slack.failNext('conversations.setTopic', { status: 503 }, 2);
    h.slack.failNext('pins.add', { status: 500 });
    const id = incidentIdFrom(await h.command('/incident', 'sev3 Statement PDFs slow'));
    const room = await h.warRoomReady(id);
    const ch = h.slack.channel(room.channel_id)!;
    expect(ch.messages.filter((m) => m.blocks?.[0]?.type === 'header')).toHaveLength(1);
    expect(ch.pins.size).toBe(1);
    expect(h.slack.calls('conversations.create').filter((c) => (c.args['name'] as string).startsWith(`inc-${id}-`))).toHaveLength(1);
  });

  it('a name taken by someone else gets a numeric suffix', async () => {
    const next = Number((await h.sql`select coalesce(max(id), 0) + 1 as n from incidents`)[0]!['n']);
    h.slack.addChannel({ name: channelNameFor(next, 'Margin calls wrong'), creator: USERS.dave });
    const id = incidentIdFrom(await h.command('/incident', 'sev2 Margin calls wrong'));
    expect(id).toBe(next);
    const room = await h.warRoomReady(id);
    expect(room.channel_name).toBe(`inc-${id}-margin-calls-wrong-2`);
  });

  it('a permanent failure is audited and reported to the declarer and in #incidents', async () => {
    h.slack.failNext('conversations.create', { error: 'restricted_action' });
    const id = incidentIdFrom(await h.command('/incident', 'sev2 Cannot create rooms', { user: USERS.carol }));
    await h.slack.waitFor(() => h.slack.dms(USERS.carol).some((m) => m.text.includes(`The war room for INC-${id} could not be set up`) && m.text.includes('restricted_action')), 8000, 'DM to declarer');
    await h.slack.waitFor(() => h.slack.channel('incidents')!.messages.some((m) => m.text.includes(`The war room for INC-${id} could not be set up`)), 8000, 'told #incidents');
    const row = await h.slack.waitFor(async () => (await h.sql`select action, data from audit_trail where incident_id = ${id} and action = 'warroom.failed'`)[0], 5000, 'failure audited');
    expect(row['data']).toMatchObject({ error: expect.stringContaining('restricted_action') });
    expect(await incidentsNamed('Cannot create rooms')).toBe(1);
  });
});

describe('resuming after a crash between steps', () => {
  it('adopts the channel created right before the crash instead of opening …-2', async () => {
    // 1. The bot records the incident and its setup job, but no worker runs (the process "dies").
    await h.restartBot({ workers: false });
    const id = incidentIdFrom(await h.command('/incident', 'sev1 Settlement engine down'));
    // 2. The state after conversations.create succeeded and the process died before recording the id.
    const name = channelNameFor(id, 'Settlement engine down');
    await h.sql`update incidents set channel_name = ${name} where id = ${id}`;
    const channelId = h.slack.addChannel({ name, creator: 'UBOT', members: ['UBOT'] });
    // 3. A process with workers comes back; the reconciler finds the pending setup.
    await h.restartBot({ workers: true });
    const room = await h.warRoomReady(id);
    expect(room.channel_id).toBe(channelId);
    expect(room.channel_name).toBe(name);
    expect(h.slack.channels().filter((c) => c.name.startsWith(`inc-${id}-`))).toHaveLength(1);
  });

  it('finds a header card posted right before a crash instead of posting a second', async () => {
    await h.restartBot({ workers: false });
    const id = incidentIdFrom(await h.command('/incident', 'sev2 Risk engine stale'));
    const name = channelNameFor(id, 'Risk engine stale');
    const channelId = h.slack.addChannel({ name, creator: 'UBOT', members: ['UBOT', USERS.alice] });
    h.slack.addMessage(channelId, { user: 'UBOT', text: 'INC header (posted before the crash)' });
    // The header went out with its idempotency key in message metadata, then the process died.
    const msg = h.slack.channel(channelId)!.messages.at(-1)!;
    msg.metadata = { event_type: 'warroom_post', event_payload: { key: `header-${id}` } };
    await h.sql`update incidents set channel_name = ${name}, channel_id = ${channelId}, topic_set = true, invited = true where id = ${id}`;
    // The channel step had finished; the setup job had started once (and died after posting).
    await h.sql`update work_items set status = 'done' where dedupe_key = ${`channel-${id}`}`;
    await h.sql`insert into work_items (kind, dedupe_key, payload, attempts) values ('warroom.setup', ${`setup-${id}`}, ${h.sql.json({ incidentId: id })}, 1)`;
    await h.restartBot({ workers: true });
    const room = await h.warRoomReady(id);
    expect(room.header_ts).toBe(msg.ts);
    // The card found by its key is the only one; other posts (the escalation timeline) are not cards.
    expect(h.slack.channel(channelId)!.messages.filter((m) => m.text.startsWith('INC header') || m.blocks?.[0]?.type === 'header')).toHaveLength(1);
    expect(h.slack.channel(channelId)!.pins.has(msg.ts)).toBe(true);
  });
});
