import { createHmac, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import postgres from 'postgres';
import { afterAll, beforeAll, inject } from 'vitest';
import { parseEnv } from '../../src/config/env.js';
import { loadPolicy, parsePolicy } from '../../src/config/policy-schema.js';
import type { Policy } from '../../src/domain/policy.js';
import { createLogger } from '../../src/logger.js';
import { FakeSlack } from '../../src/sandbox/fake-slack.js';
import { pollUntil, readResponse } from '../../src/sandbox/listen.js';
import { FakePagerDuty } from '../../src/sandbox/fake-pagerduty.js';
import { FakeTwilio } from '../../src/sandbox/fake-twilio.js';
import { startWarroom, type Warroom, type WarroomOptions } from '../../src/server.js';
import { cloneDatabase, deleteRedisKeys, redisPrefixFor, REDIS_URL } from './databases.js';
import { TcpProxy } from './tcp-proxy.js';

export const SIGNING_SECRET = 'test-signing-secret-8c1f0e';
export const BOT_TOKEN = 'xoxb-test-token-5d2a9b';

/** The cast: people and groups a brokerage's Slack would have. */
export const USERS = {
  alice: 'UALICE01', // SRE on call
  bob: 'UBOB0002', // trading platform engineer
  carol: 'UCAROL03', // communications
  dave: 'UDAVE004', // business / trading desk
  erin: 'UERIN005', // SRE manager
  frank: 'UFRANK06', // engineering lead
  grace: 'UGRACE07', // CTO
  heidi: 'UHEIDI08', // CEO
  ivan: 'UIVAN009', // COO
} as const;

export const TWILIO = { accountSid: `AC${'0'.repeat(31)}1`, authToken: 'twilio-auth-token-for-tests-9e2b', from: '+12125550000' };
/** A 32-character routing key per PagerDuty service in the policy. */
export const routingKeyFor = (service: string): string => `R${service.replace(/[^a-z0-9]/g, '').padEnd(31, '0').slice(0, 31)}`;

export const GATE_TOKEN = 'gate-token-for-tests-3f9a1c';
export const GATE_ONLY_TOKEN = 'deploy-gate-only-token-77e1';

export function seedWorkspace(slack: FakeSlack): void {
  slack.addUser({ id: USERS.alice, name: 'alice', realName: 'Alice Ng', phone: '+12125550101' });
  slack.addUser({ id: USERS.bob, name: 'bob', realName: 'Bob Osei', phone: '+12125550102' });
  slack.addUser({ id: USERS.carol, name: 'carol', realName: 'Carol Diaz', phone: '+12125550103' });
  slack.addUser({ id: USERS.dave, name: 'dave', realName: 'Dave Kim', phone: '+12125550104' });
  slack.addUser({ id: USERS.erin, name: 'erin', realName: 'Erin Walsh', phone: '+12125550105' });
  slack.addUser({ id: USERS.frank, name: 'frank', realName: 'Frank Moss', phone: '+12125550106' });
  slack.addUser({ id: USERS.grace, name: 'grace', realName: 'Grace Liu', phone: '+12125550107' });
  slack.addUserGroup({ id: 'SENGLEADS', handle: 'eng-leads', users: [USERS.frank, USERS.grace] });
  slack.addUserGroup({ id: 'SCTO00001', handle: 'cto', users: [USERS.grace] });
  slack.addUser({ id: USERS.heidi, name: 'heidi', realName: 'Heidi Park (CEO)', phone: '+12125550108' });
  slack.addUser({ id: USERS.ivan, name: 'ivan', realName: 'Ivan Petrov (COO)', phone: '+12125550109' });
  slack.addUserGroup({ id: 'SEXECS001', handle: 'executives', users: [USERS.heidi, USERS.ivan] });
  slack.addUserGroup({ id: 'SSREMGRS1', handle: 'sre-managers', users: [USERS.erin] });
  slack.addUserGroup({ id: 'SSENIORLD', handle: 'senior-leadership', users: [USERS.heidi, USERS.grace] });
  slack.addUserGroup({ id: 'SCOMPLIAN', handle: 'compliance', users: [USERS.dave] });
  slack.addUserGroup({ id: 'SCMPMGRS1', handle: 'compliance-managers', users: [USERS.grace] });
  slack.addUserGroup({ id: 'SRISK0001', handle: 'risk', users: [USERS.frank] });
  slack.addUserGroup({ id: 'SOPS00001', handle: 'operations', users: [USERS.carol] });
  slack.addUserGroup({ id: 'SCOMMS001', handle: 'communications', users: [USERS.carol] });
  slack.addUserGroup({ id: 'SSREONCALL', handle: 'sre-oncall', users: [USERS.alice, USERS.erin] });
  slack.addUserGroup({ id: 'STRADINGOC', handle: 'trading-oncall', users: [USERS.bob] });
  slack.addUserGroup({ id: 'SSEV1RESP', handle: 'sev1-responders', users: [USERS.alice, USERS.bob, USERS.erin] });
  for (const name of ['incidents', 'compliance', 'deploy-approvals', 'general', 'alerts-triage']) slack.addChannel({ name, members: Object.values(USERS) });
}

export interface Harness {
  slack: FakeSlack;
  pagerduty: FakePagerDuty;
  twilio: FakeTwilio;
  bot: Warroom;
  sql: postgres.Sql;
  dbUrl: string;
  policy: Policy;
  logs: string[];
  clock: TestClock;
  pgProxy: TcpProxy | null;
  /** This bot's Redis key prefix; deleting its keys is a Redis flush for this bot only. */
  redisPrefix: string;
  flushRedis(): Promise<number>;
  /** GETs a bot HTTP API with the test bearer token (or `token`, or none when null). */
  api(path: string, token?: string | null): Promise<{ status: number; body: any }>;
  /** POSTs a signed slash command; returns the HTTP status and the ack body (parsed). */
  command(command: string, text: string, opts?: { user?: string; channel?: string; triggerId?: string; headers?: Record<string, string> }): Promise<{ status: number; body: any; triggerId: string }>;
  /** POSTs a signed interactivity payload. */
  interact(payload: Record<string, unknown>, to?: Warroom): Promise<{ status: number; body: any }>;
  /** Clicks a button or picks in a select of a message the bot posted. */
  clickInMessage(channel: string, ts: string, actionId: string, user: string, opts?: { blockId?: string; value?: string; selectedUser?: string; selectedOption?: string; to?: Warroom }): Promise<{ status: number; body: any }>;
  /** Waits until the incident's war room is ready (setup job done) and returns its row. */
  warRoomReady(incidentId: number, timeoutMs?: number): Promise<{ channel_id: string; header_ts: string; channel_name: string }>;
  /**
   * Waits until every audit event recorded so far is in the chain (`audit_events`): the sealer
   * chains them shortly after their transactions commit. Read `audit_trail` for what was recorded.
   */
  sealed(timeoutMs?: number): Promise<void>;
  restartBot(extra?: Partial<WarroomOptions>): Promise<void>;
  /** Another replica on the same Postgres, Redis prefix and Slack. */
  startReplica(extra?: Partial<WarroomOptions>): Promise<Warroom>;
  stop(): Promise<void>;
}

export function sign(body: string, secret = SIGNING_SECRET, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const sig = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': sig };
}

async function post(url: string, body: string, contentType: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return readResponse(await fetch(url, { method: 'POST', headers: { 'content-type': contentType, ...sign(body), ...headers }, body }));
}

export const SHORT_QUEUE = { attempts: 5, backoffMs: 100, reconcileEveryMs: 1000, concurrency: 4 };

/** A clock tests can set (pinned) or run from an instant; unset, it is the real time. */
export class TestClock {
  private fixed: Date | null = null;
  private leadMs = 0;
  now(): Date {
    return this.fixed ? new Date(this.fixed) : new Date(Date.now() + this.leadMs);
  }
  /** Pins the clock at `at` (null: back to the real time). */
  set(at: Date | string | null): void {
    this.fixed = at === null ? null : new Date(at);
    this.leadMs = 0;
  }
  /**
   * Runs the clock from `at` at the real pace. Timers are counted on this clock (the timer queue
   * moves each instant by its lead), so from a future `at` a ladder fires on time, in seconds.
   */
  run(at: Date | string): void {
    this.fixed = null;
    this.leadMs = new Date(at).getTime() - Date.now();
  }
}

export interface HarnessOptions {
  policyYaml?: string;
  /** Extra environment for the bot (e.g. HEARTBEAT_URL). */
  env?: Record<string, string>;
  /** Put a TCP proxy between the bot and Postgres (`h.pgProxy`), to simulate an outage. */
  proxyDatabase?: boolean;
  /** Options for the in-process bot (e.g. `workers: false` when child processes do the work). */
  bot?: Partial<WarroomOptions>;
  queue?: WarroomOptions['queue'];
  seed?: boolean;
}

/**
 * A whole bot, as in production, against this machine's Postgres (a database of its own) and
 * Redis (a key prefix of its own), with a fake Slack over HTTP.
 */
export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const runId = inject('runId');
  const db = await cloneDatabase(inject('templateDatabase'), runId);
  const slack = new FakeSlack({ botToken: BOT_TOKEN });
  await slack.start();
  const pagerduty = new FakePagerDuty();
  await pagerduty.start();
  const twilio = new FakeTwilio({ accountSid: TWILIO.accountSid, authToken: TWILIO.authToken });
  await twilio.start();
  if (opts.seed !== false) seedWorkspace(slack);
  const policy = opts.policyYaml ? parsePolicy(opts.policyYaml, 'test policy') : loadPolicy(undefined);
  const prefix = redisPrefixFor(runId);
  let pgProxy: TcpProxy | null = null;
  let botDbUrl = db.url;
  if (opts.proxyDatabase) {
    const u = new URL(db.url);
    pgProxy = new TcpProxy(u.hostname, Number(u.port || 5432));
    await pgProxy.start();
    u.port = String(pgProxy.port);
    botDbUrl = u.toString();
  }
  const env = parseEnv({
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    DATABASE_URL: botDbUrl,
    PAGERDUTY_EVENTS_URL: pagerduty.eventsUrl,
    REDIS_URL,
    REDIS_PREFIX: prefix,
    PORT: '0',
    LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'info',
    ...opts.env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      if (process.env['TEST_LOG_ECHO']) process.stderr.write(chunk);
      cb();
    },
  });
  const log = createLogger({ level: env.LOG_LEVEL, secrets: [BOT_TOKEN, SIGNING_SECRET, GATE_TOKEN, TWILIO.authToken], destination: sink });
  const clock = new TestClock();
  const build = (extra: Partial<WarroomOptions> = {}) =>
    startWarroom({
      env,
      policy,
      log,
      clock,
      apiTokens: [
        { name: 'ci', value: GATE_TOKEN, scopes: ['deploy-gate', 'compliance'] },
        { name: 'gate-only', value: GATE_ONLY_TOKEN, scopes: ['deploy-gate'] },
      ],
      routingKeys: Object.fromEntries(Object.keys(policy.pagerduty.services).map((s) => [s, routingKeyFor(s)])),
      pagerCa: pagerduty.caPem,
      twilio: { ...TWILIO, apiUrl: twilio.apiUrl },
      queue: opts.queue ?? SHORT_QUEUE,
      ...extra,
    });
  let bot = await build(opts.bot);
  const sql = postgres(db.url, { max: 2, onnotice: () => {} });
  let n = 0;
  const replicas: Warroom[] = [];

  const h: Harness = {
    slack,
    pagerduty,
    twilio,
    get bot() {
      return bot;
    },
    sql,
    dbUrl: db.url,
    policy,
    logs,
    clock,
    pgProxy,
    redisPrefix: prefix,
    flushRedis() {
      return deleteRedisKeys(`${prefix}:*`);
    },
    async api(path, token = GATE_TOKEN) {
      return readResponse(await fetch(`${bot.url}${path}`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } }));
    },
    async command(command, text, o = {}) {
      n += 1;
      const triggerId = o.triggerId ?? `trig-${n}-${randomBytes(3).toString('hex')}`;
      const body = new URLSearchParams({
        token: 'legacy-verification-token',
        team_id: 'T0001',
        team_domain: 'brokerage',
        channel_id: o.channel ?? slack.channel('general')!.id,
        channel_name: 'general',
        user_id: o.user ?? USERS.alice,
        user_name: 'someone',
        command,
        text,
        api_app_id: 'A0WARROOM',
        response_url: slack.responseUrl(`cmd-${n}`),
        trigger_id: triggerId,
      }).toString();
      const r = await post(`${bot.url}/slack/events`, body, 'application/x-www-form-urlencoded', o.headers);
      return { ...r, triggerId };
    },
    async interact(payload, to = bot) {
      const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
      return post(`${to.url}/slack/events`, body, 'application/x-www-form-urlencoded');
    },
    async clickInMessage(channel, ts, actionId, user, o = {}) {
      n += 1;
      const ch = slack.channel(channel)!;
      const message = ch.messages.find((m) => m.ts === ts);
      const action: Record<string, unknown> = { action_id: actionId, block_id: o.blockId ?? 'b', action_ts: `${Date.now() / 1000}` };
      if (o.value !== undefined) Object.assign(action, { type: 'button', value: o.value });
      if (o.selectedUser !== undefined) Object.assign(action, { type: 'users_select', selected_user: o.selectedUser });
      if (o.selectedOption !== undefined) Object.assign(action, { type: 'static_select', selected_option: { text: { type: 'plain_text', text: o.selectedOption }, value: o.selectedOption } });
      return h.interact({
        type: 'block_actions',
        team: { id: 'T0001', domain: 'brokerage' },
        user: { id: user, username: 'someone', team_id: 'T0001' },
        api_app_id: 'A0WARROOM',
        token: 'legacy-verification-token',
        container: { type: 'message', message_ts: ts, channel_id: ch.id, is_ephemeral: false },
        trigger_id: `trig-a-${n}`,
        channel: { id: ch.id, name: ch.name },
        message: message ? { ts, text: message.text, blocks: message.blocks } : { ts },
        response_url: slack.responseUrl(`act-${n}`),
        actions: [action],
      }, o.to);
    },
    async warRoomReady(incidentId, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const [row] = await sql`select channel_id, header_ts, channel_name, ready_at from incidents where id = ${incidentId}`;
        if (row?.['ready_at']) return row as never;
        if (Date.now() > deadline) throw new Error(`INC-${incidentId}'s war room not ready after ${timeoutMs} ms; Slack calls: ${JSON.stringify(slack.calls().slice(-8).map((c) => [c.method, c.error ?? c.status]))}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async sealed(timeoutMs = 10_000) {
      const [top] = await sql`select max(id)::text as m from audit_inbox`;
      if (!top?.['m']) return;
      await pollUntil('audit sealer', async () => (await sql`select 1 from audit_inbox where id <= ${top['m']} limit 1`).length === 0, timeoutMs, 'the audit events recorded so far sealed', () => []);
    },
    async restartBot(extra) {
      await bot.stop();
      bot = await build(extra);
    },
    async startReplica(extra) {
      const r = await build(extra);
      replicas.push(r);
      return r;
    },
    async stop() {
      for (const r of replicas) await r.stop();
      await bot.stop();
      await sql.end({ timeout: 5 });
      await slack.stop();
      await pagerduty.stop();
      await twilio.stop();
      await pgProxy?.stop();
      await db.drop();
      // Nothing of this bot stays in Redis (its queues, timers, job hashes).
      await deleteRedisKeys(`${prefix}:*`);
    },
  };
  return h;
}

/**
 * A harness for the whole test file: started before its tests, stopped (database and Redis keys
 * removed) after them. The object returned is that harness once `beforeAll` has started it.
 */
export function useHarness(opts: HarnessOptions = {}): Harness {
  let started: Harness | undefined;
  beforeAll(async () => {
    started = await startHarness(opts);
  });
  afterAll(async () => {
    await started?.stop();
  });
  return new Proxy({} as Harness, {
    get(_target, prop) {
      if (!started) throw new Error(`h.${String(prop)} used before the harness started (use it inside a test or hook)`);
      // The harness's methods close over it (no `this`), and `sql` must stay the tagged function it is.
      return Reflect.get(started, prop, started);
    },
  });
}

/** The incident number in an ack like "Declaring INC-42 …". */
export function incidentIdFrom(ack: { body: any }): number {
  const text = typeof ack.body === 'string' ? ack.body : (ack.body?.text ?? '');
  const m = /INC-(\d+)/.exec(text);
  if (!m) throw new Error(`no incident number in ${JSON.stringify(ack.body)}`);
  return Number(m[1]);
}
