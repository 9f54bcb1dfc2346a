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
 */
import type { Child } from './lib/child.js';
import type { BenchBot } from './lib/bot.js';
import type { RunContext } from './lib/bot.js';
import { startBareBolt } from './lib/bare-bolt.js';
import type { LoadResult, Recipe } from './lib/load-process.js';
import { latency, ratioOf, type Figure } from './lib/report.js';
import { summarize } from './lib/stats.js';

export interface AckSizes {
  warmup: number;
  sequential: number;
  concurrent: number;
  concurrency: number;
  rounds: number;
}

export async function ackBench(ctx: RunContext, load: Child, bot: BenchBot, sizes: AckSizes): Promise<Figure[]> {
  const bare = await startBareBolt(ctx, { inlineSetup: false });
  try {
    const run = async (recipe: Recipe, concurrency: number, count: number): Promise<LoadResult> => load.call<LoadResult>('closedLoop', { recipe, concurrency, count });
    const botRecipe = bot.slash('sev1 Ack latency {n}', 'ack');
    // Warm-up: connections, JIT, the first prepared statements.
    await run(bare.recipe('warm'), 4, sizes.warmup);
    await run(botRecipe, 4, sizes.warmup);
    await bot.waitQuiet(60_000);

    const samples = { floorSeq: [] as number[], botSeq: [] as number[], floorCon: [] as number[], botCon: [] as number[] };
    let botErrors = 0;
    let firstError: string | undefined;
    const per = (n: number) => Math.max(1, Math.round(n / sizes.rounds));
    for (let r = 0; r < sizes.rounds; r++) {
      samples.floorSeq.push(...(await run(bare.recipe('seq'), 1, per(sizes.sequential))).samples.map((s) => s.ms));
      const seq = await run(botRecipe, 1, per(sizes.sequential));
      samples.botSeq.push(...seq.samples.map((s) => s.ms));
      botErrors += seq.errors;
      firstError ??= seq.firstError;
      await bot.waitQuiet(120_000);
      samples.floorCon.push(...(await run(bare.recipe('con'), sizes.concurrency, per(sizes.concurrent))).samples.map((s) => s.ms));
      const con = await run(botRecipe, sizes.concurrency, per(sizes.concurrent));
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
    return [
      {
        id: 'ack.sequential',
        label: 'ack /incident sev1, sequential',
        value: seqV,
        floor: { label: 'bare Bolt', value: seqF },
        ratio: ratioOf(seqV, seqF),
        goal: null,
        details: { p50Ratio: seqF.p50 > 0 ? Math.round((seqV.p50 / seqF.p50) * 100) / 100 : null },
        note: `client-measured send → ack.${errors}`,
      },
      {
        id: 'ack.concurrent',
        label: `ack /incident sev1, ${sizes.concurrency} concurrent`,
        value: conV,
        floor: { label: 'bare Bolt', value: conF },
        ratio: conRatio,
        goal: { text: `p99 ≤ 50 ms and ≤ 3× floor`, met: botErrors === 0 && conV.p99 <= 50 && conRatio !== null && conRatio <= 3 },
        details: { p50Ratio: conF.p50 > 0 ? Math.round((conV.p50 / conF.p50) * 100) / 100 : null, errors: botErrors },
      },
    ];
  } finally {
    await bare.stop();
  }
}
