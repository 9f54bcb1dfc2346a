import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONCURRENCY, poolSizeFor } from '../../src/adapters/postgres/pool-size.js';
import { ACTION, encodeRoleTarget } from '../../src/adapters/slack/ids.js';
import { incidentIdFrom, SHORT_QUEUE, startHarness, USERS, type Harness } from '../support/harness.js';

/**
 * The card re-render (`incident.sync`) holds a transaction and an advisory lock across Slack
 * calls. With Slack slow, fill every work-queue slot with such a job on a pool at its configured
 * size: every job completes, and a slash command still acks within Slack's 3 seconds.
 */
const CONCURRENCY = 6;
const POOL_MAX = poolSizeFor({ ...DEFAULT_CONCURRENCY, work: CONCURRENCY });
const SLACK_DELAY_MS = 1500;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ queue: { ...SHORT_QUEUE, concurrency: CONCURRENCY }, bot: { dbPoolMax: POOL_MAX } });
});
afterAll(async () => {
  h?.slack.setLatency(0, 'chat.update');
  await h?.stop();
});

/** Card-render sections in progress: transaction-level advisory locks of class 2 held now. */
const sectionsHeld = async () =>
  (await h.sql`select count(*)::int as n from pg_locks l join pg_database d on d.oid = l.database
               where d.datname = current_database() and l.locktype = 'advisory' and l.classid = 2 and l.granted`)[0]!['n'] as number;
const botConnections = async () =>
  (await h.sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'warroom'`)[0]!['n'] as number;

describe('slow Slack with every worker in an exclusive section', () => {
  it('every job completes and an ack still answers within 3 s', async () => {
    const rooms: Array<{ id: number; channel: string; header: string }> = [];
    for (let i = 0; i < CONCURRENCY; i++) {
      const id = incidentIdFrom(await h.command('/incident', `sev4 Pool check ${i}`, { user: USERS.bob }));
      const room = await h.warRoomReady(id, 20_000);
      rooms.push({ id, channel: room.channel_id, header: room.header_ts });
    }

    h.slack.setLatency(SLACK_DELAY_MS, 'chat.update');
    // Each click queues a re-render of that incident's card; each re-render updates two messages.
    for (const r of rooms) {
      const click = await h.clickInMessage(r.channel, r.header, ACTION.roleTake, USERS.alice, { value: encodeRoleTarget(r.id, 'incident_commander') });
      expect(click.status).toBe(200);
    }

    // Wait on Postgres state: all worker slots inside a card-render section at once.
    await h.slack.waitFor(async () => (await sectionsHeld()) === CONCURRENCY, 20_000, `${CONCURRENCY} sections held at once`);
    expect(await botConnections()).toBeLessThanOrEqual(POOL_MAX);

    // Meanwhile a declaration (a transaction of its own) is acknowledged in time.
    const started = performance.now();
    const ack = await h.command('/incident', 'sev4 Declared while the pool is busy', { user: USERS.carol });
    const ackMs = performance.now() - started;
    expect(ack.status).toBe(200);
    expect(ack.body.text).toMatch(/Declaring INC-\d+/);
    expect(ackMs).toBeLessThan(3000);
    expect(await sectionsHeld()).toBeGreaterThan(0); // the ack did not just wait for the jobs to end

    // Every re-render completes: each card shows its new IC and is marked rendered.
    await h.slack.waitFor(
      async () => {
        const rows = await h.sql`select id from incidents where id = any(${rooms.map((r) => r.id)}) and rendered_version = version`;
        return rows.length === CONCURRENCY;
      },
      30_000,
      'all cards rendered',
    );
    for (const r of rooms) {
      const card = h.slack.channel(r.channel)!.messages.find((m) => m.ts === r.header)!;
      expect(JSON.stringify(card.blocks)).toContain(`*Incident Commander*: <@${USERS.alice}>`);
    }
    expect(await botConnections()).toBeLessThanOrEqual(POOL_MAX);
  });
});
