import type { RunContext } from '../lib/bot.js';
import { startChild } from '../lib/child.js';
import { Cleanup } from '../lib/cleanup.js';
import { compiledIdleRss } from '../lib/compiled-idle.js';
import type { FakesInfo } from '../lib/fakes-process.js';
import { createMigratedDatabase, dropDatabase, runId } from '../lib/services.js';
const cleanup = new Cleanup();
try {
  const id = runId();
  const template = `warroom_bench_${id}_tpl`;
  await createMigratedDatabase(template); cleanup.add('tpl', () => dropDatabase(template));
  const fakes = await startChild(new URL('../lib/fakes-process.ts', import.meta.url), 'fakes'); cleanup.add('f', () => fakes.stop());
  const info = await fakes.call<FakesInfo>('start');
  const ctx: RunContext = { id, quick: true, template, fakes: info, cleanup, note: console.log };
  console.log(await compiledIdleRss(ctx, 1500));
} finally { await cleanup.run(); process.exit(0); }
