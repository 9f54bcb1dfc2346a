/**
 * Child entry for the compiled-bot memory experiment: bundled by esbuild into plain JavaScript
 * and run on plain Node (no tsx), it starts the same bot as BenchBot and reports its idle RSS.
 */
import { idleRss } from '../memory.js';
import { BenchBot, type RunContext } from './bot.js';
import { serve } from './child.js';
import { Cleanup } from './cleanup.js';
import type { FakesInfo } from './fakes-process.js';

serve({
  async idle(p: { id: string; template: string; fakes: FakesInfo; policyYaml: string; settleMs: number }) {
    const before = process.memoryUsage().rss;
    const cleanup = new Cleanup();
    const ctx: RunContext = { id: p.id, quick: true, template: p.template, fakes: p.fakes, cleanup, note: () => {} };
    try {
      const bot = await BenchBot.start(ctx, { name: 'compiled', policyYaml: p.policyYaml });
      await bot.waitQuiet(30_000);
      const idle = await idleRss(p.settleMs);
      await bot.stop();
      return { before, rss: idle.rss, heapUsed: idle.heapUsed };
    } finally {
      await cleanup.run();
    }
  },
});
