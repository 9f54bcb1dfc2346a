/**
 * Benchmark 2, declaration → war room ready (channel created, responders invited, card posted
 * and pinned, announcement out: incidents.ready_at set), and benchmark 5's two readings, which
 * need the same bot.
 *
 * - One at a time, fake Slack answering at once: each declaration is sent when the bot is quiet
 *   again; the time is ready_at (written by the bot) − the moment the load generator sent the
 *   signed command (both wall clocks of this machine, ms). Floor: the bare Bolt app making the
 *   same Slack calls inline after its ack (lib/bare-bolt.ts).
 * - The storm: N declarations at an even pace (200 in 10 s) while the fake Slack limits
 *   conversations.create to 20 per 2 s the way Slack does (429 + Retry-After): Tier 2's 20 per
 *   minute scaled down 30×. The rate-limit bound is N / 20 × 2 s; the figure is the time from the
 *   first declaration to the last war room ready, and every declaration must become ready.
 */
import type { Child } from './lib/child.js';
import { BenchBot, type RunContext } from './lib/bot.js';
import { startBareBolt } from './lib/bare-bolt.js';
import type { LoadResult, Sample } from './lib/load-process.js';
import { describeLoad, LockSampler, startMeter } from './lib/meter.js';
import { latency, ratioOf, scalar, type Figure } from './lib/report.js';
import { mb, pollUntil, round, summarize } from './lib/stats.js';
import { idleRss, memoryFigures, RssSampler } from './memory.js';

export interface WarRoomSizes {
  oneAtATime: number;
  storm: number;
  stormMs: number;
  limit: number;
  windowMs: number;
  /** The second storm (0: skip): 1,000 declarations in 60 s in the full run. */
  bigStorm: number;
  bigStormMs: number;
  /** How long the idle bot's RSS is watched. */
  idleMs: number;
}

export async function warRoomBench(ctx: RunContext, children: { load: Child; fakes: Child }, sizes: WarRoomSizes, baselineRss: number): Promise<Figure[]> {
  const { load, fakes } = children;
  const figures: Figure[] = [];
  const bot = await BenchBot.start(ctx, { name: 'war' });
  try {
    // Startup work (the compliance planner posts today's cards) must not count as "idle".
    await bot.waitQuiet(30_000);
    const idle = await idleRss(sizes.idleMs);

    // --- floor: bare Bolt + the same Slack calls inline ------------------------------------
    const bare = await startBareBolt(ctx, { inlineSetup: true });
    const floorMs: number[] = [];
    try {
      for (let i = 0; i < sizes.oneAtATime + 3; i++) {
        const s = await load.call<Sample>('one', { recipe: bare.recipe('wr') });
        if (!s.ok || !s.triggerId) throw new Error(`bare floor declaration failed: ${s.error}`);
        const done = await pollUntil(async () => bare.completions.get(s.triggerId!), 10_000, 2);
        if (done === null) throw new Error(`bare floor setup did not finish: ${bare.failures[0] ?? 'no error recorded'}`);
        if (i >= 3) floorMs.push(done - s.start); // the first three warm up connections and JIT
      }
    } finally {
      await bare.stop();
    }

    // --- one at a time ----------------------------------------------------------------------
    const readyMs: number[] = [];
    const ackMs: number[] = [];
    for (let i = 0; i < sizes.oneAtATime + 2; i++) {
      const s = await load.call<Sample>('one', { recipe: bot.slash('sev1 War room one at a time {n}', 'one') });
      if (!s.ok || !s.incidentId) throw new Error(`declaration failed: ${s.error}`);
      const readyAt = await pollUntil(
        async () => {
          const [row] = await bot.sql<Array<{ ready_at: Date | null; failed_at: Date | null }>>`select ready_at, failed_at from incidents where id = ${s.incidentId!}`;
          if (row?.failed_at) throw new Error(`INC-${s.incidentId}'s war room failed: ${bot.log.errors.at(-1) ?? ''}`);
          return row?.ready_at ? row.ready_at.getTime() : undefined;
        },
        15_000,
        5,
      );
      if (readyAt === null) throw new Error(`INC-${s.incidentId}'s war room not ready after 15 s`);
      if (i >= 2) {
        readyMs.push(readyAt - s.start);
        ackMs.push(s.ms);
      }
      await bot.waitQuiet(20_000);
    }
    const one = summarize(readyMs);
    const oneFloor = summarize(floorMs);
    const oneValue = latency(one);
    const oneFloorValue = latency(oneFloor);
    figures.push({
      id: 'warroom.ready_unthrottled',
      label: 'declaration → war room ready, one at a time',
      value: oneValue,
      floor: { label: 'bare Bolt + same Slack calls', value: oneFloorValue },
      ratio: ratioOf(oneValue, oneFloorValue),
      goal: { text: 'p99 ≤ 250 ms', met: one.p99 <= 250 },
      details: { declarations: readyMs.length, ackP50Ms: round(summarize(ackMs).p50, 2) },
      note: 'ready_at (set by the bot) − send time of the signed command; includes the ack, the outbox dispatch to BullMQ, the worker pick-up and the setup job’s Postgres writes between Slack calls.',
    });

    // --- the storms: the 200 of issue 7, then 1,000 in 60 s ----------------------------------
    const small = await storm({ bot, load, fakes }, sizes.storm, sizes.stormMs, sizes, 'storm');
    figures.push(small.figure);
    const big = sizes.bigStorm > 0 ? await storm({ bot, load, fakes }, sizes.bigStorm, sizes.bigStormMs, sizes, 'storm_large') : null;
    if (big) {
      big.figure.goal = { text: `all ${sizes.bigStorm} ready, ≤ 1.05× bound, RSS peak ≤ 300 MB`, met: Boolean(big.figure.goal?.met) && mb(big.peak.rss) <= 300 };
      big.figure.details = { ...big.figure.details, rssPeakMb: mb(big.peak.rss) };
      big.figure.note = `${big.figure.note} RSS peak ${mb(big.peak.rss)} MB (the bench process, bot included).`;
      figures.push(big.figure);
    }
    const peak = small.peak;
    figures.push(...memoryFigures({ baseline: baselineRss, idle: idle.rss, idleHeap: idle.heapUsed, idleBreakdown: idle.breakdown, peak: peak.rss, peakHeap: peak.heapUsed, stormSize: sizes.storm }));
    return figures;
  } finally {
    await bot.stop();
  }
}

/** N declarations at an even pace over `spanMs` while conversations.create is rate limited. */
async function storm(
  { bot, load, fakes }: { bot: BenchBot; load: Child; fakes: Child },
  count: number,
  spanMs: number,
  sizes: WarRoomSizes,
  id: 'storm' | 'storm_large',
): Promise<{ figure: Figure; peak: { rss: number; heapUsed: number } }> {
  await bot.waitQuiet(30_000);
  const bound = (count / sizes.limit) * sizes.windowMs;
  await fakes.call('rateLimit', { method: 'conversations.create', limit: sizes.limit, windowMs: sizes.windowMs });
  const sampler = new RssSampler().start(50);
  const meter = startMeter();
  const locks = new LockSampler(bot.sql).start(50);
  const since = Date.now();
  let sent: LoadResult;
  let waited: { ready: Map<number, number>; failed: number[] } = { ready: new Map(), failed: [] };
  let ids: number[] = [];
  let stormLoad: ReturnType<typeof meter> | null = null;
  let stormLocks: ReturnType<LockSampler['stop']> | null = null;
  try {
    sent = await load.call<LoadResult>('openLoop', { recipe: bot.slash(`sev1 ${id === 'storm' ? 'Storm' : 'Large storm'} {n}`, id), count, intervalMs: spanMs / count });
    ids = sent.samples.filter((s) => s.incidentId).map((s) => s.incidentId!);
    // Generous deadline: a bot far off the bound is still measured, a lost one is reported.
    await pollUntil(
      async () => {
        waited = await bot.readiness(ids);
        return waited.ready.size + waited.failed.length >= ids.length;
      },
      bound * 3 + 30_000,
      100,
    );
  } finally {
    sampler.stop();
    stormLoad = meter();
    stormLocks = locks.stop();
    await fakes.call('rateLimit', { method: 'conversations.create', limit: 1e9, windowMs: 1 });
  }
  const creates = await fakes.call<{ total: number; ok: number; rateLimited: number; lastOkAt: number | null }>('slackCalls', { method: 'conversations.create', since });
  const firstSent = Math.min(...sent.samples.map((s) => s.start));
  const readyTimes = [...waited.ready.values()];
  const lastReady = readyTimes.length ? Math.max(...readyTimes) - firstSent : NaN;
  const perIncident = sent.samples.filter((s) => s.incidentId && waited.ready.has(s.incidentId)).map((s) => waited.ready.get(s.incidentId!)! - s.start);
  const lost = count - waited.ready.size;
  // Where the time went: until the last channel could be created, and the setup after it.
  const lastCreateS = creates.lastOkAt === null ? NaN : (creates.lastOkAt - firstSent) / 1000;
  const tailS = creates.lastOkAt === null || !readyTimes.length ? NaN : (Math.max(...readyTimes) - creates.lastOkAt) / 1000;
  const earliestLastCreateS = ((Math.ceil(count / sizes.limit) - 1) * sizes.windowMs) / 1000;
  const stormValue = scalar(lastReady / 1000, 's');
  const stormFloor = scalar(bound / 1000, 's');
  const stormRatio = ratioOf(stormValue, stormFloor);
  const ackStorm = summarize(sent.samples.map((s) => s.ms));
  const figure: Figure = {
    id: `warroom.${id}`,
    label: `storm: ${count.toLocaleString('en-US')} in ${spanMs / 1000} s, create ${sizes.limit}/${sizes.windowMs / 1000} s → last ready`,
    value: stormValue,
    floor: { label: `rate-limit bound ${count}/${sizes.limit} × ${sizes.windowMs / 1000} s`, value: stormFloor },
    ratio: stormRatio,
    goal: { text: `all ${count} ready, ≤ 1.05× bound`, met: lost === 0 && stormRatio !== null && stormRatio <= 1.05 },
    details: {
      declared: ids.length,
      ackErrors: sent.errors,
      ready: waited.ready.size,
      failed: waited.failed.length,
      lost,
      conversationsCreate: creates,
      declareToReadyMs: latency(summarize(perIncident)),
      ackDuringStormMs: latency(ackStorm),
      lastChannelCreatedS: round(lastCreateS, 2),
      earliestLastChannelS: earliestLastCreateS,
      setupAfterLastChannelS: round(tailS, 2),
      load: stormLoad,
      auditLockWaiters: stormLocks,
    },
    note: `${waited.ready.size}/${count} ready, ${lost} lost; conversations.create answered 429 ${creates.rateLimited} times; the last channel was created at ${round(lastCreateS, 2)} s (the limit allows it from ${earliestLastCreateS} s) and its room was ready ${round(tailS, 2)} s later. The bot retries a 429 after Retry-After (whole seconds) via BullMQ moveToDelayed, so each retry also pays the delayed-job wake-up lateness (see the timer rows). Acks during the storm: p50 ${round(ackStorm.p50, 0)} ms, p99 ${round(ackStorm.p99, 0)} ms.${stormLoad ? ` Sessions waiting for an audit lock (commit order or chain head): mean ${stormLocks?.meanWaiting}, max ${stormLocks?.maxWaiting}; ${describeLoad(stormLoad)}.` : ''}`,
  };
  return { figure, peak: sampler.peak };
}
