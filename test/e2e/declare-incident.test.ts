import { describe, expect, it } from 'vitest';
import { incidentIdFrom, useHarness, USERS } from '../support/harness.js';

const h = useHarness();

describe('/incident sev1 <title> (fast path)', () => {
  it('acks at once with the number, then opens, fills and announces the war room', async () => {
    const ack = await h.command('/incident', 'sev1 Order routing down for equities', { user: USERS.bob });
    expect(ack.status).toBe(200);
    expect(ack.body.response_type).toBe('ephemeral');
    expect(ack.body.text).toMatch(/Declaring INC-\d+ \(SEV1 Critical\)/);
    const id = incidentIdFrom(ack);

    const room = await h.warRoomReady(id);
    expect(room.channel_name).toBe(`inc-${id}-order-routing-down-for-equities`);
    const ch = h.slack.channel(room.channel_id)!;
    expect(ch.isPrivate).toBe(false);
    // topic: severity, status, IC
    expect(ch.topic).toContain('SEV1 Critical | OPEN | IC: unassigned');
    // declarer + default responders (sev1: sre-oncall + trading-oncall groups)
    for (const u of [USERS.bob, USERS.alice, USERS.erin]) expect(ch.members.has(u)).toBe(true);
    expect(ch.members.has(USERS.carol)).toBe(false);
    // header card posted and pinned, one row per role with Take + Assign
    const header = ch.messages.find((m) => m.ts === room.header_ts)!;
    expect(ch.pins.has(room.header_ts)).toBe(true);
    const blocks = JSON.stringify(header.blocks);
    for (const label of ['Incident Commander', 'Technical Lead', 'Communications Lead', 'Business Lead']) expect(blocks).toContain(label);
    expect(header.blocks!.filter((b: any) => b.type === 'actions' && b.block_id.startsWith('role|'))).toHaveLength(4);
    expect(blocks).toContain('Acknowledge (respond by');
    expect(blocks).toContain('Respond by');
    expect(blocks).toMatch(/\d\d:\d\d:\d\d ET/);
    expect(blocks).toContain(`<@${USERS.bob}>`);
    // announcement with a link to the war room, mentioning the Sev1 group
    const ann = h.slack.channel('incidents')!.messages.at(-1)!;
    expect(ann.text).toContain(`INC-${id}`);
    expect(ann.text).toContain('<!subteam^SSEV1RESP>');
    expect(JSON.stringify(ann.blocks)).toContain(`<#${room.channel_id}>`);
    // audited
    const [declared] = await h.sql`select action, actor from audit_trail where incident_id = ${id} order by ord limit 1`;
    expect(declared).toMatchObject({ action: 'incident.declared', actor: USERS.bob });
  });

  it('escapes user text so a title cannot ping anyone', async () => {
    const ack = await h.command('/incident', 'sev3 <!channel> <@UALICE01> & <!subteam^SSEV1RESP> broke', { user: USERS.bob });
    const id = incidentIdFrom(ack);
    const room = await h.warRoomReady(id);
    const header = h.slack.channel(room.channel_id)!.messages.find((m) => m.ts === room.header_ts)!;
    const all = JSON.stringify(header.blocks) + h.slack.channel('incidents')!.messages.at(-1)!.text;
    expect(all).toContain('&lt;!channel&gt;');
    expect(all).not.toContain('<!channel>');
    expect(all).toContain('&lt;@UALICE01&gt; &amp;');
    expect(all).not.toContain('<!subteam^SSEV1RESP> broke');
  });

  it('a retried request (same trigger, x-slack-retry-num) declares one incident', async () => {
    const first = await h.command('/incident', 'sev2 Options quotes delayed', { triggerId: 'trig-retry-1' });
    const again = await h.command('/incident', 'sev2 Options quotes delayed', { triggerId: 'trig-retry-1', headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
    expect(incidentIdFrom(again)).toBe(incidentIdFrom(first));
    const n = (await h.sql`select count(*)::int as n from incidents where title = 'Options quotes delayed'`)[0]!['n'];
    expect(n).toBe(1);
    const room = await h.warRoomReady(incidentIdFrom(first));
    expect(h.slack.channels().filter((c) => c.name.startsWith(`inc-${incidentIdFrom(first)}-`))).toHaveLength(1);
    expect(room.channel_name).toBe(`inc-${incidentIdFrom(first)}-options-quotes-delayed`);
  });
});
