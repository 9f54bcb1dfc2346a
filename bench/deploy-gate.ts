/**
 * Benchmark 6, the deploy gate: `GET /api/v1/deploy-window` with a bearer token from 32 clients
 * at once (closed loop, keep-alive), requests per second over a fixed time. Floor: `GET /healthz`
 * on the same bot, same server, same clients: everything but the gate's own work (token check,
 * deploy rules, open-incident freeze and grant queries, and the audit event each answer appends).
 */
import type { Child } from './lib/child.js';
import type { BenchBot } from './lib/bot.js';
import type { LoadResult, Recipe } from './lib/load-process.js';
import { describeLoad, LockSampler, startMeter } from './lib/meter.js';
import { latency, ratioOf, scalar, type Figure } from './lib/report.js';
import { round, summarize } from './lib/stats.js';
import { GATE_TOKEN } from './lib/workspace.js';

export interface GateSizes {
  concurrency: number;
  durationMs: number;
  warmupMs: number;
}

async function auditCount(bot: BenchBot): Promise<number> {
  const [row] = await bot.sql<Array<{ n: number }>>`select count(*)::int as n from audit_trail`;
  return row?.n ?? 0;
}

export async function deployGateBench(load: Child, bot: BenchBot, sizes: GateSizes): Promise<Figure[]> {
  const gate: Recipe = {
    kind: 'get',
    url: `${bot.url}/api/v1/deploy-window?type=standard&service=payments`,
    headers: { authorization: `Bearer ${GATE_TOKEN}` },
    okStatus: [200, 423],
  };
  const health: Recipe = { kind: 'get', url: `${bot.url}/healthz`, okStatus: [200] };
  const run = (recipe: Recipe, durationMs: number) => load.call<LoadResult>('closedLoop', { recipe, concurrency: sizes.concurrency, durationMs });
  await run(health, sizes.warmupMs);
  await run(gate, sizes.warmupMs);
  await bot.waitQuiet(30_000);

  const auditBefore = await auditCount(bot);
  const h = await run(health, sizes.durationMs);
  const meter = startMeter();
  const locks = new LockSampler(bot.sql).start();
  const g = await run(gate, sizes.durationMs);
  const gateLoad = meter();
  const gateLocks = locks.stop();
  const auditAfter = await auditCount(bot);
  const rate = (r: LoadResult) => (r.samples.filter((s) => s.ok).length / r.elapsedMs) * 1000;
  const value = scalar(rate(g), 'req/s');
  const floor = scalar(rate(h), 'req/s');
  return [
    {
      id: 'gate.throughput',
      label: `deploy gate, ${sizes.concurrency} concurrent clients`,
      value,
      floor: { label: '/healthz', value: floor },
      ratio: ratioOf(value, floor),
      goal: {
        text: '≥ 1,500 req/s, p99 ≤ 30 ms, every answer audited',
        met: value.value >= 1500 && summarize(g.samples.map((s) => s.ms)).p99 <= 30 && g.errors === 0 && auditAfter - auditBefore >= g.samples.filter((s) => s.ok).length,
      },
      details: {
        gateLatencyMs: latency(summarize(g.samples.map((s) => s.ms))),
        healthzLatencyMs: latency(summarize(h.samples.map((s) => s.ms))),
        errors: g.errors,
        firstError: g.firstError ?? null,
        auditEventsAppended: auditAfter - auditBefore,
        auditAppendsPerRequest: round((auditAfter - auditBefore) / Math.max(1, g.samples.length), 2),
        load: gateLoad,
        auditLockWaiters: gateLocks,
      },
      note: `gate p50/p99 ${round(summarize(g.samples.map((s) => s.ms)).p50, 1)}/${round(summarize(g.samples.map((s) => s.ms)).p99, 1)} ms; every answer records an audit event (${auditAfter - auditBefore} for ${g.samples.length} requests), written in shared commits (sessions waiting for an audit lock: mean ${gateLocks.meanWaiting}, max ${gateLocks.maxWaiting}); ${describeLoad(gateLoad)}.${g.errors ? ` ${g.errors} errors: ${g.firstError}` : ''}`,
    },
  ];
}
