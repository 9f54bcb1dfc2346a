/**
 * Benchmark 3, timer accuracy: lateness (fired − due) of escalation timers while many are
 * pending, of which some fire during the measurement.
 *
 * Rows:
 * - raw BullMQ (the floor): a bare Queue + Worker (concurrency 16, like TimerQueue) on the same
 *   Redis, the same schedule, the processor recording Date.now() − due.
 * - TimerQueue: the bot's own adapter (src/adapters/queue/timer-queue.ts) with `wake()` of
 *   'esc-step' / 'nudge' / 'reg-reminder' specs and a `run` callback that records the lateness:
 *   the queue path every escalation step takes, without the step's own work.
 * - end to end: a bot whose Sev1 ladder has steps every second from +2–3 s that each page
 *   PagerDuty; lateness = the fake PagerDuty receiving the page − the step's due_at. The rest of
 *   the pending timers are added to that bot's own timer queue (far in the future).
 * - experiments (~): what lowers the floor. BullMQ promotes a delayed job only when the worker
 *   wakes: it blocks in BZPOPMIN on the queue's marker key with a timeout equal to the time until
 *   the next delayed job, and Redis checks blocked clients' timeouts only when its event loop
 *   wakes, i.e. on its `hz` server-cron tick (10/s by default) unless other traffic wakes it.
 *   So an idle Redis at hz 10 releases each due timer 0–100 ms late. The experiments re-run the
 *   floor with `CONFIG SET hz 100` (restored afterwards) and with a client-side nudge (a
 *   setTimeout at each due instant that ZADDs the marker, waking the worker at once); the full
 *   run also tries worker settings (drainDelay, concurrency), which do not touch this path.
 */
import { Queue, Worker, type WorkerOptions } from 'bullmq';
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { TimerQueue } from '../src/adapters/queue/timer-queue.js';
import type { TimerSpec } from '../src/app/jobs/catalog.js';
import { DEFAULT_POLICY_PATH } from '../src/config/policy-schema.js';
import { BenchBot, type RunContext } from './lib/bot.js';
import type { Child } from './lib/child.js';
import type { PageRecord } from './lib/fakes-process.js';
import type { LoadResult } from './lib/load-process.js';
import { describeLoad, LockSampler, startMeter, type ProcessLoad } from './lib/meter.js';
import { latency, ratioOf, type Figure, type LatencyValue } from './lib/report.js';
import { deleteRedisKeys, REDIS_URL, redisClient, redisServerInfo, setRedisHz } from './lib/services.js';
import { pollUntil, round, sleep, summarize, type Summary } from './lib/stats.js';

export interface TimerSizes {
  /** Timers pending in total (far-future ones plus those that fire). */
  pending: number;
  /** Timers that fire during the measurement, evenly spread over `windowMs`. */
  firing: number;
  windowMs: number;
  /** End to end: incidents declared, each with `e2eSteps` paging steps one second apart. */
  e2eIncidents: number;
  e2eSteps: number;
  /** Seconds after declaration of the first paging step (the war room is built meanwhile). */
  e2eFirstAfterS: number;
  /**
   * Declarations per second. Pages then fall due at about e2eSteps × this rate per second: kept
   * at a pace the bot sustains, so the figure is the timers' accuracy, not a backlog.
   */
  e2eDeclarePerS: number;
  /** Also try worker settings and TimerQueue at hz 100 (full mode). */
  allExperiments: boolean;
}

const noopLog = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} } as never;

/** Due instants: `firing` spread evenly over the window starting `leadMs` from now. */
function firingSchedule(sizes: TimerSizes, leadMs = 400): number[] {
  const t0 = Date.now() + leadMs;
  return Array.from({ length: sizes.firing }, (_, i) => t0 + Math.round((i * sizes.windowMs) / sizes.firing));
}

/** Far-future specs of the kinds the bot keeps pending (escalation steps, nudges, reminders). */
function pendingSpecs(count: number, idBase: number): TimerSpec[] {
  const far = Date.now() + 3_600_000;
  return Array.from({ length: count }, (_, i): TimerSpec => {
    const at = new Date(far + i);
    if (i % 4 === 1) return { kind: 'nudge', incidentId: idBase + i, seq: 0, at };
    if (i % 4 === 3) return { kind: 'reg-reminder', incidentId: idBase + i, at };
    return { kind: 'esc-step', stepId: idBase + i, at };
  });
}

async function inChunks<T>(items: T[], size: number, fn: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await fn(items.slice(i, i + size));
}

async function waitFor(samples: number[], count: number, deadline: number): Promise<void> {
  await pollUntil(async () => samples.length >= count, Math.max(0, deadline - Date.now()), 20);
}

/** The floor: bare BullMQ delayed jobs. */
async function rawBullmq(ctx: RunContext, tag: string, sizes: TimerSizes, o: { worker?: Partial<WorkerOptions>; nudge?: boolean } = {}): Promise<Summary> {
  const prefix = `wrb-${ctx.id}-${tag}`;
  const conns = [redisClient(), redisClient(), redisClient()];
  const queue = new Queue('raw', { connection: conns[0]!, prefix });
  const late: number[] = [];
  const worker = new Worker('raw', async (job) => void late.push(Date.now() - (job.data as { at: number }).at), { connection: conns[1]!, prefix, concurrency: 16, ...o.worker });
  worker.on('error', () => {});
  const nudges: NodeJS.Timeout[] = [];
  try {
    await worker.waitUntilReady();
    await sleep(100);
    const far = Date.now() + 3_600_000;
    await inChunks(
      Array.from({ length: sizes.pending - sizes.firing }, (_, i) => i),
      1000,
      (ids) => queue.addBulk(ids.map((i) => ({ name: 'far', data: { at: far + i }, opts: { jobId: `far-${i}`, delay: far + i - Date.now(), removeOnComplete: true, removeOnFail: true } }))),
    );
    const due = firingSchedule(sizes);
    await inChunks(
      due.map((at, i) => ({ at, i })),
      1000,
      (jobs) => queue.addBulk(jobs.map(({ at, i }) => ({ name: 'due', data: { at }, opts: { jobId: `due-${i}`, delay: Math.max(0, at - Date.now()), removeOnComplete: true, removeOnFail: true } }))),
    );
    if (o.nudge) {
      // What a client-side wake-up would do: at each due instant, touch the marker the worker blocks on.
      const marker = queue.keys.marker!;
      for (const at of new Set(due)) nudges.push(setTimeout(() => void conns[2]!.zadd(marker, at, '1'), Math.max(0, at - Date.now())));
    }
    await waitFor(late, sizes.firing, due.at(-1)! + 10_000);
    if (late.length < sizes.firing) ctx.note(`raw BullMQ (${tag}): only ${late.length}/${sizes.firing} timers fired`);
    return summarize(late);
  } finally {
    for (const t of nudges) clearTimeout(t);
    await worker.close().catch(() => undefined);
    await queue.close().catch(() => undefined);
    for (const c of conns) c.disconnect();
    await deleteRedisKeys(prefix);
  }
}

/** The bot's queue path: TimerQueue.wake() → BullMQ → TimerQueue's worker → `run`. */
async function timerQueuePath(ctx: RunContext, tag: string, sizes: TimerSizes): Promise<Summary> {
  const prefix = `wrb-${ctx.id}-${tag}`;
  const late: number[] = [];
  const timers = new TimerQueue({
    redisUrl: REDIS_URL,
    prefix,
    log: noopLog,
    run: async (t) => {
      late.push(Date.now() - Number(t.at));
    },
  });
  try {
    timers.start();
    await sleep(300);
    await inChunks(pendingSpecs(sizes.pending - sizes.firing, 1_000_000), 1000, (specs) => timers.wake(specs));
    const due = firingSchedule(sizes);
    await inChunks(
      due.map((at, i): TimerSpec => ({ kind: 'esc-step', stepId: i + 1, at: new Date(at) })),
      1000,
      (specs) => timers.wake(specs),
    );
    await waitFor(late, sizes.firing, due.at(-1)! + 10_000);
    if (late.length < sizes.firing) ctx.note(`TimerQueue (${tag}): only ${late.length}/${sizes.firing} timers fired`);
    return summarize(late);
  } finally {
    await timers.close().catch(() => undefined);
    await deleteRedisKeys(prefix);
  }
}

/** The default policy with the Sev1 ladder's later steps replaced by pages one second apart. */
function pagingPolicyYaml(steps: number, firstAfterS: number): string {
  const p = parse(readFileSync(DEFAULT_POLICY_PATH, 'utf8'));
  const sev1 = p.severities.sev1;
  sev1.escalation = [sev1.escalation[0], ...Array.from({ length: steps }, (_, i) => ({ after: `${firstAfterS + i}s`, page: 'sre-oncall' }))];
  return stringify(p);
}

/** Escalation steps of real Sev1s reaching the fake PagerDuty. */
async function endToEnd(
  ctx: RunContext,
  children: { load: Child; fakes: Child },
  sizes: TimerSizes,
  tag: string,
): Promise<{ pd: Summary; claim: Summary; expected: number; load: ProcessLoad; lockWaiters: ReturnType<LockSampler['stop']>; spreadS: number }> {
  const firstAfterS = sizes.e2eFirstAfterS;
  const bot = await BenchBot.start(ctx, { name: tag, policyYaml: pagingPolicyYaml(sizes.e2eSteps, firstAfterS) });
  try {
    await bot.waitQuiet(30_000);
    const expected = sizes.e2eIncidents * sizes.e2eSteps;
    // Fill the bot's own timer queue up to the pending count with far-future wake-ups.
    const filler = new TimerQueue({ redisUrl: REDIS_URL, prefix: bot.prefix, log: noopLog, run: async () => {} });
    try {
      await inChunks(pendingSpecs(Math.max(0, sizes.pending - expected), 5_000_000), 1000, (specs) => filler.wake(specs));
    } finally {
      await filler.close();
    }
    const since = Date.now();
    // Each declaration's paging steps fall due from +firstAfterS, one second apart.
    const meter = startMeter();
    const locks = new LockSampler(bot.sql).start(50);
    const declared = await children.load.call<LoadResult>('openLoop', { recipe: bot.slash('sev1 Escalation timing {n}', 'esc'), count: sizes.e2eIncidents, intervalMs: 1000 / sizes.e2eDeclarePerS });
    const ids = new Set(declared.samples.filter((s) => s.incidentId).map((s) => `INC-${s.incidentId}`));
    const lastDue = Date.now() + (firstAfterS + sizes.e2eSteps) * 1000;
    let pages: PageRecord[] = [];
    await pollUntil(
      async () => {
        pages = (await children.fakes.call<PageRecord[]>('pages', { since })).filter((p) => p.incident && ids.has(p.incident) && (p.step ?? 0) >= 1 && p.action === 'trigger');
        return pages.length >= expected;
      },
      Math.max(0, lastDue - Date.now()) + 15_000,
      100,
    );
    const load = meter();
    const lockWaiters = locks.stop();
    const steps = await bot.sql<Array<{ incident_id: number; step_index: number; due_at: Date; lateness_ms: number | null }>>`
      select incident_id, step_index, due_at, lateness_ms::float8 as lateness_ms from escalation_steps where step_index >= 1`;
    const dueOf = new Map(steps.map((s) => [`INC-${s.incident_id}/${s.step_index}`, s.due_at.getTime()]));
    const seen = new Set<string>();
    const pdLate: number[] = [];
    const dues: number[] = [];
    for (const p of pages) {
      const key = `${p.incident}/${p.step}`;
      const due = dueOf.get(key);
      if (due === undefined || seen.has(key)) continue; // a retried page counts once, the first
      seen.add(key);
      pdLate.push(p.receivedAt - due);
      dues.push(due);
    }
    const spreadS = dues.length > 1 ? (Math.max(...dues) - Math.min(...dues)) / 1000 : 0;
    if (pdLate.length < expected) ctx.note(`end-to-end escalation (${tag}): ${pdLate.length}/${expected} paging steps reached PagerDuty in time`);
    const claim = steps.filter((s) => s.lateness_ms !== null).map((s) => s.lateness_ms!);
    return { pd: summarize(pdLate), claim: summarize(claim), expected, load, lockWaiters, spreadS: round(spreadS, 1) };
  } finally {
    await bot.stop();
  }
}

export async function timersBench(ctx: RunContext, children: { load: Child; fakes: Child }, sizes: TimerSizes): Promise<Figure[]> {
  const figures: Figure[] = [];
  const redis = await redisServerInfo();
  const hz = redis.hz ?? 10;
  const shape = `${sizes.pending.toLocaleString('en-US')} pending, ${sizes.firing.toLocaleString('en-US')} fire in ${sizes.windowMs / 1000} s`;

  const floorSummary = await rawBullmq(ctx, 'raw', sizes);
  const floor: LatencyValue = latency(floorSummary);
  const floorRef = { label: `raw BullMQ (hz ${hz})`, value: floor };
  figures.push({ id: 'timers.raw_bullmq', label: `timer lateness, raw BullMQ (${shape})`, value: floor, floor: null, ratio: null, goal: null, note: `the floor. A BullMQ worker with delayed jobs pending blocks in BZPOPMIN on the queue's marker key with a timeout equal to the time until the next delayed job (drainDelay only applies when none is pending); when it returns, moveToActive promotes the due jobs. Redis serves blocked-command timeouts on its server-cron tick, hz ${hz}${redis.dynamicHz === 'yes' ? ' (dynamic-hz on)' : ''} = every ${round(1000 / hz, 0)} ms while nothing else wakes it, so a due job is released 0–${round(1000 / hz, 0)} ms late.` });

  const q = latency(await timerQueuePath(ctx, 'tq', sizes));
  const qRatio = ratioOf(q, floor);
  figures.push({
    id: 'timers.timer_queue',
    label: `timer lateness, TimerQueue path (${shape})`,
    value: q,
    floor: floorRef,
    ratio: qRatio,
    goal: { text: '≤ 1.2× floor and p99 ≤ 150 ms', met: qRatio !== null && qRatio <= 1.2 && q.p99 <= 150 },
  });

  const e2e = await endToEnd(ctx, children, sizes, 'esc');
  const e2eV = latency(e2e.pd);
  const e2eRatio = ratioOf(e2eV, floor);
  figures.push({
    id: 'timers.escalation_e2e',
    label: `escalation step → fake PagerDuty (${e2e.expected} pages, ${sizes.pending.toLocaleString('en-US')} pending)`,
    value: e2eV,
    floor: floorRef,
    ratio: e2eRatio,
    goal: { text: '≤ 1.2× floor and p99 ≤ 150 ms', met: e2eRatio !== null && e2eRatio <= 1.2 && e2eV.p99 <= 150 && e2e.pd.n >= e2e.expected },
    details: { claimLatenessMs: latency(e2e.claim), pagesMeasured: e2e.pd.n, pagesExpected: e2e.expected, dueOverSeconds: e2e.spreadS, load: e2e.load, auditLockWaiters: e2e.lockWaiters },
    note: `${e2e.pd.n} paging steps fell due over ${e2e.spreadS} s while Sev1s were declared at ${sizes.e2eDeclarePerS}/s; claim lateness (escalation_steps.lateness_ms, when the step's Postgres claim ran) p50/p99 ${round(e2e.claim.p50, 0)}/${round(e2e.claim.p99, 0)} ms, the rest is the claim transaction and the HTTPS page; ${describeLoad(e2e.load)}; sessions waiting for an audit lock (commit order or chain head): mean ${e2e.lockWaiters.meanWaiting}, max ${e2e.lockWaiters.maxWaiting}.`,
  });

  // --- experiments: what lowers the floor ---------------------------------------------------
  const experiment = (id: string, label: string, s: Summary, note?: string): Figure => {
    const v = latency(s);
    return { id, label, value: v, floor: floorRef, ratio: ratioOf(v, floor), goal: null, experiment: true, ...(note ? { note } : {}) };
  };
  figures.push(experiment('timers.exp.nudge', 'raw BullMQ + client-side marker nudge at due time', await rawBullmq(ctx, 'nudge', sizes, { nudge: true })));
  if (sizes.allExperiments) {
    figures.push(experiment('timers.exp.worker', 'raw BullMQ, worker drainDelay 1 s, concurrency 64', await rawBullmq(ctx, 'wopt', sizes, { worker: { drainDelay: 1, concurrency: 64 } })));
  }
  if (hz < 100) {
    const restore = ctx.cleanup.add(`restore Redis hz ${hz}`, () => setRedisHz(hz));
    if (await setRedisHz(100)) {
      try {
        figures.push(experiment('timers.exp.hz100', 'raw BullMQ, Redis hz 100', await rawBullmq(ctx, 'raw100', sizes)));
        if (sizes.allExperiments) {
          const e = await endToEnd(ctx, children, sizes, 'esc100');
          figures.push(experiment('timers.exp.e2e_hz100', 'escalation step → fake PagerDuty, Redis hz 100', e.pd));
        }
      } finally {
        await restore();
      }
    } else {
      await restore();
      ctx.note('Redis refused CONFIG SET hz: the hz 100 experiment was skipped');
    }
  }
  return figures;
}
