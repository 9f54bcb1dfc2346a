import { Worker, type ResourceLimits } from 'node:worker_threads';

/**
 * A worker thread running the module `name` beside `here` (the caller's import.meta.url).
 * Compiled, that is the .js file next to the caller. From source (tsx, vitest) it is the .ts file,
 * and on Node 20 a worker does not load its entry through the loader hooks it inherits (tsx's
 * `--import` in execArgv included): a small bootstrap registers tsx in the thread first, then
 * imports the module. The thread gets none of this process's flags: it needs none, and some are
 * refused in a worker (--input-type).
 */
export function startThread(here: string, name: string, workerData: unknown, resourceLimits?: ResourceLimits): Worker {
  const options = { workerData, execArgv: [], ...(resourceLimits ? { resourceLimits } : {}) };
  if (!here.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, here), options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL(`./${name}.ts`, here).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, ...options });
}
