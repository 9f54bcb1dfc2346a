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
/** Long enough that all the sections overlap (each makes two chat.update calls) even on a loaded machine. */
const SLACK_DELAY_MS = 2500;

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

type Room = { id: number; channel: string; header: string };

async function openRooms(label: string): Promise<Room[]> {
  const rooms: Room[] = [];
  for (let i = 0; i < CONCURRENCY; i++) {
    const id = incidentIdFrom(await h.command('/incident', `sev4 ${label} ${i}`, { user: USERS.bob }));
    const room = await h.warRoomReady(id, 20_000);
    rooms.push({ id, channel: room.channel_id, header: room.header_ts });
  }
  return rooms;
}

/** Slows Slack, then queues one card re-render per room (a role taken) and waits until all hold their section at once. */
async function fillEveryWorker(rooms: Room[], who: string): Promise<void> {
  h.slack.setLatency(SLACK_DELAY_MS, 'chat.update');
  const clicks = await Promise.all(rooms.map((r) => h.clickInMessage(r.channel, r.header, ACTION.roleTake, who, { value: encodeRoleTarget(r.id, 'incident_commander') })));
  for (const click of clicks) expect(click.status).toBe(200);
  // Wait on Postgres state: all worker slots inside a card-render section at once.
  await h.slack.waitFor(async () => (await sectionsHeld()) === CONCURRENCY, 20_000, `${CONCURRENCY} sections held at once`);
}

async function allRendered(rooms: Room[], who: string): Promise<void> {
  await h.slack.waitFor(
    async () => (await h.sql`select id from incidents where id = any(${rooms.map((r) => r.id)}) and rendered_version = version`).length === rooms.length,
    30_000,
    'all cards rendered',
  );
  for (const r of rooms) {
    const card = h.slack.channel(r.channel)!.messages.find((m) => m.ts === r.header)!;
    expect(JSON.stringify(card.blocks)).toContain(`*Incident Commander*: <@${who}>`);
  }
}

describe('slow Slack with every worker in an exclusive section', () => {
  it('every job completes and an ack still answers within 3 s', async () => {
    const rooms = await openRooms('Pool check');
    await fillEveryWorker(rooms, USERS.alice);
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
    await allRendered(rooms, USERS.alice);
    expect(await botConnections()).toBeLessThanOrEqual(POOL_MAX);
  });

  it('even on a pool no bigger than the worker concurrency (no headroom), every section completes', async () => {
    h.slack.setLatency(0, 'chat.update');
    const rooms = await openRooms('Tight pool');
    // A job that held its section's connection and waited for a second one would deadlock here.
    await h.restartBot({ dbPoolMax: CONCURRENCY });
    await fillEveryWorker(rooms, USERS.erin);
    expect(await botConnections()).toBeLessThanOrEqual(CONCURRENCY);
    await allRendered(rooms, USERS.erin);
  });
});
