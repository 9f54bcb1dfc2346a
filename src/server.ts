import { App, LogLevel } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import type { Logger as Pino } from 'pino';
import type { ApiScope, Policy } from './domain/policy.js';
import type { Clock } from './app/ports/clock.js';
import { systemClock } from './app/ports/clock.js';
import type { IncidentDeps } from './app/deps.js';
import { onTimerFailed, onWorkFailed, runTimer, runWork, type WorkDeps } from './app/jobs/runner.js';
import { orderedWorkKinds } from './app/jobs/catalog.js';
import { reconcileTimers } from './app/escalation/reconcile.js';
import type { TimerSpec } from './app/jobs/catalog.js';
import { pagerDuty } from './adapters/pagerduty/index.js';
import { twilioSms } from './adapters/twilio/index.js';
import { declareIncident, type DeclareRequest } from './app/declare-incident.js';
import type { Timers } from './app/ports/timers.js';
import { TimerQueue } from './adapters/queue/timer-queue.js';
import { PromMetrics } from './adapters/metrics/prom-metrics.js';
import { registerEscalationActions } from './adapters/slack/listeners/escalation-actions.js';
import { registerResolveAction } from './adapters/slack/listeners/resolve-action.js';
import { registerTriageActions } from './adapters/slack/listeners/triage-actions.js';
import { unsealedTail } from './adapters/postgres/audit-log.js';
import { SealerThread } from './adapters/postgres/audit-sealer.js';
import { pagerDutyWebhookRoutes } from './http/pagerduty-webhook.js';
import { asyncRoute } from './http/health.js';
import { planCompliance, type ComplianceDeps } from './app/compliance.js';
import { PostgresComplianceStore } from './adapters/postgres/compliance-store.js';
import { registerCompliance } from './adapters/slack/listeners/compliance.js';
import { ACTION } from './adapters/slack/ids.js';
import { complianceApiRoutes } from './http/compliance-api.js';
import type { DeployDeps } from './app/deploy-window.js';
import { DeployRules } from './domain/deploy-rules.js';
import { MarketCalendar } from './domain/market-calendar.js';
import { PostgresDeployStore } from './adapters/postgres/deploy-store.js';
import type { OnCommitted } from './adapters/postgres/outbox.js';
import { registerDeployWindow } from './adapters/slack/listeners/deploy-window-command.js';
import { deployGateRoutes } from './http/deploy-gate.js';
import { alertRoutes } from './http/alerts-api.js';
import { IngestGate, type IngestLimits } from './http/ingest-gate.js';
import { alertSources } from './adapters/alerts/index.js';
import { PostgresAlertStore } from './adapters/postgres/alert-store.js';
import type { AlertDeps } from './app/alerts.js';
import { connect, migrateDatabase } from './adapters/postgres/database.js';
import { PostgresIncidentStore } from './adapters/postgres/incident-store.js';
import { PostgresWorkStore } from './adapters/postgres/work-store.js';
import { alertIngestLimits, DEFAULT_CONCURRENCY, poolSizeFor, type WorkerConcurrency } from './adapters/postgres/pool-size.js';
import { WorkQueue, type WorkQueueOptions } from './adapters/queue/work-queue.js';
import { SlackChat } from './adapters/slack/slack-chat.js';
import { boltLogger } from './adapters/slack/bolt-logger.js';
import { SlackHealth } from './adapters/slack/slack-health.js';
import { registerIncidentCommand } from './adapters/slack/listeners/incident-command.js';
import { registerRoleActions } from './adapters/slack/listeners/role-actions.js';
import { registerDeclareView } from './adapters/slack/listeners/declare-view.js';
import { healthRoutes } from './http/health.js';
import type { Env } from './config/env.js';
import { probeRedis, RedisConnections } from './adapters/redis/connections.js';
import { DependencyWaits, missingDatabase, StartAborted } from './startup.js';

export { StartAborted };

const ORDERED_KINDS = orderedWorkKinds();

export interface WarroomOptions {
  env: Env;
  policy: Policy;
  log: Pino;
  clock?: Clock;
  /** Queue tuning; tests shorten the backoff so retries happen within a test. */
  queue?: { attempts?: number; backoffMs?: number; reconcileEveryMs?: number; concurrency?: number };
  /** Overrides WARROOM_STALE_CLAIM_AFTER (tests). */
  staleClaimMs?: number;
  /** Run queue workers in this process (default true); false makes a web-only replica. */
  workers?: boolean;
  /** PagerDuty routing keys by policy service name (from the environment). */
  routingKeys?: Record<string, string>;
  /** PEM to trust for PagerDuty, on top of the system CAs. */
  pagerCa?: string;
  /** Twilio credentials; null when no step sends SMS. */
  twilio?: { accountSid: string; authToken: string; from: string; apiUrl: string } | null;
  /** Bearer tokens for the HTTP APIs (deploy gate, compliance, alerts), by name. */
  apiTokens?: Array<{ name: string; value: string; scopes: ApiScope[] }>;
  /** Slack WebClient request timeout. */
  slackTimeoutMs?: number;
  /** Overrides the Postgres pool size computed from the worker concurrency (tests). */
  dbPoolMax?: number;
  /** Overrides the alert endpoints' 429 limits derived from the pool size (tests). */
  alertIngest?: Partial<IngestLimits>;
}

export interface Warroom {
  port: number;
  url: string;
  stop(): Promise<void>;
  queue: WorkQueue;
  /** The declare use case, for a declarer that is not a Slack user (an integration; alerts come next). */
  declareIncident(req: DeclareRequest): ReturnType<typeof declareIncident>;
}

/** A bot on its way up: listening first, ready once Postgres and Redis answer. */
export interface WarroomLaunch {
  /** The HTTP server listens (`/healthz` 200; `/readyz` 503 names what is still awaited). */
  listening: Promise<{ port: number; url: string }>;
  /**
   * Postgres migrated, Redis reached, workers running. Waits for either with backoff (one log
   * line per attempt); rejects with a ConfigError when the database does not exist, and with
   * `StartAborted` when `stop()` came first.
   */
  ready: Promise<Warroom>;
  /** Stops at any stage: waits, listening or running. */
  stop(): Promise<void>;
}

/** Starts the bot and resolves once it is ready (see `launchWarroom`); tests and the demo use this. */
export async function startWarroom(opts: WarroomOptions): Promise<Warroom> {
  const launch = launchWarroom(opts);
  try {
    return await launch.ready;
  } catch (err) {
    await launch.stop();
    throw err;
  }
}

/**
 * The composition root: the only place where adapters meet use cases. Nothing connects at
 * import time. It listens first, so `/healthz` answers and `/readyz` says what is awaited; then it
 * waits for Postgres (and migrates) and Redis, each retried with backoff, and only then starts
 * the workers. `stop` undoes whatever was done, at any stage.
 */
export function launchWarroom(opts: WarroomOptions): WarroomLaunch {
  const { env, policy, log } = opts;
  const clock = opts.clock ?? systemClock;
  const abort = new AbortController();
  const waits = new DependencyWaits(['postgres', 'redis'] as const, log, abort.signal);
  const awaiting = waits.awaiting;
  let onListening: (l: { port: number; url: string }) => void = () => undefined;
  let listeningFailed: (err: unknown) => void = () => undefined;
  const listening = new Promise<{ port: number; url: string }>((resolve, reject) => {
    onListening = resolve;
    listeningFailed = reject;
  });
  listening.catch(() => undefined);

  // One connection per running job at most, plus headroom for acks: the pool cannot run dry (pool-size.ts).
  const concurrency: WorkerConcurrency = { ...DEFAULT_CONCURRENCY, work: opts.queue?.concurrency ?? DEFAULT_CONCURRENCY.work };
  const poolMax = opts.dbPoolMax ?? poolSizeFor(concurrency);
  const { sql, db } = connect(env.DATABASE_URL, { max: poolMax, prepare: env.WARROOM_DB_PREPARE === 'on' });
  let redis: Redis | null = null;
  let sealer: SealerThread | null = null;
  let connections: RedisConnections | null = null;
  const client = new WebClient(env.SLACK_BOT_TOKEN, {
    slackApiUrl: env.SLACK_API_URL,
    // Retries belong to the job queue (which honours Retry-After without blocking other work).
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: opts.slackTimeoutMs ?? 10_000,
    logLevel: 'error' as never,
  });
  const slackHealth = new SlackHealth(client, log);

  const metrics = new PromMetrics();
  const chat = new SlackChat(client, policy, () => slackHealth.botUserId, log, (code) => slackHealth.failed(code), (method, result) => metrics.slackCalls.inc({ method, result }));
  const workStore = new PostgresWorkStore(db);
  const calendar = new MarketCalendar(policy.calendar);
  const rules = new DeployRules(calendar, policy.deploy);
  // Assigned below, once the deps whose workers close over it exist.
  let work: WorkDeps;
  // Committed already: if Redis is away, the reconciler queues it later. Never fail the user.
  const onCommitted: OnCommitted = async (items) => {
    const lane = items.filter((i) => ORDERED_KINDS.includes(i.item.kind));
    const rest = items.filter((i) => !ORDERED_KINDS.includes(i.item.kind));
    if (!queue || !channelLane) return; // Redis not reached yet: the reconciler queues it at start
    await Promise.all([lane.length ? channelLane.dispatch(lane) : null, rest.length ? queue.dispatch(rest) : null]).catch((err: Error) =>
      log.warn({ err: err.message }, 'dispatch deferred to the reconciler'),
    );
  };
  // Vendors, one line each: adding one (Opsgenie, Datadog) is a folder in src/adapters/ and a line here.
  const pager = pagerDuty({ eventsUrl: env.PAGERDUTY_EVENTS_URL, routingKeys: opts.routingKeys, ca: opts.pagerCa });
  const sms = twilioSms(opts.twilio);
  const heartbeatUrl = env.HEARTBEAT_URL;
  const heartbeat = heartbeatUrl
    ? async () => {
        const res = await fetch(heartbeatUrl, { signal: AbortSignal.timeout(5000) });
        if (!res.ok) throw new Error(`heartbeat answered ${res.status}`);
      }
    : null;
  // The queues exist once Redis answers; until then wake-ups wait for the reconciler at start.
  let timers: TimerQueue | null = null;
  let queue: WorkQueue | null = null;
  let channelLane: WorkQueue | null = null;
  const timerPort: Timers = { wake: (specs) => (timers ? timers.wake(specs) : Promise.reject(new Error('Redis is not reachable yet'))) };
  const onTimers = (specs: TimerSpec[]) => timerPort.wake(specs).catch((err: Error) => log.warn({ err: err.message }, 'timers deferred to the reconciler'));
  const incidents: IncidentDeps = {
    store: new PostgresIncidentStore(db, clock, onCommitted, onTimers),
    chat,
    policy,
    clock,
    log,
    calendar,
    timers: timerPort,
    pager,
    sms,
    metrics,
    heartbeat,
    staleClaimMs: opts.staleClaimMs ?? env.WARROOM_STALE_CLAIM_AFTER,
  };
  const deploys: DeployDeps = { deploys: new PostgresDeployStore(db, clock, onCommitted), chat, policy, rules, calendar, clock, log, metrics };
  const complianceStore = new PostgresComplianceStore(db, clock, onCommitted, onTimers);
  const compliance: ComplianceDeps = {
    store: complianceStore,
    chat,
    policy,
    calendar,
    clock,
    log,
    pager,
    timers: timerPort,
    metrics,
  };
  const alerts: AlertDeps = { alerts: new PostgresAlertStore(db, clock, onCommitted), incidents };
  work = { incidents, deploys, compliance, alerts };
  metrics.gauge('warroom_queue_jobs', 'Jobs in each queue by state', ['queue', 'state'], async () => {
    const out: Array<[Record<string, string>, number]> = [];
    for (const [name, q] of [['work', queue], ['channels', channelLane], ['timers', timers]] as const) {
      if (q) for (const [state, n] of Object.entries(await q.depth())) out.push([{ queue: name, state }, n]);
    }
    return out;
  });
  metrics.gauge('warroom_audit_unsealed_events', 'Audit events recorded but not chained yet (the audit inbox)', [], async () => [[{}, (await unsealedTail(sql)).count]]);
  metrics.gauge('warroom_audit_sealing_lag_seconds', 'Seconds since the oldest audit event not chained yet was committed (0 when none): the sealer\'s lag', [], async () => [[{}, (await unsealedTail(sql)).oldestAgeS]]);
  const alertGate = new IngestGate({ ...alertIngestLimits(poolMax), ...opts.alertIngest });
  metrics.gauge('warroom_alert_ingests', 'Alert ingests running (in_flight) and waiting for a slot (waiting)', ['state'], async () => {
    const s = alertGate.state();
    return [[{ state: 'in_flight' }, s.inFlight], [{ state: 'waiting' }, s.waiting]];
  });
  metrics.gauge('warroom_compliance_runs', "Today's compliance runs by state", ['state'], async () => {
    const rows = await complianceStore.todaysRunCounts(policy.timezone);
    return rows.map((r) => [{ state: r.status }, r.n]);
  });
  const lane = (extra: Partial<WorkQueueOptions>) =>
    new WorkQueue({
      redisUrl: env.REDIS_URL,
      prefix: env.REDIS_PREFIX,
      store: workStore,
      run: (item, attempt) => runWork(work, item, attempt),
      onFailed: (item, error) => onWorkFailed(work, item, error),
      log,
      ...(connections ? { connections } : {}),
      backoffMs: env.WARROOM_RETRY_BACKOFF,
      reconcileEveryMs: env.WARROOM_RECONCILE_EVERY,
      stalledMs: Math.min(30_000, env.WARROOM_STALE_CLAIM_AFTER),
      ...opts.queue,
      concurrency: concurrency.work,
      ...extra,
    });

  const routes = [
    ...healthRoutes({
      postgres: async () => {
        if (awaiting.postgres) throw new Error(awaiting.postgres);
        await sql`select 1`;
      },
      redis: async () => {
        if (awaiting.redis) throw new Error(awaiting.redis);
        // Reached, but the start still waits for Postgres: ask it directly.
        await (redis ? redis.ping() : probeRedis(env.REDIS_URL, 1500));
      },
      slack: async () => {
        if (slackHealth.problem) throw new Error(slackHealth.problem);
      },
    }, log),
    ...deployGateRoutes(deploys, opts.apiTokens ?? []),
    ...complianceApiRoutes(compliance, opts.apiTokens ?? []),
    ...alertRoutes(alerts, alertSources(), opts.apiTokens ?? [], alertGate),
    ...pagerDutyWebhookRoutes(incidents, env.PAGERDUTY_WEBHOOK_SECRET, alerts),
    {
      path: '/metrics',
      method: 'GET',
      handler: asyncRoute(log, async (_req, res) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(await metrics.registry.metrics());
      }),
    },
  ];

  let app: App | null = null;
  let listeningAt: { port: number; url: string } | null = null;
  let reconcileTimer: NodeJS.Timeout | null = null;

  function buildApp(): App {
    const built = new App({
      signingSecret: env.SLACK_SIGNING_SECRET,
      token: env.SLACK_BOT_TOKEN,
      // Known after a successful auth.test; Bolt only needs them to ignore the bot's own events.
      botId: slackHealth.botId || 'B00000000',
      botUserId: slackHealth.botUserId || 'U00000000',
      clientOptions: { slackApiUrl: env.SLACK_API_URL, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: 5000 },
      logger: boltLogger(log),
      logLevel: LogLevel.INFO,
      // In Socket Mode the receiver serves the custom routes (health, APIs) on its own HTTP port.
      ...(env.SLACK_APP_TOKEN ? { socketMode: true, appToken: env.SLACK_APP_TOKEN, installerOptions: { port: env.PORT } } : {}),
      // Bolt types params with express types it does not ship; the shape is the same.
      customRoutes: routes as never,
    });
    // When the request arrived, for the ack-latency histogram (observed by the listeners after ack).
    built.use(async ({ context, next }) => {
      context['receivedAt'] = performance.now();
      await next();
    });
    built.error(async (err) => {
      log.error({ err }, 'unhandled error in a Slack listener');
    });
    registerIncidentCommand(built, incidents);
    registerRoleActions(built, incidents);
    registerDeclareView(built, incidents);
    registerDeployWindow(built, deploys);
    registerEscalationActions(built, incidents);
    registerResolveAction(built, incidents);
    registerTriageActions(built, alerts);
    registerCompliance(built, compliance);
    // Buttons from an older version of the bot, or forged payloads: a polite answer, not a timeout.
    const known = Object.values(ACTION).join('|');
    built.action({ action_id: new RegExp(`^(?!(?:${known})$)`) }, async ({ ack, respond, body }) => {
      await ack();
      log.warn({ user: body.user?.id, action: (body as { actions?: Array<{ action_id?: string }> }).actions?.[0]?.action_id }, 'unknown action id');
      await respond({ response_type: 'ephemeral', replace_original: false, text: ":warning: That button is not one of mine (any more). Use the latest card, or `/incident help`." }).catch(() => undefined);
    });
    return built;
  }

  async function run(): Promise<Warroom> {
    // A wrong or revoked token is logged loudly and makes /readyz 503, but does not crash the
    // process: a crash loop would also take down the health endpoints and the outbox.
    // The groups that permission checks ask about, read now so the first check is no Slack call.
    if (await slackHealth.check()) void chat.warmGroups(Object.values(policy.permissions).flatMap((p) => p.groups));
    if (abort.signal.aborted) throw new StartAborted();
    app = buildApp();
    const started = (await app.start(env.PORT)) as Server | undefined;
    const port = started && typeof started.address === 'function' ? (started.address() as AddressInfo).port : env.PORT;
    listeningAt = { port, url: `http://127.0.0.1:${port}` };
    log.info({ port, mode: env.SLACK_APP_TOKEN ? 'socket' : 'http' }, 'warroom is listening');
    onListening(listeningAt);

    // Both at once, each retried with backoff; a database that does not exist is a configuration
    // error (exit 78 with the command that creates it), not something that waiting fixes.
    await Promise.all([
      waits.until('postgres', () => migrateDatabase(env.DATABASE_URL), (err) => missingDatabase(err, env.DATABASE_URL)),
      waits.until('redis', () => probeRedis(env.REDIS_URL)),
    ]);
    if (abort.signal.aborted) throw new StartAborted();

    // Every replica runs a sealer, in a thread of its own; the elected one chains the audit inbox (audit-sealer.ts).
    sealer = new SealerThread(env.DATABASE_URL, { log, everyMs: env.WARROOM_AUDIT_SEAL_EVERY, onSealed: (n, ms) => metrics.auditSealed(n, ms) });
    sealer.start();
    connections = new RedisConnections(env.REDIS_URL, log);
    redis = connections.open({ maxRetriesPerRequest: 1 });
    timers = new TimerQueue({
      redisUrl: env.REDIS_URL,
      prefix: env.REDIS_PREFIX,
      run: (t) => runTimer(work, t),
      onFailed: (id, t, err) => onTimerFailed(work, id, t, err),
      log,
      connections,
      concurrency: concurrency.timers,
      backoffMs: opts.queue?.backoffMs ?? env.WARROOM_RETRY_BACKOFF,
      stalledMs: Math.min(30_000, env.WARROOM_STALE_CLAIM_AFTER),
      clock,
    });
    queue = lane({ excludeKinds: ORDERED_KINDS });
    // Channel creation (Slack Tier 2) in declaration order, paused as a whole by a 429.
    channelLane = lane({ name: 'channels', kinds: ORDERED_KINDS, ordered: true });
    if (opts.workers !== false) {
      queue.start();
      channelLane.start();
      timers.start();
      // Postgres knows every deadline: rebuild missing wake-ups now and then periodically.
      const tick = () =>
        Promise.all([reconcileTimers(incidents), planCompliance(compliance)]).catch((err: Error) => log.warn({ err: err.message }, 'timer reconcile failed'));
      void tick();
      // The planner also runs daily just after local midnight (BullMQ job scheduler, DST-aware).
      await timers.scheduleDaily('compliance-planner', '5 0 * * *', policy.timezone, { kind: 'cmp-plan' });
      reconcileTimer = setInterval(tick, opts.queue?.reconcileEveryMs ?? env.WARROOM_RECONCILE_EVERY);
      reconcileTimer.unref();
    }
    if (abort.signal.aborted) throw new StartAborted();
    log.info({ port, workers: opts.workers !== false }, 'warroom is ready');
    return { ...listeningAt, queue, stop, declareIncident: (req) => declareIncident(incidents, req) };
  }

  const ready = run();
  ready.catch((err: unknown) => listeningFailed(err));

  let stopping: Promise<void> | null = null;
  function stop(): Promise<void> {
    stopping ??= (async () => {
      abort.abort();
      await ready.catch(() => undefined);
      if (reconcileTimer) clearInterval(reconcileTimer);
      slackHealth.stop();
      if (app && listeningAt) await app.stop().catch(() => undefined);
      await queue?.close();
      await channelLane?.close();
      await timers?.close();
      // After the workers: what they audited on the way out is sealed too.
      await sealer?.stop();
      pager.close();
      await connections?.close();
      await sql.end({ timeout: 5 });
    })();
    return stopping;
  }

  return { listening, ready, stop };
}
