/**
 * Benchmark 5, memory: the process's RSS while the bot is idle and at the peak of the storm.
 *
 * The bot runs in this process, so process.memoryUsage().rss is the bot's RSS plus what the
 * benchmark itself holds (tsx's compiled modules, the Postgres monitor connection). The fake
 * services and the load generator run in child processes and are not counted. The floor is this
 * process's RSS before any bot started: the same Node, tsx and loaded modules, doing nothing.
 */
import type { Figure } from './lib/report.js';
import { scalar } from './lib/report.js';
import { mb, round, sleep } from './lib/stats.js';

/** Samples RSS every `everyMs` (timers are unref'd: it never keeps the process alive). */
export class RssSampler {
  private timer: NodeJS.Timeout | null = null;
  readonly samples: Array<{ at: number; rss: number; heapUsed: number }> = [];

  start(everyMs = 50): this {
    const take = () => {
      const m = process.memoryUsage();
      this.samples.push({ at: Date.now(), rss: m.rss, heapUsed: m.heapUsed });
    };
    take();
    this.timer = setInterval(take, everyMs);
    this.timer.unref();
    return this;
  }

  stop(): this {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    return this;
  }

  get peak(): { rss: number; heapUsed: number } {
    return this.samples.reduce((p, s) => ({ rss: Math.max(p.rss, s.rss), heapUsed: Math.max(p.heapUsed, s.heapUsed) }), { rss: 0, heapUsed: 0 });
  }
}

/** RSS of an idle, freshly started bot: the highest reading over `forMs` after it settled. */
export async function idleRss(forMs: number): Promise<{ rss: number; heapUsed: number; breakdown: Record<string, number> }> {
  const s = new RssSampler().start(100);
  await sleep(forMs);
  const m = process.memoryUsage();
  // Where the resident memory is: V8's heap (reserved and used), off-heap buffers, the rest (code, native, stacks).
  const breakdown = { rssMb: mb(m.rss), heapTotalMb: mb(m.heapTotal), heapUsedMb: mb(m.heapUsed), externalMb: mb(m.external), outsideV8HeapMb: mb(m.rss - m.heapTotal - m.external) };
  return { ...s.stop().peak, breakdown };
}

export function memoryFigures(o: { baseline: number; idle: number; idleHeap: number; idleBreakdown: Record<string, number>; peak: number; peakHeap: number; stormSize: number }): Figure[] {
  const idleMb = mb(o.idle);
  const peakMb = mb(o.peak);
  return [
    {
      id: 'memory.idle',
      label: 'RSS, bot idle (in the bench process, under tsx)',
      value: scalar(idleMb, 'MB'),
      floor: { label: 'process before the bot', value: scalar(mb(o.baseline), 'MB') },
      ratio: round(o.idle / o.baseline, 2),
      // Measured inside the bench process (tsx, the bench's modules): the goal is the compiled row's.
      goal: null,
      details: { heapUsedMb: mb(o.idleHeap), breakdown: o.idleBreakdown },
      note: `of ${idleMb} MB: V8 heap ${o.idleBreakdown['heapTotalMb']} MB reserved (${o.idleBreakdown['heapUsedMb']} MB used), off-heap buffers ${o.idleBreakdown['externalMb']} MB, the rest (code, tsx's compiled modules and source maps, native libraries, thread stacks) ${o.idleBreakdown['outsideV8HeapMb']} MB; the floor is the same process with every module loaded and no bot started.`,
    },
    {
      id: 'memory.storm_peak',
      label: `RSS, peak of the storm (${o.stormSize})`,
      value: scalar(peakMb, 'MB'),
      floor: { label: 'bot idle', value: scalar(idleMb, 'MB') },
      ratio: round(o.peak / o.idle, 2),
      goal: { text: '≤ 250 MB', met: peakMb <= 250 },
      details: { heapUsedPeakMb: mb(o.peakHeap) },
    },
  ];
}
