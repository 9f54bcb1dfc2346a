import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../src/adapters/redis/connections.js';
import { DEFAULT_POLICY_PATH } from '../../src/config/policy-schema.js';
import { ChildBot, freePort } from '../support/child-bot.js';
import { ADMIN_URL, databaseUrl, dropDatabase, REDIS_URL, uniqueName, withAdmin } from '../support/databases.js';
import { sign, startHarness, USERS, type Harness } from '../support/harness.js';
import { TcpProxy } from '../support/tcp-proxy.js';

/**
 * The bot as a real process started while Postgres or Redis is away: it listens at once
 * (`/healthz` 200, `/readyz` 503 naming what it waits for), retries with backoff (1 s, 2 s, 4 s …,
 * one JSON log line per attempt), stops cleanly on SIGTERM, and carries on by itself when the
 * dependency comes back. Every line it prints is JSON.
 */
let h: Harness;
const children: ChildBot[] = [];
const proxies: TcpProxy[] = [];
const databases: string[] = [];
const policyYaml = readFileSync(DEFAULT_POLICY_PATH, 'utf8');

beforeAll(async () => {
  // Fakes, a migrated database and a Redis prefix; the in-process bot runs no workers.
  h = await startHarness({ bot: { workers: false } });
});
afterAll(async () => {
  for (const c of children) await c.kill9().catch(() => undefined);
  for (const p of proxies) await p.stop();
  for (const d of databases) await dropDatabase(d);
  await h?.flushRedis();
  await h?.stop();
});

function child(env: Record<string, string>, dbUrl = h.dbUrl): ChildBot {
  const c = new ChildBot({ dbUrl, redisPrefix: h.redisPrefix, slack: h.slack, pagerduty: h.pagerduty, twilio: h.twilio, policyYaml, pdServices: Object.keys(h.policy.pagerduty.services), env });
  children.push(c);
  return c;
}

const deadPort = freePort;

async function closedProxy(url: string, defaultPort: number): Promise<TcpProxy> {
  const u = new URL(url);
  const p = new TcpProxy(u.hostname, Number(u.port || defaultPort));
  await p.start();
  p.cut(); // accepts and drops every connection until restore()
  proxies.push(p);
  return p;
}

interface LogLine {
  level: number;
  time: number;
  msg: string;
  [k: string]: unknown;
}

/** Every line the process printed on one stream, each parsed as JSON (fails on any other line). */
function jsonLines(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as LogLine;
      } catch {
        throw new Error(`not a JSON log line: ${l}`);
      }
    });
}

const retries = (bot: ChildBot, dependency: string) => jsonLines(bot.stdout).filter((l) => l['dependency'] === dependency && /is not reachable/.test(l.msg));

/** Proves nothing more than the backoff allows happens meanwhile (the only sleep here). */
const observeFor = (ms: number) => sleep(ms);

/**
 * The retry lines follow the backoff: attempts 1, 2, 3 … each announcing retryDelayMs(attempt),
 * no two closer than that delay, and no more of them than the backoff fits into the time seen.
 */
function expectBackoff(lines: LogLine[], until: number): void {
  expect(lines.map((l) => l['attempt'])).toEqual(lines.map((_, i) => i + 1));
  for (const l of lines) expect(l['retryInMs']).toBe(retryDelayMs(l['attempt'] as number));
  for (let i = 1; i < lines.length; i++) expect(lines[i]!.time - lines[i - 1]!.time).toBeGreaterThanOrEqual(retryDelayMs(i) - 5);
  let fits = 1;
  for (let t = lines[0]!.time + retryDelayMs(1); t <= until; t += retryDelayMs(fits)) fits++;
  expect(lines.length).toBeLessThanOrEqual(fits);
}

async function readyz(bot: ChildBot): Promise<{ status: number; checks: Record<string, string> }> {
  const r = await fetch(`${bot.url}/readyz`);
  return { status: r.status, checks: ((await r.json()) as { checks: Record<string, string> }).checks };
}

async function declareOn(bot: ChildBot, text: string, trigger: string): Promise<number> {
  const body = new URLSearchParams({ command: '/incident', text, user_id: USERS.bob, channel_id: h.slack.channel('general')!.id, trigger_id: trigger, response_url: h.slack.responseUrl(trigger) }).toString();
  const res = await fetch(`${bot.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...sign(body) }, body });
  return Number(/INC-(\d+)/.exec(((await res.json()) as { text: string }).text)![1]);
}

describe('Redis unreachable at start', () => {
  it('listens, says so on /readyz, one JSON line per attempt with backoff, exits 0 on SIGTERM', async () => {
    const bot = child({ REDIS_URL: `redis://127.0.0.1:${await deadPort()}` });
    await bot.start({ until: 'listening' });
    expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
    await h.slack.waitFor(() => retries(bot, 'redis').length >= 3, 15_000, 'three attempts');
    const down = await readyz(bot);
    expect(down.status).toBe(503);
    expect(down.checks['redis']).toMatch(/^not reachable: .*ECONNREFUSED/);
    expect(down.checks['postgres']).toBe('ok');
    await observeFor(retryDelayMs(3));
    const seenUntil = Date.now();
    expectBackoff(retries(bot, 'redis'), seenUntil);
    const { code, ms } = await bot.terminate();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(10_000);
    const lines = jsonLines(bot.stdout);
    expect(bot.stderr).toBe('');
    // Nothing else about Redis: no per-connection errors, no stack dumps.
    expect(lines.filter((l) => /redis/i.test(JSON.stringify(l)) && !(l['dependency'] === 'redis' && /is not reachable/.test(l.msg)))).toEqual([]);
    expect(lines.map((l) => l.msg)).toContain('shutting down');
  }, 60_000);

  it('carries on by itself when Redis comes back: workers start, /readyz 200, incidents get war rooms', async () => {
    const proxy = await closedProxy(REDIS_URL, 6379);
    const bot = child({ REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
    await bot.start({ until: 'listening' });
    await h.slack.waitFor(() => retries(bot, 'redis').length >= 2, 15_000, 'two attempts');
    expect((await readyz(bot)).status).toBe(503);
    // Accepted while Redis is away: recorded in Postgres, queued once Redis answers.
    const early = await declareOn(bot, 'sev4 Declared while Redis is away', 'trig-redis-early');
    proxy.restore();
    await h.slack.waitFor(async () => (await readyz(bot)).status === 200, 20_000, 'ready once Redis is back');
    await h.warRoomReady(early, 20_000);
    const later = await declareOn(bot, 'sev4 Declared after Redis came back', 'trig-redis-later');
    await h.warRoomReady(later, 20_000);
    const lines = jsonLines(bot.stdout);
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['warroom is listening', 'redis is reachable', 'warroom is ready']));
    expect((await bot.terminate()).code).toBe(0);
    jsonLines(bot.stdout);
    expect(bot.stderr).toBe('');
  }, 90_000);
});

describe('Postgres unreachable at start', () => {
  it('listens, /readyz names postgres, backoff, SIGTERM exits 0 at once', async () => {
    const bot = child({}, databaseUrl('warroom').replace(/:\d+\//, `:${await deadPort()}/`));
    await bot.start({ until: 'listening' });
    expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
    await h.slack.waitFor(() => retries(bot, 'postgres').length >= 2, 15_000, 'two attempts');
    const down = await readyz(bot);
    expect(down.status).toBe(503);
    expect(down.checks['postgres']).toMatch(/^not reachable: .*ECONNREFUSED/);
    expect(down.checks['redis']).toBe('ok');
    expectBackoff(retries(bot, 'postgres'), Date.now());
    const { code, ms } = await bot.terminate();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(10_000);
    jsonLines(bot.stdout);
    expect(bot.stderr).toBe('');
  }, 60_000);

  it('when it comes back: migrations run, /readyz 200', async () => {
    const name = uniqueName('warroom_start');
    databases.push(name);
    await withAdmin((sql) => sql.unsafe(`create database "${name}"`));
    const proxy = await closedProxy(ADMIN_URL, 5432);
    const viaProxy = new URL(databaseUrl(name));
    viaProxy.port = String(proxy.port);
    const bot = child({}, viaProxy.toString());
    await bot.start({ until: 'listening' });
    await h.slack.waitFor(() => retries(bot, 'postgres').length >= 2, 15_000, 'two attempts');
    expect((await readyz(bot)).checks['postgres']).toMatch(/^not reachable/);
    proxy.restore();
    await h.slack.waitFor(async () => (await readyz(bot)).status === 200, 20_000, 'ready once Postgres is back');
    const sql = postgres(databaseUrl(name), { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql`select count(*)::int as n from drizzle.__drizzle_migrations`;
      expect(row!['n']).toBe(readdirSync('migrations').filter((f) => f.endsWith('.sql')).length);
    } finally {
      await sql.end();
    }
    expect((await bot.terminate()).code).toBe(0);
    jsonLines(bot.stdout);
    expect(bot.stderr).toBe('');
  }, 90_000);
});

describe('a database that does not exist', () => {
  it('exit 78 with the command that creates it; the one plain-text line is that message', async () => {
    const name = uniqueName('warroom_missing');
    const bot = child({}, databaseUrl(name));
    await bot.start({ until: 'listening' }).catch(() => undefined);
    const { code } = await bot.exit;
    expect(code).toBe(78);
    jsonLines(bot.stdout);
    const u = new URL(databaseUrl(name));
    expect(bot.stderr).toBe(
      `warroom cannot start: DATABASE_URL names the database "${name}", which does not exist. Create it (warroom creates its tables itself):\n  createdb -h ${u.hostname}${u.port ? ` -p ${u.port}` : ''} -U ${u.username} ${name}\n`,
    );
    const exists = await withAdmin((sql) => sql`select 1 from pg_database where datname = ${name}`);
    expect(exists).toHaveLength(0);
  }, 60_000);
});
