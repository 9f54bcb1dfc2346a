import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { isPermanent, TransientError } from '../../domain/errors.js';
import { timerJobId, type TimerSpec } from '../../app/jobs/catalog.js';
import type { StoredTimer } from '../../app/jobs/define.js';
import type { Timers } from '../../app/ports/timers.js';
import type { Logger } from '../../app/ports/logger.js';
import { systemClock, type Clock } from '../../app/ports/clock.js';
import type { RedisConnections } from '../redis/connections.js';

export const TIMER_QUEUE = 'timers';

/** The spec as stored in Redis: the same fields, the instant as epoch milliseconds. */
type TimerData = Omit<TimerSpec, 'at'> & { at: number };

export interface TimerQueueOptions {
  redisUrl: string;
  prefix: string;
  /** Decodes the stored data against its kind and runs it; a bad payload throws a permanent error. */
  run: (timer: StoredTimer) => Promise<void>;
  /** Called once when a wake-up failed with a permanent error (it is not retried). */
  onFailed?: (jobId: string, timer: StoredTimer, error: unknown) => Promise<void>;
  log: Logger;
  /** Shared connections and error reporting (one log line per retry interval while Redis is away). */
  connections?: RedisConnections;
  concurrency?: number;
  attempts?: number;
  backoffMs?: number;
  /** How soon a job whose worker died is handed to another worker (BullMQ stalled check). */
  stalledMs?: number;
  /**
   * The bot's clock, which every `at` is on: a wake-up fires when this clock reaches it. The system
   * clock in production; a test's clock running from a future instant sees its timers on time.
   */
  clock?: Clock;
}

/**
 * BullMQ delayed jobs as wake-ups. A wake-up is not the deadline: the handler re-reads Postgres
 * and acts only if the deadline is still live. Jobs are removed when done or failed, so the
 * reconciler can always re-add a wake-up for work Postgres says is still owed.
 */
export class TimerQueue implements Timers {
  private readonly queue: Queue;
  private worker: Worker | null = null;
  private readonly connections: Redis[] = [];

  constructor(private readonly opts: TimerQueueOptions) {
    this.queue = new Queue(TIMER_QUEUE, { connection: this.redis(), prefix: opts.prefix });
    // Without a listener BullMQ prints the error's stack to stderr, outside the JSON log.
    this.queue.on('error', (err) => this.redisError(err, 'redis connection error (timers)'));
  }

  private redisError(err: Error, msg: string): void {
    if (this.opts.connections) this.opts.connections.error(err, msg);
    else this.opts.log.warn({ err: err.message }, msg);
  }

  private redis(): Redis {
    if (this.opts.connections) return this.opts.connections.open();
    const r = new Redis(this.opts.redisUrl, { maxRetriesPerRequest: null });
    r.on('error', (err) => this.opts.log.warn({ err: err.message }, 'redis connection error (timers)'));
    this.connections.push(r);
    return r;
  }

  /**
   * BullMQ's worker sleeps in BZPOPMIN on the queue's marker until the next delayed job is due,
   * and Redis ends that wait only on its server tick (every 100 ms at the default hz 10): a due
   * job is released 0–100 ms late. Touching the marker at the due instant wakes the workers at
   * once (measured in bench/timers.ts: p99 ≈ 4 ms instead of ≈ 95 ms). Any replica's nudge wakes
   * every worker; a lost nudge only means the old 0–100 ms.
   */
  private readonly nudges = new Map<number, NodeJS.Timeout>();
  private readonly nudgeHorizonMs = 15 * 60_000;

  private nudgeAt(at: number): void {
    const delay = at - Date.now();
    if (delay <= 0 || delay > this.nudgeHorizonMs || this.nudges.has(at)) return;
    const t = setTimeout(() => {
      this.nudges.delete(at);
      const marker = this.queue.keys['marker'];
      if (marker) void this.nudgeConnection().zadd(marker, at, '1').catch(() => undefined);
    }, delay);
    t.unref();
    this.nudges.set(at, t);
  }

  private nudger: Redis | null = null;
  private nudgeConnection(): Redis {
    this.nudger ??= this.redis();
    return this.nudger;
  }

  async wake(specs: TimerSpec[]): Promise<void> {
    if (specs.length === 0) return;
    const now = Date.now();
    // BullMQ and the nudges count on the real clock: move each instant by the bot clock's lead over it.
    const lead = (this.opts.clock ?? systemClock).now().getTime() - now;
    for (const t of specs) this.nudgeAt(t.at.getTime() - lead);
    await this.queue.addBulk(
      specs.map((t) => {
        const data = { ...t, at: t.at.getTime() } as TimerData;
        return {
          name: t.kind,
          data,
          opts: {
            jobId: timerJobId(t),
            delay: Math.max(0, t.at.getTime() - lead - now),
            attempts: this.opts.attempts ?? 6,
            backoff: { type: 'exponential', delay: this.opts.backoffMs ?? 1000 },
            removeOnComplete: true,
            removeOnFail: true,
          },
        };
      }),
    );
  }

  /**
   * A repeating wake-up by cron pattern in a time zone (BullMQ job scheduler): the compliance
   * planner runs daily at local midnight whatever the DST offset.
   */
  async scheduleDaily(id: string, pattern: string, tz: string, spec: Omit<TimerSpec, 'at'>): Promise<void> {
    await this.queue.upsertJobScheduler(id, { pattern, tz }, { name: spec.kind, data: { ...spec, at: 0 } as TimerData, opts: { removeOnComplete: true, removeOnFail: true } });
  }

  start(): void {
    this.worker = new Worker(TIMER_QUEUE, (job) => this.process(job), {
      connection: this.redis(),
      prefix: this.opts.prefix,
      concurrency: this.opts.concurrency ?? 16,
      ...(this.opts.stalledMs ? { stalledInterval: this.opts.stalledMs, lockDuration: Math.max(this.opts.stalledMs, 5000) } : {}),
    });
    this.worker.on('error', (err) => this.redisError(err, 'timer worker error'));
  }

  private async process(job: Job<StoredTimer>): Promise<void> {
    try {
      await this.opts.run(job.data);
    } catch (err) {
      if (err instanceof TransientError && err.retryAfterMs !== null) {
        await job.moveToDelayed(Date.now() + err.retryAfterMs, job.token);
        throw new DelayedError();
      }
      const id = job.data.incidentId;
      const about = { timer: job.id, ...(typeof id === 'number' ? { incident: `INC-${id}` } : {}), err: (err as Error).message, attempt: job.attemptsMade + 1 };
      if (isPermanent(err)) {
        // Retrying cannot change the answer (a DomainError, a payload that does not match its kind).
        this.opts.log.error(about, 'timer failed for good');
        await this.opts.onFailed?.(job.id ?? '', job.data, err).catch((e: Error) => this.opts.log.error({ timer: job.id, err: e.message }, 'could not report a failed timer'));
        throw new UnrecoverableError((err as Error).message);
      }
      this.opts.log.warn(about, 'timer handler failed; will retry');
      throw err;
    }
  }

  async depth(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'active', 'delayed');
  }

  async close(): Promise<void> {
    for (const t of this.nudges.values()) clearTimeout(t);
    this.nudges.clear();
    await this.worker?.close();
    await this.queue.close();
    await Promise.all(this.connections.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
