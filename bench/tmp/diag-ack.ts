import { BenchBot, type RunContext } from '../lib/bot.js';
import { startChild } from '../lib/child.js';
import { Cleanup } from '../lib/cleanup.js';
import type { FakesInfo } from '../lib/fakes-process.js';
import type { Sample } from '../lib/load-process.js';
import { createMigratedDatabase, dropDatabase, runId } from '../lib/services.js';
import { summarize } from '../lib/stats.js';
const cleanup = new Cleanup();
try {
  const id = runId();
  const template = `warroom_bench_${id}_tpl`;
  await createMigratedDatabase(template); cleanup.add('tpl', () => dropDatabase(template));
  const fakes = await startChild(new URL('../lib/fakes-process.ts', import.meta.url), 'fakes'); cleanup.add('f', () => fakes.stop());
  const load = await startChild(new URL('../lib/load-process.ts', import.meta.url), 'load'); cleanup.add('l', () => load.stop());
  const info = await fakes.call<FakesInfo>('start');
  const ctx: RunContext = { id, quick: true, template, fakes: info, cleanup, note: console.log };
  const bot = await BenchBot.start(ctx, { name: 'diag' });
  await bot.waitQuiet();
  const idle: number[] = [];
  for (let i = 0; i < 30; i++) {
    const s = await load.call<Sample>('one', { recipe: bot.slash('sev1 diag {n}', 'd') });
    idle.push(s.ms);
    await bot.waitQuiet();
  }
  console.log('ack on quiet bot', summarize(idle));
  const help: number[] = [];
  for (let i = 0; i < 30; i++) {
    const s = await load.call<Sample>('one', { recipe: { ...bot.slash('help', 'h'), expect: '' } });
    help.push(s.ms);
  }
  console.log('/incident help', summarize(help));
  await bot.stop();
} finally { await cleanup.run(); process.exit(0); }
