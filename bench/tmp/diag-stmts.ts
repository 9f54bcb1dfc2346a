import postgres from 'postgres';
import { BenchBot, type RunContext } from '../lib/bot.js';
import { startChild } from '../lib/child.js';
import { Cleanup } from '../lib/cleanup.js';
import type { FakesInfo } from '../lib/fakes-process.js';
import type { Sample } from '../lib/load-process.js';
import { createMigratedDatabase, dropDatabase, runId, ADMIN_URL } from '../lib/services.js';
const cleanup = new Cleanup();
try {
  const id = runId();
  const template = `warroom_bench_${id}_tpl`;
  await createMigratedDatabase(template); cleanup.add('tpl', () => dropDatabase(template));
  const fakes = await startChild(new URL('../lib/fakes-process.ts', import.meta.url), 'fakes'); cleanup.add('f', () => fakes.stop());
  const load = await startChild(new URL('../lib/load-process.ts', import.meta.url), 'load'); cleanup.add('l', () => load.stop());
  const info = await fakes.call<FakesInfo>('start');
  const ctx: RunContext = { id, quick: true, template, fakes: info, cleanup, note: console.log };
  const bot = await BenchBot.start(ctx, { name: 'diag', queue: {} });
  await bot.waitQuiet();
  const admin = postgres(ADMIN_URL, { max: 1 });
  await admin.unsafe(`alter system set log_min_duration_statement = 0`);
  // new connections pick it up; the bot's pool connections are already open -> use SET via reload? use a marker
  await admin.unsafe(`select pg_reload_conf()`);
  console.log('MARK-START', new Date().toISOString());
  for (let i = 0; i < 3; i++) {
    const s = await load.call<Sample>('one', { recipe: bot.slash('sev1 diag {n}', 'd') });
    console.log('ack ms', s.ms.toFixed(1), new Date(s.start).toISOString());
    await bot.waitQuiet();
  }
  await admin.unsafe(`alter system reset log_min_duration_statement`); await admin.unsafe(`select pg_reload_conf()`);
  await admin.end();
  await bot.stop();
} finally { await cleanup.run(); process.exit(0); }
