import { SlackHealth } from '../../src/adapters/slack/slack-health.js';
import { describe, expect, it } from 'vitest';
import { incidentIdFrom, SHORT_QUEUE, useHarness, USERS } from '../support/harness.js';
import { nothingMoreWithin, TIMER_GRACE_MS } from '../support/quiet.js';

const h = useHarness({ proxyDatabase: true });

const ready = async () => {
  const r = await fetch(`${h.bot.url}/readyz`);
  return { status: r.status, body: (await r.json()) as { checks: Record<string, string> } };
};

describe('Postgres unavailable', () => {
  it('commands answer within 3 s with "can\'t record this right now", /readyz goes 503, and it recovers by itself', async () => {
    // Something accepted before the outage…
    const before = incidentIdFrom(await h.command('/incident', 'sev3 Accepted before the outage'));
    h.pgProxy!.cut();
    const started = performance.now();
    const r = await h.command('/incident', 'sev2 During the outage', { user: USERS.bob });
    const ms = performance.now() - started;
    expect(r.status).toBe(200);
    expect(ms).toBeLessThan(3000);
    expect(r.body.response_type).toBe('ephemeral');
    expect(r.body.text).toMatch(/I can't record this right now|couldn't confirm this within Slack's 3 seconds/);
    const dw = await h.command('/deploy-window', 'standard');
    expect(dw.body.text).toMatch(/can't record this right now|couldn't confirm/);
    const down = await ready();
    expect(down.status).toBe(503);
    expect(down.body.checks['postgres']).not.toBe('ok');
    expect((await fetch(`${h.bot.url}/healthz`)).status).toBe(200);

    h.pgProxy!.restore();
    await h.slack.waitFor(async () => (await ready()).status === 200, 10_000, 'ready again');
    const after = await h.command('/incident', 'sev2 After the outage', { user: USERS.bob });
    expect(after.body.text).toMatch(/Declaring INC-\d+/);
    // …and nothing accepted before it is lost: its war room is complete.
    const room = await h.warRoomReady(before, 15_000).catch(async (err: Error) => {
      const state = await h.sql`select ready_at, failed_at, channel_id, topic_set, invited, header_ts, pinned, announce_ts, rendered_version, version from incidents where id = ${before}`;
      const work = await h.sql`select kind, status, attempts, last_error from work_items order by id`;
      throw new Error(`${err.message}\nstate: ${JSON.stringify(state)}\nwork: ${JSON.stringify(work)}`);
    });
    expect(room.channel_id).toBeTruthy();
    const [{ n }] = await h.sql`select count(*)::int as n from incidents where title = 'During the outage'` as unknown as [{ n: number }];
    expect(n).toBe(0);
  }, 40_000);
});

describe('Postgres down for longer than the work retries', () => {
  it('work that used up its retries on Postgres errors is queued again once Postgres is back', async () => {
    // Slack is slow to create the channel, so the war-room work is in flight when Postgres goes.
    h.slack.setLatency(300, 'conversations.create');
    const id = incidentIdFrom(await h.command('/incident', 'sev4 Outlives the retries', { user: USERS.bob }));
    h.pgProxy!.cut();
    // Every retry of the work (SHORT_QUEUE: attempts with exponential backoff) fails while cut.
    const retries = Array.from({ length: SHORT_QUEUE.attempts }, (_, i) => SHORT_QUEUE.backoffMs * 2 ** i).reduce((a, b) => a + b, 0);
    await nothingMoreWithin(retries + TIMER_GRACE_MS, 'work succeeding while Postgres is cut');
    h.pgProxy!.restore();
    h.slack.setLatency(0, 'conversations.create');
    const room = await h.warRoomReady(id, 15_000);
    expect(h.slack.channel(room.channel_id)!.pins.size).toBe(1);
  }, 40_000);
});

describe('Slack trouble', () => {
  it('a revoked token: a loud log, /readyz 503 naming it, no crash; it recovers when the token works again', async () => {
    h.slack.revokeToken();
    const id = incidentIdFrom(await h.command('/incident', 'sev4 Token revoked meanwhile'));
    await h.slack.waitFor(async () => (await ready()).body.checks['slack'] === 'invalid_auth', 8000, 'readyz names invalid_auth');
    expect((await ready()).status).toBe(503);
    expect(h.logs.join('')).toContain('Slack rejects the bot token');
    expect((await fetch(`${h.bot.url}/healthz`)).status).toBe(200);
    // The token works again: without a restart, /readyz turns 200 and the work owed meanwhile
    // (retried with backoff, not dropped) goes out: the incident declared during the outage gets
    // its war room.
    await h.slack.waitFor(() => h.slack.calls('conversations.create').some((c) => c.error === 'invalid_auth') || null, 10_000, 'the setup refused while the token was revoked');
    h.slack.restoreToken();
    await h.slack.waitFor(async () => (await ready()).status === 200, SlackHealth.MAX_RECHECK_MS + 5000, 'readyz 200 again');
    expect(h.logs.join('')).toContain('connected to Slack');
    const room = await h.warRoomReady(id, 30_000);
    expect(h.slack.channel(room.channel_id)!.pins.size).toBe(1);
    const [failed] = await h.sql`select count(*)::int as n from audit_trail where action = 'warroom.failed' and incident_id = ${id}`;
    expect(failed!['n']).toBe(0);
  }, 60_000);

  it('slow Slack (2 s per call): acks stay fast, the war room is built anyway', async () => {
    h.slack.reset();
    const { seedWorkspace } = await import('../support/harness.js');
    seedWorkspace(h.slack);
    await h.restartBot();
    h.slack.setLatency(2000);
    try {
      const started = performance.now();
      const ack = await h.command('/incident', 'sev4 Slack is slow');
      expect(performance.now() - started).toBeLessThan(1000);
      const room = await h.warRoomReady(incidentIdFrom(ack), 30_000);
      expect(h.slack.channel(room.channel_id)!.pins.size).toBe(1);
    } finally {
      h.slack.setLatency(0);
    }
  }, 45_000);

  it('429 with Retry-After on every write method: everything lands, once', async () => {
    for (const m of ['conversations.create', 'conversations.setTopic', 'conversations.invite', 'chat.postMessage', 'pins.add', 'chat.update']) h.slack.failNext(m, { status: 429, retryAfter: 1 });
    const id = incidentIdFrom(await h.command('/incident', 'sev4 Rate limited everywhere'));
    const room = await h.warRoomReady(id, 20_000);
    const ch = h.slack.channel(room.channel_id)!;
    expect(ch.messages.filter((m) => m.blocks?.[0]?.type === 'header')).toHaveLength(1);
    expect(h.slack.channels().filter((c) => c.name.startsWith(`inc-${id}-`))).toHaveLength(1);
    expect(h.slack.channel('incidents')!.messages.filter((m) => m.text.includes(`INC-${id}:`))).toHaveLength(1);
  }, 30_000);
});
