import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { Deferral, isPermanent, TransientError } from '../../domain/errors.js';
import type { StoredWorkItem } from '../../app/jobs/define.js';
import type { Logger } from '../../app/ports/logger.js';
import type { WorkStore } from '../../app/ports/work-store.js';
import type { RedisConnections } from '../redis/connections.js';

export const WORK_QUEUE = 'work';
/** BullMQ job ids may not contain `:`; `wi-<outbox id>` is unique and deterministic. */
export const workJobId = (id: number): string => `wi-${id}`;

export interface WorkQueueOptions {
  /** BullMQ queue name. */
  name?: string;
  /** The work kinds this queue runs (its reconciler re-offers only those); all others when `excludeKinds`. */
  kinds?: string[];
  excludeKinds?: string[];
  /**
   * Ordered lane: one job at a time, and a 429 pauses the whole queue for Retry-After, so jobs
   * keep their order (channel creation in a storm). Otherwise a 429 delays only that job.
   */
  ordered?: boolean;
  redisUrl: string;
  /** Key prefix; `{…}` keeps a queue's keys in one Redis Cluster slot. */
  prefix: string;
  store: WorkStore;
  /** Decodes the stored item against its kind and runs it; a bad payload throws a permanent error. */
  run: (item: StoredWorkItem, attempt: number) => Promise<void>;
  /** Called once when the item failed for good (a permanent error at once, or attempts used up). */
  onFailed: (item: StoredWorkItem, error: unknown) => Promise<void>;
  log: Logger;
  /** Shared connections and error reporting (one log line per retry interval while Redis is away). */
  connections?: RedisConnections;
  concurrency?: number;
  attempts?: number;
  backoffMs?: number;
  reconcileEveryMs?: number;
  /** How soon a job whose worker died (kill -9) is handed to another worker (BullMQ stalled check). */
  stalledMs?: number;
}

/**
 * Runs outbox work through BullMQ. At-least-once: the Postgres row is the promise, the job is the
 * wake-up. The reconciler re-offers rows still pending, so a Redis flush or restart loses nothing;
 * re-adding a job id that exists is a no-op, so it never doubles work that is queued.
 */
export class WorkQueue {
  private readonly queue: Queue;
  private worker: Worker | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly connections: Redis[] = [];

  constructor(private readonly opts: WorkQueueOptions) {
    this.queue = new Queue(opts.name ?? WORK_QUEUE, { connection: this.redis(), prefix: opts.prefix });
    // Without a listener BullMQ prints the error's stack to stderr, outside the JSON log.
    this.queue.on('error', (err) => this.redisError(err, 'redis connection error'));
  }

  private redisError(err: Error, msg: string): void {
    if (this.opts.connections) this.opts.connections.error(err, msg);
    else this.opts.log.warn({ err: err.message }, msg);
  }

  private redis(): Redis {
    if (this.opts.connections) return this.opts.connections.open();
    const r = new Redis(this.opts.redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
    r.on('error', (err) => this.opts.log.warn({ err: err.message }, 'redis connection error'));
    this.connections.push(r);
    return r;
  }

  async dispatch(items: Array<{ id: number; item: StoredWorkItem }>): Promise<void> {
    const attempts = this.opts.attempts ?? 8;
    await this.queue.addBulk(
      items.map(({ id, item }) => ({
        name: item.kind,
        data: { workId: id },
        opts: {
          jobId: workJobId(id),
          attempts,
          backoff: { type: 'exponential', delay: this.opts.backoffMs ?? 1000 },
          removeOnComplete: true,
          // Postgres keeps the outcome (work_items.status, last_error). A failed job left in Redis
          // would keep its id: a row still pending after attempts that failed on Postgres itself
          // (an outage longer than the retries) could never be re-queued by the reconciler.
          removeOnFail: true,
          // The ordered lane runs incidents by number, whichever request committed first.
          ...(this.opts.ordered && incidentIdOf(item) !== null ? { priority: Math.min(2_097_151, Math.max(1, incidentIdOf(item)!)) } : {}),
        },
      })),
    );
  }

  /** Queues work whose dispatch may have been lost (crash after commit, Redis flush). */
  async reconcile(): Promise<number> {
    const pending = await this.opts.store.pending(new Date(Date.now() - 2000), { kinds: this.opts.kinds, excludeKinds: this.opts.excludeKinds });
    if (pending.length) await this.dispatch(pending);
    return pending.length;
  }

  start(): void {
    this.worker = new Worker(this.opts.name ?? WORK_QUEUE, (job) => this.process(job), {
      connection: this.redis(),
      prefix: this.opts.prefix,
      concurrency: this.opts.ordered ? 1 : (this.opts.concurrency ?? 8),
      ...(this.opts.stalledMs ? { stalledInterval: this.opts.stalledMs, lockDuration: Math.max(this.opts.stalledMs, 5000) } : {}),
    });
    this.worker.on('error', (err) => this.redisError(err, 'work queue worker error'));
    const every = this.opts.reconcileEveryMs ?? 30_000;
    const tick = () =>
      this.reconcile().catch((err: Error) => this.opts.log.warn({ err: err.message }, 'work reconcile failed'));
    void tick();
    this.timer = setInterval(tick, every);
    this.timer.unref();
  }

  private async process(job: Job<{ workId: number }>): Promise<void> {
    const stored = await this.opts.store.start(job.data.workId);
    if (!stored) return;
    const starts = stored.attempts;
    const attempt = job.attemptsMade + 1;
    try {
      await this.opts.run(stored.item, starts);
      this.opts.log.info({ kind: stored.item.kind, key: stored.item.dedupeKey, ...incidentOf(stored.item), start: starts }, 'work done');
      await this.opts.store.finish(stored.id, 'done');
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await this.opts.store.attempted(stored.id, message);
      // A permanent error (a vendor's refusal, a DomainError, a payload that does not match its
      // kind) fails for good at once: retrying cannot change the answer.
      const final = isPermanent(err) || attempt >= (job.opts.attempts ?? 1);
      if (!final) {
        const about = { kind: stored.item.kind, key: stored.item.dedupeKey, ...incidentOf(stored.item), err: message, attempt };
        if (err instanceof Deferral) this.opts.log.debug(about, 'work deferred');
        else this.opts.log.warn(about, 'work failed; will retry');
      }
      if (!isPermanent(err) && err instanceof TransientError && err.retryAfterMs !== null) {
        if (this.opts.ordered) {
          // Pause the lane; the job goes back to the head of the queue, order kept.
          await this.queue.rateLimit(err.retryAfterMs);
          throw Worker.RateLimitError();
        }
        // Slack said when: wait exactly that long, and don't count it as a failed attempt.
        await job.moveToDelayed(Date.now() + err.retryAfterMs, job.token);
        throw new DelayedError();
      }
      if (!final) throw err;
      this.opts.log.error({ kind: stored.item.kind, key: stored.item.dedupeKey, ...incidentOf(stored.item), err: message, attempt }, 'work failed for good');
      await this.opts.store.finish(stored.id, 'failed', message);
      await this.opts.onFailed(stored.item, err);
    }
  }

  async depth(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.worker?.close();
    await this.queue.close();
    await Promise.all(this.connections.map((c) => c.quit().catch(() => c.disconnect())));
  }
}

function incidentIdOf(item: StoredWorkItem): number | null {
  const id = (item.payload as { incidentId?: unknown } | null)?.incidentId;
  return typeof id === 'number' && Number.isInteger(id) ? id : null;
}

/** Log lines about an incident carry its number, so `incident="INC-42"` finds all of them. */
function incidentOf(item: StoredWorkItem): { incident?: string } {
  const id = incidentIdOf(item);
  return id !== null ? { incident: `INC-${id}` } : {};
}
