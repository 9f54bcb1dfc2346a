/**
 * How busy this process (the bot's) was during a phase: CPU time over wall time, event-loop
 * utilization, and event-loop delay. A figure far from its floor with the loop near 100 % busy is
 * CPU-bound in the bot's one JavaScript thread; with the loop mostly idle it is waiting on
 * something else (a lock in Postgres, a timer in Redis).
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { round } from './stats.js';

export interface ProcessLoad {
  /** CPU time of this process ÷ wall time (100 % = one core). */
  cpuPercent: number;
  eventLoopUtilization: number;
  eventLoopDelayP99Ms: number;
  /** The machine's 1-minute load average at the end (2 cores: above 2 means queued for CPU). */
  loadAvg1m: number;
}

export function startMeter(): () => ProcessLoad {
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const t0 = performance.now();
  return () => {
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0);
    delay.disable();
    return {
      cpuPercent: round(((cpu.user + cpu.system) / 1000 / wall) * 100, 0),
      eventLoopUtilization: round(elu.utilization, 2),
      eventLoopDelayP99Ms: round(delay.percentile(99) / 1e6, 1),
      loadAvg1m: round(loadavg()[0] ?? 0, 2),
    };
  };
}

export const describeLoad = (l: ProcessLoad): string =>
  `bot process: CPU ${l.cpuPercent} % of a core, event loop ${Math.round(l.eventLoopUtilization * 100)} % busy (delay p99 ${l.eventLoopDelayP99Ms} ms); machine load average ${l.loadAvg1m}`;

/** Runs one query every `everyMs` (never two at once) and keeps the number it returns. */
class QuerySampler {
  private timer: NodeJS.Timeout | null = null;
  protected readonly samples: number[] = [];
  private busy = false;

  constructor(private readonly read: () => Promise<number>) {}

  start(everyMs: number): this {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      this.read()
        .then((n) => void this.samples.push(n))
        .catch(() => undefined)
        .finally(() => (this.busy = false));
    }, everyMs);
    this.timer.unref();
    return this;
  }

  protected halt(): number[] {
    if (this.timer) clearInterval(this.timer);
    return this.samples;
  }
}

/**
 * Samples, every `everyMs`, how many of this database's sessions wait for an audit lock: the
 * commit-order lock (taken shared at each commit that records audit events, exclusively by the
 * sealer for an instant) and the chain head (the sealer's). They are the advisory locks the bot
 * takes with a single bigint key (objsubid 1); the alert group and post locks use two int keys.
 */
export class LockSampler extends QuerySampler {
  constructor(sql: import('postgres').Sql) {
    super(async () => {
      const rows = await sql<Array<{ n: number }>>`select count(*)::int as n from pg_locks where locktype = 'advisory' and objsubid = 1 and not granted and database = (select oid from pg_database where datname = current_database())`;
      return rows[0]?.n ?? 0;
    });
  }

  override start(everyMs = 20): this {
    return super.start(everyMs);
  }

  stop(): { samples: number; meanWaiting: number; maxWaiting: number } {
    const s = this.halt();
    const n = s.length;
    return { samples: n, meanWaiting: n ? round(s.reduce((a, b) => a + b, 0) / n, 1) : 0, maxWaiting: n ? Math.max(...s) : 0 };
  }
}

/**
 * Samples the sealer's lag the way `/metrics` reports it (`warroom_audit_sealing_lag_seconds`:
 * how long ago the oldest event not chained yet was committed), in ms.
 */
export class SealingLagSampler extends QuerySampler {
  constructor(sql: import('postgres').Sql) {
    super(async () => {
      const rows = await sql<Array<{ age: number | null }>>`select extract(epoch from clock_timestamp() - min(coalesce(committed_at, inserted_at)))::float8 * 1000 as age from audit_inbox`;
      return Math.max(0, rows[0]?.age ?? 0);
    });
  }

  override start(everyMs = 10): this {
    return super.start(everyMs);
  }

  stop(): number[] {
    return this.halt();
  }
}
