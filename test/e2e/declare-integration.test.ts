import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Declarer } from '../../src/domain/declarer.js';
import { useHarness, USERS } from '../support/harness.js';

/**
 * An incident declared by an integration (an alert route, an API client) rather than a Slack
 * user, through the same `declareIncident` use case the Slack listeners call.
 */
const h = useHarness();

const ALERTS: Declarer = { kind: 'integration', source: 'alertmanager', name: 'Alertmanager — payments route' };
const SEEDED = new Set<string>(Object.values(USERS));

const declare = (severity: string, title: string) =>
  h.bot.declareIncident({ requestKey: `alertmanager:${randomUUID()}`, severity, title, declarer: ALERTS });

/** Every Slack call that addresses users directly: DMs (chat.postMessage to a user id), IM opens, invitations. */
function userTargets(): string[] {
  const out: string[] = [];
  for (const c of h.slack.calls()) {
    const a = c.args as Record<string, unknown>;
    if (c.method === 'chat.postMessage' && typeof a['channel'] === 'string' && /^[UW]/.test(a['channel'])) out.push(a['channel']);
    if ((c.method === 'conversations.open' || c.method === 'conversations.invite') && typeof a['users'] === 'string') out.push(...a['users'].split(','));
  }
  return out;
}

const announcementsMention = (text: string) => h.slack.channel('incidents')!.messages.some((m) => `${m.text} ${JSON.stringify(m.blocks ?? [])}`.includes(text));

describe('an integration declares an incident', () => {
  it('opens the war room, says who declared it, DMs nobody fake, audits the integration and starts escalation', async () => {
    const { incident, created } = await declare('sev1', 'Card payments failing');
    expect(created).toBe(true);
    const id = incident.id;
    const room = await h.warRoomReady(id);

    // The war room: sev1 default responders invited, no declaring user to add.
    const ch = h.slack.channel(room.channel_id)!;
    for (const u of [USERS.alice, USERS.erin, USERS.bob]) expect(ch.members.has(u)).toBe(true);

    // The card and the announcement name the integration.
    const header = ch.messages.find((m) => m.ts === room.header_ts)!;
    expect(JSON.stringify(header.blocks)).toContain('*Declared by*\\nAlertmanager — payments route, ');
    await h.slack.waitFor(() => announcementsMention(`declared by Alertmanager — payments route at`), 5000, 'announcement');

    // The audit trail's actor names the integration.
    const [declared] = await h.sql`select actor, data from audit_trail where incident_id = ${id} and action = 'incident.declared'`;
    expect(declared!['actor']).toBe('integration:alertmanager');
    expect(declared!['data']).toMatchObject({ declarer: { kind: 'integration', source: 'alertmanager', name: 'Alertmanager — payments route' } });
    const [row] = await h.sql`select declared_by, declarer_kind, declarer_name from incidents where id = ${id}`;
    expect(row).toEqual({ declared_by: 'alertmanager', declarer_kind: 'integration', declarer_name: 'Alertmanager — payments route' });

    // Escalation started: the page went out, naming the integration, and the executives heard of it.
    await h.pagerduty.waitFor(() => h.pagerduty.events({ action: 'trigger', dedupKey: `warroom-INC-${id}`, status: 202 }).length === 1, 5000, 'page');
    const page = h.pagerduty.events({ action: 'trigger', dedupKey: `warroom-INC-${id}` })[0]!.body!;
    expect(page.payload.custom_details).toMatchObject({ declared_by: 'integration:alertmanager' });
    await h.slack.waitFor(() => h.slack.dms(USERS.heidi).some((m) => m.text.includes(`INC-${id}`) && m.text.includes('by Alertmanager — payments route.')), 5000, 'executive DM');
    // Step 0 recorded as fired (Postgres state, polled).
    await h.slack.waitFor(async () => (await h.sql`select 1 from escalation_steps where incident_id = ${id} and step_index = 0 and status in ('sent', 'partial')`).length === 1, 5000, 'step 0 fired');

    // No DM, IM or invitation was ever aimed at anything but a real workspace user.
    const targets = userTargets();
    expect(targets.length).toBeGreaterThan(0);
    for (const t of targets) expect(SEEDED.has(t as never), t).toBe(true);
    expect(JSON.stringify(h.slack.calls().map((c) => c.args))).not.toContain('integration:alertmanager');

    // The same alert delivered again declares nothing new.
    const again = await h.bot.declareIncident({ requestKey: `dup-${id}`, severity: 'sev1', title: 'Card payments failing', declarer: ALERTS });
    const repeat = await h.bot.declareIncident({ requestKey: `dup-${id}`, severity: 'sev1', title: 'Card payments failing', declarer: ALERTS });
    expect(repeat).toMatchObject({ created: false, incident: { id: again.incident.id } });
  });

  it('no Slack user is "the declarer" of an integration incident', async () => {
    const { incident } = await declare('sev3', 'Statement job slow');
    const room = await h.warRoomReady(incident.id);
    // permissions.resolve lets the declarer resolve; nobody inherits that from an integration.
    const r = await h.command('/incident', 'resolve recovered', { user: USERS.dave, channel: room.channel_id });
    expect(r.body.text).toMatch(new RegExp(`Only .*the declarer.* may resolve INC-${incident.id}`));
    const [inc] = await h.sql`select status from incidents where id = ${incident.id}`;
    expect(inc!['status']).toBe('open');
  });

  it('a bad integration declarer is refused before anything is recorded', async () => {
    const before = (await h.sql`select count(*)::int as n from incidents`)[0]!['n'];
    await expect(h.bot.declareIncident({ requestKey: randomUUID(), severity: 'sev3', title: 'x', declarer: { kind: 'integration', source: 'Bad Source!', name: 'x' } })).rejects.toMatchObject({ code: 'bad_declarer' });
    await expect(h.bot.declareIncident({ requestKey: randomUUID(), severity: 'sev3', title: 'x', declarer: { kind: 'integration', source: 'ok', name: ' ' } })).rejects.toMatchObject({ code: 'bad_declarer' });
    expect((await h.sql`select count(*)::int as n from incidents`)[0]!['n']).toBe(before);
  });

  it('a queued room (Slack rate limit) is announced in the announcements channel, not DMed', async () => {
    h.slack.failNext('conversations.create', { status: 429, retryAfter: 1 });
    const { incident } = await declare('sev4', 'Report footer typo');
    await h.slack.waitFor(() => announcementsMention(`the war room for INC-${incident.id} is queued`) && announcementsMention('(Declared by Alertmanager — payments route.)'), 8000, 'queued notice');
    await h.warRoomReady(incident.id);
    for (const t of userTargets()) expect(SEEDED.has(t as never), t).toBe(true);
  });

  it('a war room that cannot be built is reported in the announcements channel, and no DM is attempted', async () => {
    h.slack.failNext('conversations.create', { error: 'restricted_action' });
    const { incident } = await declare('sev2', 'Rooms cannot be created');
    await h.slack.waitFor(() => announcementsMention(`The war room for INC-${incident.id} could not be set up`), 8000, 'told #incidents');
    // The reports are queued first, then the failure is recorded (a crash in between re-runs both).
    const row = await h.slack.waitFor(async () => (await h.sql`select actor from audit_trail where incident_id = ${incident.id} and action = 'warroom.failed'`)[0], 5000, 'failure audited');
    expect(row['actor']).toBe('warroom');
    for (const t of userTargets()) expect(SEEDED.has(t as never), t).toBe(true);
  });
});
