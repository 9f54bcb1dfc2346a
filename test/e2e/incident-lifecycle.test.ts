import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION, encodeRoleTarget } from '../../src/adapters/slack/ids.js';
import { incidentIdFrom, startHarness, USERS, type Harness } from '../support/harness.js';

let h: Harness;
let id: number;
let channel: string;
let headerTs: string;

const header = () => h.slack.channel(channel)!.messages.find((m) => m.ts === headerTs)!;
const headerText = () => JSON.stringify(header().blocks);
const holderLine = (label: string) => (header().blocks as any[]).find((b) => b.type === 'section' && b.text?.text?.startsWith(`*${label}*`))?.text.text as string;
const lastResponse = () => h.slack.responses().at(-1)?.body;

beforeAll(async () => {
  h = await startHarness();
  id = incidentIdFrom(await h.command('/incident', 'sev1 Order routing down for equities', { user: USERS.dave }));
  const room = await h.warRoomReady(id);
  channel = room.channel_id;
  headerTs = room.header_ts;
});
afterAll(async () => {
  await h?.stop();
});

describe('roles on the header card', () => {
  it('"Take" gives the role to the clicker: card updated in place, topic follows the IC, notice, audit', async () => {
    const r = await h.clickInMessage(channel, headerTs, ACTION.roleTake, USERS.alice, { value: encodeRoleTarget(id, 'incident_commander') });
    expect(r.status).toBe(200);
    await h.slack.waitFor(() => holderLine('Incident Commander')?.includes(`<@${USERS.alice}>`), 5000, 'card shows Alice as IC');
    await h.slack.waitFor(() => h.slack.channel(channel)!.topic.includes(`IC: <@${USERS.alice}>`), 5000, 'topic follows IC');
    await h.slack.waitFor(() => h.slack.channel(channel)!.messages.some((m) => m.text === `<@${USERS.alice}> is now Incident Commander`), 5000, 'notice');
    expect(h.slack.channel(channel)!.messages.filter((m) => m.blocks?.[0]?.type === 'header')).toHaveLength(1);
    const [row] = await h.sql`select actor, data from audit_trail where incident_id = ${id} and action = 'role.assigned' order by ord desc limit 1`;
    expect(row).toMatchObject({ actor: USERS.alice, data: { role: 'incident_commander', previous: null, next: USERS.alice } });
  });

  it('"Assign…" gives each remaining role to the picked user and invites them', async () => {
    const picks: Array<[string, string, string]> = [
      ['technical_lead', USERS.bob, 'Technical Lead'],
      ['communications_lead', USERS.carol, 'Communications Lead'],
      ['business_lead', USERS.dave, 'Business Lead'],
    ];
    for (const [role, user] of picks) {
      const r = await h.clickInMessage(channel, headerTs, ACTION.roleAssign, USERS.alice, { blockId: encodeRoleTarget(id, role), selectedUser: user });
      expect(r.status).toBe(200);
    }
    for (const [, user, label] of picks) {
      await h.slack.waitFor(() => holderLine(label)?.includes(`<@${user}>`), 5000, `${label} on the card`);
      await h.slack.waitFor(() => h.slack.channel(channel)!.messages.some((m) => m.text === `<@${user}> is now ${label}, assigned by <@${USERS.alice}>`), 5000, `${label} notice`);
    }
    // Carol was not a default responder: assigning invited her.
    await h.slack.waitFor(() => h.slack.channel(channel)!.members.has(USERS.carol), 5000, 'Carol invited');
  });

  it('a double click changes nothing and says so', async () => {
    const before = (await h.sql`select count(*)::int as n from audit_trail where incident_id = ${id}`)[0]!['n'];
    await h.clickInMessage(channel, headerTs, ACTION.roleTake, USERS.alice, { value: encodeRoleTarget(id, 'incident_commander') });
    await h.slack.waitFor(() => lastResponse()?.text === 'You already are Incident Commander.', 5000, 'ephemeral');
    expect(lastResponse().response_type).toBe('ephemeral');
    const after = (await h.sql`select count(*)::int as n from audit_trail where incident_id = ${id}`)[0]!['n'];
    expect(after).toBe(before);
  });

  it('handover keeps the previous holder in the timeline', async () => {
    await h.clickInMessage(channel, headerTs, ACTION.roleTake, USERS.erin, { value: encodeRoleTarget(id, 'incident_commander') });
    await h.slack.waitFor(() => h.slack.channel(channel)!.messages.some((m) => m.text === `<@${USERS.erin}> is now Incident Commander (took over from <@${USERS.alice}>)`), 5000, 'handover notice');
    await h.slack.waitFor(() => h.slack.channel(channel)!.topic.includes(`IC: <@${USERS.erin}>`), 5000, 'topic');
    const tl = await h.command('/incident', 'timeline', { channel, user: USERS.erin });
    expect(tl.body.response_type).toBe('ephemeral');
    expect(tl.body.text).toContain(`Incident Commander → <@${USERS.erin}> (was <@${USERS.alice}>)`);
    expect(tl.body.text).toContain(`Incident Commander → <@${USERS.alice}>`);
  });

  it('a stale or forged button value gets a polite ephemeral and changes nothing', async () => {
    await h.clickInMessage(channel, headerTs, ACTION.roleTake, USERS.bob, { value: 'role|999999|incident_commander' });
    await h.slack.waitFor(() => lastResponse()?.text?.includes('INC-999999 does not exist'), 5000, 'unknown incident');
    await h.clickInMessage(channel, headerTs, ACTION.roleTake, USERS.bob, { value: 'garbage' });
    await h.slack.waitFor(() => lastResponse()?.text?.includes('not one of mine'), 5000, 'bad action');
  });
});

describe('war-room commands', () => {
  it('status posts an update in the channel and on the card', async () => {
    const r = await h.command('/incident', 'status failover to DC2 in progress <!here>', { channel, user: USERS.erin });
    expect(r.body.text).toBe('Status update posted.');
    await h.slack.waitFor(() => h.slack.channel(channel)!.messages.some((m) => m.text.includes('failover to DC2 in progress &lt;!here&gt;')), 5000, 'status in channel');
    await h.slack.waitFor(() => headerText().includes('Latest status:* failover to DC2'), 5000, 'status on card');
  });

  it('severity change updates card and topic and is announced', async () => {
    const r = await h.command('/incident', 'sev2 partial: only options routing affected', { channel, user: USERS.erin });
    expect(r.body.text).toMatch(/changed from SEV1 to SEV2 High/);
    await h.slack.waitFor(() => h.slack.channel(channel)!.topic.startsWith('SEV2 High | OPEN'), 5000, 'topic');
    await h.slack.waitFor(() => header().blocks![0].text.text.includes('SEV2 High'), 5000, 'card');
    await h.slack.waitFor(() => h.slack.channel('incidents')!.messages.some((m) => m.text.includes(`INC-${id}: :rotating_light: Severity changed SEV1 → *SEV2 High*`)), 5000, 'announced');
    const same = await h.command('/incident', 'sev2 again', { channel, user: USERS.erin });
    expect(same.body.text).toContain(`INC-${id} is already SEV2`);
  });

  it('resolve updates card, topic and announcement; later changes are refused', async () => {
    const r = await h.command('/incident', 'resolve routing restored after failover', { channel, user: USERS.erin });
    expect(r.body.text).toContain(`INC-${id} resolved`);
    await h.slack.waitFor(() => h.slack.channel(channel)!.topic.includes('| RESOLVED |'), 5000, 'topic');
    await h.slack.waitFor(() => headerText().includes('routing restored after failover') && !headerText().includes('"actions"'), 5000, 'card resolved, buttons gone');
    const ann = h.slack.channel('incidents')!.messages.find((m) => m.text.includes(`INC-${id}:`) && m.text.includes('declared'));
    await h.slack.waitFor(() => h.slack.channel('incidents')!.messages.some((m) => m.text.includes(`:white_check_mark: *Resolved* INC-${id}`)), 5000, 'announcement updated');
    expect(ann === undefined || ann.edited).toBeTruthy();
    const again = await h.command('/incident', 'status still here', { channel, user: USERS.erin });
    expect(again.body.text).toContain('already resolved');
    const tl = await h.command('/incident', 'timeline', { channel });
    for (const what of ['declared SEV1', 'status: failover', 'severity SEV1 → SEV2', 'resolved: routing restored', 'opened the war room']) expect(tl.body.text).toContain(what);
  });
});
