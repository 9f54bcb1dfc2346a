/**
 * Small, dependency-free statistics and timing helpers. Latencies are measured with
 * `performance.now()` / `process.hrtime.bigint()` (monotonic, sub-millisecond); wall-clock
 * `Date.now()` is used only where a figure must be compared with a timestamp another process or
 * Postgres wrote (ready_at, a PagerDuty event's arrival), and those are reported in whole ms.
 */
import { performance } from 'node:perf_hooks';

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  max: number;
  min: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending array (p in 0–100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  return {
    n,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: n ? sorted[n - 1]! : NaN,
    min: n ? sorted[0]! : NaN,
    mean: n ? sorted.reduce((a, b) => a + b, 0) / n : NaN,
  };
}

/** Milliseconds since `start` (a `process.hrtime.bigint()` reading). */
export const msSince = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

export const now = (): number => performance.now();

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` every `everyMs` until it returns a value other than undefined/false, or times out (null). */
export async function pollUntil<T>(probe: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 20): Promise<T | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() >= deadline) return null;
    await sleep(everyMs);
  }
}

export const round = (x: number, digits = 1): number => {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export const mb = (bytes: number): number => round(bytes / 1024 / 1024, 1);
