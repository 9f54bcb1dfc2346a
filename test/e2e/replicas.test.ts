import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION, encodeRoleTarget } from '../../src/adapters/slack/ids.js';
import { incidentIdFrom, sign, startHarness, USERS, type Harness } from '../support/harness.js';
import type { Warroom } from '../../src/server.js';

let h: Harness;
let second: Warroom;

beforeAll(async () => {
  h = await startHarness();
  second = await h.startReplica();
});
afterAll(async () => {
  await h?.stop();
});

async function commandTo(bot: Warroom, text: string, trigger: string) {
  const body = new URLSearchParams({ command: '/incident', text, user_id: USERS.bob, channel_id: h.slack.channel('general')!.id, trigger_id: trigger, response_url: h.slack.responseUrl(trigger) }).toString();
  const res = await fetch(`${bot.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...sign(body) }, body });
  return { status: res.status, body: await res.json() };
}

describe('several replicas behave as one bot', () => {
  it('declarations spread over two replicas each get one channel, one card, one announcement', async () => {
    const acks = await Promise.all(
      Array.from({ length: 12 }, (_, i) => commandTo(i % 2 ? second : h.bot, `sev3 Replica storm ${i}`, `trig-rep-${i}`)),
    );
    // The same request retried against the other replica (a load balancer retry) declares nothing new.
    const retry = await commandTo(second, 'sev3 Replica storm 0', 'trig-rep-0');
    expect(incidentIdFrom(retry)).toBe(incidentIdFrom(acks[0]!));
    const ids = acks.map(incidentIdFrom);
    expect(new Set(ids).size).toBe(12);
    for (const id of ids) {
      const room = await h.warRoomReady(id);
      const ch = h.slack.channel(room.channel_id)!;
      expect(ch.messages.filter((m) => m.blocks?.[0]?.type === 'header')).toHaveLength(1);
      expect(h.slack.channels().filter((c) => c.name.startsWith(`inc-${id}-`))).toHaveLength(1);
      expect(h.slack.channel('incidents')!.messages.filter((m) => m.text.includes(`INC-${id}:`))).toHaveLength(1);
    }
    expect(h.slack.calls('conversations.create')).toHaveLength(12);
  });

  it('racing clicks on both replicas end in one consistent holder, shown on the card', { timeout: 120_000 }, async () => {
    const id = incidentIdFrom(await h.command('/incident', 'sev2 Click race'));
    const room = await h.warRoomReady(id);
    const clickers = [USERS.alice, USERS.bob, USERS.carol, USERS.dave, USERS.erin];
    // Counted from before the burst: a click may be answered while others are still in flight.
    const responsesBefore = h.slack.responses().length;
    // Every other click goes to the other replica, as a load balancer would spread them.
    const acks = await Promise.all(
      Array.from({ length: 40 }, (_, i) => h.clickInMessage(room.channel_id, room.header_ts, ACTION.roleTake, clickers[i % 5]!, { value: encodeRoleTarget(id, 'technical_lead'), to: i % 2 ? second : h.bot })),
    );
    expect(acks.map((a) => a.status)).toEqual(Array(40).fill(200));
    // Clicks are acked before they are applied: wait until each one either changed the role or was told it already had.
    await h.slack.waitFor(async () => {
      const [c] = await h.sql`select count(*)::int as n from audit_trail where incident_id = ${id} and action = 'role.assigned'`;
      const answers = h.slack.responses().slice(responsesBefore);
      const unexpected = answers.filter((r) => !/already (are|is) Technical Lead/.test(r.body?.text ?? ''));
      // A click that failed would never be counted: say so at once instead of timing out.
      if (unexpected.length) throw new Error(`unexpected answers: ${JSON.stringify(unexpected.map((r) => r.body?.text))}\n${h.logs.filter((l) => l.includes('"level":50')).slice(-5).join('')}`);
      if (c!['n'] + answers.length > 40) throw new Error(`more outcomes than clicks: ${c!['n']} changes, ${answers.length} answers`);
      return c!['n'] + answers.length === 40;
    }, 60_000, 'all 40 clicks applied').catch(async (err: Error) => {
      const [c] = await h.sql`select count(*)::int as n from audit_trail where incident_id = ${id} and action = 'role.assigned'`;
      const activity = await h.sql`select state, wait_event_type, left(query, 80) as q from pg_stat_activity where datname = current_database() and state <> 'idle'`;
      throw new Error(`${err.message}\nchanges ${c!['n']}, answers ${h.slack.responses().slice(responsesBefore).length}\nactivity: ${JSON.stringify(activity)}\nlogged: ${h.logs.filter((l) => /"level":(40|50)/.test(l)).slice(-4).join('')}`);
    });
    const [row] = await h.sql`select roles->'technical_lead'->>'userId' as holder from incidents where id = ${id}`;
    const holder = row!['holder'] as string;
    const header = () => h.slack.channel(room.channel_id)!.messages.find((m) => m.ts === room.header_ts)!;
    await h.slack.waitFor(() => JSON.stringify(header().blocks).includes(`*Technical Lead*: <@${holder}>`), 8000, 'card shows final holder');
    // One audit event per actual change, and they chain from the previous holder.
    const changes = await h.sql`select data from audit_trail where incident_id = ${id} and action = 'role.assigned' order by ord`;
    for (let i = 1; i < changes.length; i++) expect(changes[i]!['data'].previous).toBe(changes[i - 1]!['data'].next);
    expect(changes.at(-1)!['data'].next).toBe(holder);
  });
});
