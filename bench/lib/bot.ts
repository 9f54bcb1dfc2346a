/**
 * A whole warroom bot, started the way src/main.ts starts it (production queue settings, info
 * logging), in this process, against the fake services in the fakes child, a database cloned
 * from the run's migrated template and a Redis prefix of its own. Everything it creates is
 * registered with the run's Cleanup as soon as it exists.
 */
import { Writable } from 'node:stream';
import postgres from 'postgres';
import { parseEnv } from '../../src/config/env.js';
import { loadPolicy, parsePolicy } from '../../src/config/policy-schema.js';
import type { Policy } from '../../src/domain/policy.js';
import { createLogger } from '../../src/logger.js';
import { startWarroom, type Warroom, type WarroomOptions } from '../../src/server.js';
import type { Cleanup } from './cleanup.js';
import type { FakesInfo } from './fakes-process.js';
import { createDatabase, deleteRedisKeys, dropDatabase, REDIS_URL } from './services.js';
import { pollUntil } from './stats.js';
import { BOT_TOKEN, GATE_TOKEN, routingKeyFor, SIGNING_SECRET, TWILIO, USERS } from './workspace.js';
import type { Recipe } from './load-process.js';

export interface RunContext {
  id: string;
  quick: boolean;
  template: string;
  fakes: FakesInfo;
  cleanup: Cleanup;
  /** Notes for the report (what was seen, why a figure is what it is). */
  note(text: string): void;
}

export interface BenchBotOptions {
  name: string;
  policyYaml?: string;
  queue?: WarroomOptions['queue'];
  /** false: a web-only replica (acks, no queue workers), as the bot supports for scaling out. */
  workers?: boolean;
  /** API tokens besides the CI one (the alert senders'). */
  apiTokens?: NonNullable<WarroomOptions['apiTokens']>;
}

/** Counts what the bot logs (info level, as in production) and keeps its recent errors. */
class LogSink extends Writable {
  bytes = 0;
  lines = 0;
  warnings = 0;
  errors: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.bytes += chunk.length;
    this.lines += 1;
    const s = chunk.toString('utf8');
    if (s.includes('"level":40')) this.warnings += 1;
    if (s.includes('"level":50') || s.includes('"level":60')) {
      this.errors.push(s.slice(0, 500));
      if (this.errors.length > 20) this.errors.shift();
    }
    cb();
  }
}

export class BenchBot {
  private constructor(
    readonly name: string,
    readonly warroom: Warroom,
    readonly sql: postgres.Sql,
    readonly dbUrl: string,
    readonly prefix: string,
    readonly policy: Policy,
    readonly log: LogSink,
    private readonly ctx: RunContext,
    readonly stop: () => Promise<void>,
  ) {}

  static async start(ctx: RunContext, opts: BenchBotOptions): Promise<BenchBot> {
    const dbName = `warroom_bench_${ctx.id}_${opts.name}`;
    const dbUrl = await createDatabase(dbName, ctx.template);
    const dropDb = ctx.cleanup.add(`drop database ${dbName}`, () => dropDatabase(dbName));
    const prefix = `wrb-${ctx.id}-${opts.name}`;
    const dropKeys = ctx.cleanup.add(`delete Redis keys ${prefix}*`, () => deleteRedisKeys(prefix));
    const policy = opts.policyYaml ? parsePolicy(opts.policyYaml, 'bench policy') : loadPolicy(undefined);
    const env = parseEnv({
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: ctx.fakes.slackApiUrl,
      DATABASE_URL: dbUrl,
      PAGERDUTY_EVENTS_URL: ctx.fakes.pagerdutyEventsUrl,
      REDIS_URL,
      REDIS_PREFIX: prefix,
      PORT: '0',
      LOG_LEVEL: 'info',
      // Passed through so an A/B of prepared statements can run the same bench twice.
      ...(process.env['WARROOM_DB_PREPARE'] ? { WARROOM_DB_PREPARE: process.env['WARROOM_DB_PREPARE'] } : {}),
    });
    const sink = new LogSink();
    const log = createLogger({ level: env.LOG_LEVEL, secrets: [BOT_TOKEN, SIGNING_SECRET, GATE_TOKEN, TWILIO.authToken], destination: sink });
    const warroom = await startWarroom({
      env,
      policy,
      log,
      apiTokens: [{ name: 'ci', value: GATE_TOKEN, scopes: ['deploy-gate', 'compliance'] }, ...(opts.apiTokens ?? [])],
      routingKeys: Object.fromEntries(Object.keys(policy.pagerduty.services).map((s) => [s, routingKeyFor(s)])),
      pagerCa: ctx.fakes.pagerdutyCaPem,
      twilio: { ...TWILIO, apiUrl: ctx.fakes.twilioApiUrl },
      ...(opts.queue ? { queue: opts.queue } : {}),
      ...(opts.workers === false ? { workers: false } : {}),
    });
    const stopBot = ctx.cleanup.add(`stop bot ${opts.name}`, () => warroom.stop());
    // The benchmark's own connection (polling ready_at and quiescence), apart from the bot's pool.
    const sql = postgres(dbUrl, { max: 2, onnotice: () => {} });
    const endSql = ctx.cleanup.add(`close monitor connection ${opts.name}`, () => sql.end({ timeout: 5 }));
    const stop = async () => {
      await stopBot();
      await endSql();
      await dropKeys();
      await dropDb();
    };
    return new BenchBot(opts.name, warroom, sql, dbUrl, prefix, policy, sink, ctx, stop);
  }

  get url(): string {
    return this.warroom.url;
  }

  /** A signed `/incident <text>` as Slack would post it to this bot. */
  slash(text: string, tag: string): Recipe {
    return {
      kind: 'slash',
      url: `${this.url}/slack/events`,
      secret: SIGNING_SECRET,
      command: '/incident',
      text,
      channel: this.ctx.fakes.generalChannelId,
      user: USERS.alice,
      responseUrlBase: this.ctx.fakes.responseUrlBase,
      tag: `${this.name}-${tag}`,
      expect: 'Declaring INC-',
    };
  }

  /**
   * Waits until the bot has nothing left to do: no pending outbox work, no escalation step due
   * and unfired, every war room ready (or failed). Measurements start from a quiet bot so one
   * phase's background work is not charged to the next. False when it did not settle in time.
   */
  async waitQuiet(timeoutMs = 60_000): Promise<boolean> {
    let calm = 0;
    const settled = await pollUntil(
      async () => {
        const [row] = await this.sql<Array<{ work: number; steps: number; rooms: number }>>`
          select (select count(*)::int from work_items where status = 'pending') as work,
                 (select count(*)::int from escalation_steps where status in ('pending', 'claimed') and due_at <= now()) as steps,
                 (select count(*)::int from incidents where ready_at is null and failed_at is null) as rooms`;
        calm = row && row.work + row.steps + row.rooms === 0 ? calm + 1 : 0;
        return calm >= 2;
      },
      timeoutMs,
      50,
    );
    if (!settled) this.ctx.note(`bot ${this.name} did not settle within ${timeoutMs / 1000} s (outbox work or escalation steps still pending)`);
    return settled !== null;
  }

  /** ready_at (epoch ms) of the war rooms of `ids` that are ready, and which failed. */
  async readiness(ids: number[]): Promise<{ ready: Map<number, number>; failed: number[] }> {
    const ready = new Map<number, number>();
    const failed: number[] = [];
    for (let i = 0; i < ids.length; i += 5000) {
      const rows = await this.sql<Array<{ id: number; ready_at: Date | null; failed_at: Date | null }>>`
        select id, ready_at, failed_at from incidents where id in ${this.sql(ids.slice(i, i + 5000))}`;
      for (const r of rows) {
        if (r.ready_at) ready.set(r.id, r.ready_at.getTime());
        else if (r.failed_at) failed.push(r.id);
      }
    }
    return { ready, failed };
  }
}
