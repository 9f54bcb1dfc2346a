import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';

/**
 * A worker thread running the module `name` beside `here` (the caller's import.meta.url).
 * Compiled, that is the .js file next to the caller. From source (tsx, vitest) it is the .ts file,
 * and the thread needs a TypeScript loader of its own: on Node 20 `--import` in a worker's
 * execArgv does not reach its entry module, so a small bootstrap registers tsx's ESM hooks in the
 * thread first and then imports the module.
 */
export function startThread(here: string, name: string, workerData: unknown, resourceLimits?: ResourceLimits): Worker {
  const options = { workerData, ...(resourceLimits ? { resourceLimits } : {}) };
  if (!here.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, here), options);
  // tsx's ESM API (its CommonJS twin resolves its own files relative to the caller, which an eval'd bootstrap does not have).
  const api = pathToFileURL(createRequire(here).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const entry = new URL(`./${name}.ts`, here).href;
  const bootstrap = `import(${JSON.stringify(api)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); }).catch((err) => { process.exitCode = 1; throw err; });`;
  return new Worker(bootstrap, { eval: true, ...options });
}
