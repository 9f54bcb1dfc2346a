/**
 * Memory of the bot as it ships: `npm start` and the image run compiled JavaScript on plain
 * Node (dist/), while the other rows run the bot inside this tsx process. Here the same bot is
 * bundled ahead of time with esbuild (already installed as tsx's compiler) and run on plain Node
 * in a child process, and its idle RSS read the same way.
 *
 * The bundle is written under bench/.compiled/bundle/ — three levels below the repository root
 * like src/adapters/postgres/database.ts, whose migrations path is relative to its own URL — and
 * removed at the end. The policy is passed as text for the same reason (its default path is
 * relative to src/config/).
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULT_POLICY_PATH } from '../../src/config/policy-schema.js';
import type { RunContext } from './bot.js';
import { startChild } from './child.js';
import { deleteRedisKeys, dropDatabase } from './services.js';

export async function compiledIdleRss(ctx: RunContext, settleMs: number): Promise<{ before: number; rss: number; heapUsed: number } | null> {
  let esbuild: { build(opts: Record<string, unknown>): Promise<unknown> };
  try {
    const mod = (await import('esbuild' as string)) as { build?: unknown; default?: { build: unknown } };
    esbuild = (mod.build ? mod : mod.default) as typeof esbuild;
  } catch {
    ctx.note('esbuild is not installed: the compiled-bot memory experiment was skipped');
    return null;
  }
  const root = new URL('../.compiled/', import.meta.url);
  ctx.cleanup.add('remove bench/.compiled', () => rm(fileURLToPath(root), { recursive: true, force: true }));
  // Safety net should the child die before its own cleanup.
  ctx.cleanup.add('drop compiled bot database', () => dropDatabase(`warroom_bench_${ctx.id}_compiled`));
  ctx.cleanup.add('delete compiled bot Redis keys', () => deleteRedisKeys(`wrb-${ctx.id}-compiled`));
  const outdir = fileURLToPath(new URL('bundle/', root));
  const src = (path: string) => fileURLToPath(new URL(`../../src/${path}`, import.meta.url));
  // The worker threads' entries sit next to the bundle, where startThread looks for them.
  await esbuild.build({
    entryPoints: {
      'idle-bot': fileURLToPath(new URL('./compiled-idle-entry.ts', import.meta.url)),
      'audit-sealer-thread': src('adapters/postgres/audit-sealer-thread.ts'),
      'audit-verify-worker': src('adapters/postgres/audit-verify-worker.ts'),
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outdir,
    logLevel: 'error',
  });
  const outfile = `${outdir}idle-bot.js`;
  const child = await startChild(pathToFileURL(outfile), 'compiled bot', { execArgv: [] });
  try {
    return await child.call('idle', { id: ctx.id, template: ctx.template, fakes: ctx.fakes, policyYaml: readFileSync(DEFAULT_POLICY_PATH, 'utf8'), settleMs });
  } finally {
    await child.stop();
  }
}
