/**
 * Benchmark 1, ack latency of `/incident sev1 <title>`: signed HTTP → Bolt → validation →
 * Postgres transaction (incident, audit event, outbox, escalation steps) → ack. Measured by the
 * load generator from send to the last byte of the ack, sequentially and with 32 in flight.
 *
 * Floor: a bare Bolt app on the same machine, same receiver and signing, whose handler only acks
 * (lib/bare-bolt.ts). Each declaration is real: the bot's workers build its war room and run the
 * Sev1 ladder's first step meanwhile, as they would in production; before each phase the bot is
 * left to go quiet, so a phase is not charged with the previous one's background work.
 * With `rounds` > 1 the floor and the bot alternate, so drift in the machine's load (other
 * processes on a shared box) falls on both.
 *
 * Experiment rows (~) repeat both phases on a web-only replica (`workers: false`: it acks and
 * records, and nothing runs the work), which separates the ack path's own cost from the CPU the
 * background work of earlier declarations takes.
 */
import type { Child } from './lib/child.js';
import { BenchBot, type RunContext } from './lib/bot.js';
import { startBareBolt } from './lib/bare-bolt.js';
import type { LoadResult, Recipe } from './lib/load-process.js';
import { describeLoad, LockSampler, SealingLagSampler, startMeter, type ProcessLoad } from './lib/meter.js';
import { latency, ratioOf, type Figure, type LatencyValue } from './lib/report.js';
import { round, summarize } from './lib/stats.js';

export interface AckSizes {
  warmup: number;
  sequential: number;
  concurrent: number;
  concurrency: number;
  rounds: number;
  /** Requests per phase on the web-only replica (0: skip the experiment). */
  webOnly: number;
}

const goalText = 'p99 ≤ 50 ms and ≤ 3× floor';
/** The bot's default `WARROOM_AUDIT_SEAL_EVERY`: the lag a sealer polling an idle inbox adds. */
const SEAL_EVERY_MS = 50;

export async function ackBench(ctx: RunContext, load: Child, bot: BenchBot, sizes: AckSizes): Promise<Figure[]> {
  const bare = await startBareBolt(ctx, { inlineSetup: false });
  try {
    const run = (recipe: Recipe, concurrency: number, count: number): Promise<LoadResult> => load.call<LoadResult>('closedLoop', { recipe, concurrency, count });
    const botRecipe = bot.slash('sev1 Ack latency {n}', 'ack');
    // Warm-up: connections, JIT, the first prepared statements.
    await run(bare.recipe('warm'), 4, sizes.warmup);
    await run(botRecipe, 4, sizes.warmup);
    await bot.waitQuiet(60_000);

    const samples = { floorSeq: [] as number[], botSeq: [] as number[], floorCon: [] as number[], botCon: [] as number[] };
    let botErrors = 0;
    let firstError: string | undefined;
    let conLoad: ProcessLoad | null = null;
    let conLocks: ReturnType<LockSampler['stop']> | null = null;
    const lagSamples: number[] = [];
    const per = (n: number) => Math.max(1, Math.round(n / sizes.rounds));
    for (let r = 0; r < sizes.rounds; r++) {
      samples.floorSeq.push(...(await run(bare.recipe('seq'), 1, per(sizes.sequential))).samples.map((s) => s.ms));
      const seq = await run(botRecipe, 1, per(sizes.sequential));
      samples.botSeq.push(...seq.samples.map((s) => s.ms));
      botErrors += seq.errors;
      firstError ??= seq.firstError;
      await bot.waitQuiet(120_000);
      samples.floorCon.push(...(await run(bare.recipe('con'), sizes.concurrency, per(sizes.concurrent))).samples.map((s) => s.ms));
      const meter = startMeter();
      const locks = new LockSampler(bot.sql).start();
      const lag = new SealingLagSampler(bot.sql).start();
      const con = await run(botRecipe, sizes.concurrency, per(sizes.concurrent));
      conLoad = meter();
      conLocks = locks.stop();
      lagSamples.push(...lag.stop());
      samples.botCon.push(...con.samples.map((s) => s.ms));
      botErrors += con.errors;
      firstError ??= con.firstError;
      await bot.waitQuiet(180_000);
    }
    if (bare.failures.length) ctx.note(`bare Bolt floor: ${bare.failures.length} failures (${bare.failures[0]})`);

    const seqV = latency(summarize(samples.botSeq));
    const seqF = latency(summarize(samples.floorSeq));
    const conV = latency(summarize(samples.botCon));
    const conF = latency(summarize(samples.floorCon));
    const conRatio = ratioOf(conV, conF);
    const errors = botErrors ? ` ${botErrors} acks were errors (first: ${firstError}).` : '';
    const figures: Figure[] = [
      {
        id: 'ack.sequential',
        label: 'ack /incident sev1, sequential',
        value: seqV,
        floor: { label: 'bare Bolt', value: seqF },
        ratio: ratioOf(seqV, seqF),
        goal: null,
        details: { p50Ratio: seqF.p50 > 0 ? round(seqV.p50 / seqF.p50, 2) : null },
        note: `client-measured send → ack; each request arrives while the bot still builds the previous declarations' war rooms.${errors}`,
      },
      {
        id: 'ack.concurrent',
        label: `ack /incident sev1, ${sizes.concurrency} concurrent`,
        value: conV,
        floor: { label: 'bare Bolt', value: conF },
        ratio: conRatio,
        goal: { text: goalText, met: botErrors === 0 && conV.p99 <= 50 && conRatio !== null && conRatio <= 3 },
        details: { p50Ratio: conF.p50 > 0 ? round(conV.p50 / conF.p50, 2) : null, errors: botErrors, load: conLoad, auditLockWaiters: conLocks },
        ...(conLoad ? { note: `sessions waiting for an audit lock (commit order or chain head): mean ${conLocks?.meanWaiting}, max ${conLocks?.maxWaiting}; ${describeLoad(conLoad)}.` } : {}),
      },
    ];
    const lagV = latency(summarize(lagSamples));
    const sealEvery = latency(summarize([SEAL_EVERY_MS]));
    figures.push({
      id: 'audit.sealing_lag',
      label: `sealing lag during the ${sizes.concurrency}-concurrent acks`,
      value: lagV,
      floor: { label: 'the sealer\'s idle poll (WARROOM_AUDIT_SEAL_EVERY)', value: sealEvery },
      ratio: ratioOf(lagV, sealEvery),
      goal: { text: 'p99 ≤ 250 ms', met: lagSamples.length > 0 && lagV.p99 <= 250 },
      details: { samples: lagSamples.length, sampleEveryMs: 10 },
      note: `the age of the oldest committed audit event not chained yet (what /metrics exports as warroom_audit_sealing_lag_seconds), sampled every 10 ms while the ${sizes.concurrency}-concurrent declarations ran (${lagSamples.length} samples).`,
    });
    if (sizes.webOnly > 0) figures.push(...(await webOnly(ctx, run, sizes, { seq: seqF, con: conF })));
    return figures;
  } finally {
    await bare.stop();
  }
}

/** The same two phases on a web-only replica: the ack path alone, nothing running behind it. */
async function webOnly(ctx: RunContext, run: (r: Recipe, c: number, n: number) => Promise<LoadResult>, sizes: AckSizes, floors: { seq: LatencyValue; con: LatencyValue }): Promise<Figure[]> {
  const web = await BenchBot.start(ctx, { name: 'web', workers: false });
  try {
    const recipe = web.slash('sev1 Web-only ack {n}', 'ack');
    await run(recipe, 4, sizes.warmup);
    const seq = await run(recipe, 1, sizes.webOnly);
    const meter = startMeter();
    const locks = new LockSampler(web.sql).start();
    const con = await run(recipe, sizes.concurrency, Math.max(sizes.concurrency, sizes.webOnly));
    const conLoad = meter();
    const conLocks = locks.stop();
    const seqV = latency(summarize(seq.samples.map((s) => s.ms)));
    const conV = latency(summarize(con.samples.map((s) => s.ms)));
    return [
      { id: 'ack.exp.web_only_sequential', label: 'ack sequential, web-only replica (no workers)', value: seqV, floor: { label: 'bare Bolt', value: floors.seq }, ratio: ratioOf(seqV, floors.seq), goal: null, experiment: true },
      {
        id: 'ack.exp.web_only_concurrent',
        label: `ack ${sizes.concurrency} concurrent, web-only replica (no workers)`,
        value: conV,
        floor: { label: 'bare Bolt', value: floors.con },
        ratio: ratioOf(conV, floors.con),
        goal: null,
        experiment: true,
        details: { load: conLoad, auditLockWaiters: conLocks },
        note: `acks and records only, nothing runs behind it. Sessions waiting for an audit lock (commit order or chain head): mean ${conLocks.meanWaiting}, max ${conLocks.maxWaiting} (each declaration's audit event goes to the inbox; only its commit takes the commit-order lock, shared); ${describeLoad(conLoad)}.`,
      },
    ];
  } finally {
    await web.stop();
  }
}
