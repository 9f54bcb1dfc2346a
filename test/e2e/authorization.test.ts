import { DateTime } from 'luxon';
import { ET } from '../support/instants.js';
import { describe, expect, it } from 'vitest';
import { ACTION, encodeRoleTarget } from '../../src/adapters/slack/ids.js';
import { GATE_ONLY_TOKEN, incidentIdFrom, useHarness, USERS } from '../support/harness.js';

const h = useHarness();

/** The matrix of docs/security.md, one row at a time. */
describe('authorization matrix (policy-driven)', () => {
  it('resolve and severity change: the IC, the declarer or @sre-managers — others are refused and audited', async () => {
    const id = incidentIdFrom(await h.command('/incident', 'sev2 Who may resolve', { user: USERS.bob }));
    const room = await h.warRoomReady(id);
    // Carol holds no role, did not declare, is not an SRE manager.
    const sev = await h.command('/incident', 'sev1 it is worse', { channel: room.channel_id, user: USERS.carol });
    expect(sev.body.text).toBe(`:warning: Only Incident Commander, Technical Lead, the declarer, @sre-managers may change the severity of INC-${id}.`);
    const res = await h.command('/incident', 'resolve done', { channel: room.channel_id, user: USERS.carol });
    expect(res.body.text).toBe(`:warning: Only Incident Commander, the declarer, @sre-managers may resolve INC-${id}.`);
    const denied = await h.sql`select actor, data->>'attempted' as what from audit_trail where incident_id = ${id} and action = 'incident.denied' order by ord`;
    expect(denied.map((d) => [d['actor'], d['what']])).toEqual([[USERS.carol, 'change_severity'], [USERS.carol, 'resolve']]);
    const [state] = await h.sql`select severity, status from incidents where id = ${id}`;
    expect(state).toMatchObject({ severity: 'sev2', status: 'open' });
    // The technical lead may change severity; an SRE manager may resolve.
    await h.clickInMessage(room.channel_id, room.header_ts, ACTION.roleAssign, USERS.bob, { blockId: encodeRoleTarget(id, 'technical_lead'), selectedUser: USERS.carol });
    await h.slack.waitFor(async () => (await h.sql`select roles->'technical_lead'->>'userId' as tl from incidents where id = ${id}`)[0]!['tl'] === USERS.carol, 5000, 'carol is tech lead');
    expect((await h.command('/incident', 'sev1 it is worse', { channel: room.channel_id, user: USERS.carol })).body.text).toContain('changed from SEV2 to SEV1');
    expect((await h.command('/incident', 'resolve fixed', { channel: room.channel_id, user: USERS.erin })).body.text).toContain(`INC-${id} resolved`);
  });

  it('HTTP API tokens carry scopes: a deploy-gate token cannot complete compliance runs', async () => {
    expect((await h.api('/api/v1/deploy-window?type=standard&service=payments', GATE_ONLY_TOKEN)).status).not.toBe(401);
    const today = DateTime.now().setZone(ET).toISODate();
    const r = await fetch(`${h.bot.url}/api/v1/compliance/tasks/finra-cat/runs/${today}/complete`, { method: 'POST', headers: { authorization: `Bearer ${GATE_ONLY_TOKEN}` }, body: '{}' });
    expect(r.status).toBe(401);
  });
});

describe('group membership in the ack path', () => {
  it('a group member is answered from the one-minute membership cache, and someone just added is let in', async () => {
    const managers = () => h.slack.calls('usergroups.users.list').filter((c) => c.args['usergroup'] === 'SSREMGRS1').length;
    const declare = async (title: string) => {
      const id = incidentIdFrom(await h.command('/incident', `sev3 ${title}`, { user: USERS.bob }));
      return { id, room: await h.warRoomReady(id) };
    };
    const a = await declare('Membership cache one');
    const b = await declare('Membership cache two');
    expect((await h.command('/incident', 'resolve fixed', { channel: a.room.channel_id, user: USERS.erin })).body.text).toContain(`INC-${a.id} resolved`);
    // Erin's membership was read at most once (at start, or for the first resolve): the second
    // resolve is answered without asking Slack before the ack.
    const before = managers();
    expect((await h.command('/incident', 'resolve fixed', { channel: b.room.channel_id, user: USERS.erin })).body.text).toContain(`INC-${b.id} resolved`);
    expect(managers()).toBe(before);

    // Carol joins @sre-managers: a "no" is checked again (at most every 5 s), so she is not
    // refused for the rest of the minute.
    const c = await declare('Membership cache three');
    h.slack.addUserGroup({ id: 'SSREMGRS1', handle: 'sre-managers', users: [USERS.erin, USERS.carol] });
    try {
      await h.slack.waitFor(
        async () => (await h.command('/incident', 'resolve fixed', { channel: c.room.channel_id, user: USERS.carol })).body.text.includes(`INC-${c.id} resolved`),
        15_000,
        'carol, just added to @sre-managers, may resolve',
      );
    } finally {
      h.slack.addUserGroup({ id: 'SSREMGRS1', handle: 'sre-managers', users: [USERS.erin] });
    }
  }, 60_000);
});
