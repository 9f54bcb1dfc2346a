import { Redis } from 'ioredis';
import type { Logger } from '../../app/deps.js';

/** Retry delays while a dependency is away: 1 s, 2 s, 4 s … capped at 30 s. */
export const RETRY_FIRST_MS = 1000;
export const RETRY_MAX_MS = 30_000;
export function retryDelayMs(attempt: number): number {
  return Math.min(RETRY_FIRST_MS * 2 ** Math.max(0, attempt - 1), RETRY_MAX_MS);
}

const CONNECTION_ERROR = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE|Connection is closed|connect ETIMEDOUT|Stream isn't writeable|Socket closed unexpectedly/i;
export const isConnectionError = (err: Error): boolean => CONNECTION_ERROR.test(err.message) || CONNECTION_ERROR.test((err as NodeJS.ErrnoException).code ?? '');

/**
 * Every Redis connection of one process (BullMQ queues, workers, their blocking duplicates, the
 * health probe) reports to one place: while Redis is away that is one log line per retry
 * interval in all, not one per connection per attempt, and never ioredis's "Unhandled error
 * event" stack dump (an `error` event without a listener).
 */
export class RedisConnections {
  private readonly all: Redis[] = [];
  private down = false;
  private lastLogged = 0;
  private attempt = 0;

  constructor(
    private readonly url: string,
    private readonly log: Logger,
  ) {}

  /** A new connection with the shared backoff and error reporting (BullMQ wants `maxRetriesPerRequest: null`). */
  open(opts: { maxRetriesPerRequest?: number | null } = {}): Redis {
    const r = new Redis(this.url, {
      maxRetriesPerRequest: opts.maxRetriesPerRequest === undefined ? null : opts.maxRetriesPerRequest,
      retryStrategy: (times) => retryDelayMs(times),
    });
    r.on('error', (err: Error) => this.error(err));
    r.on('ready', () => this.ready());
    this.all.push(r);
    return r;
  }

  /** For BullMQ's own `error` events (its queue and worker objects, and their duplicates). */
  error(err: Error, context = 'redis error'): void {
    if (!isConnectionError(err)) {
      this.log.warn({ err: err.message }, context);
      return;
    }
    const now = Date.now();
    const interval = retryDelayMs(this.attempt);
    if (this.down && now - this.lastLogged < interval) return;
    this.down = true;
    this.attempt += 1;
    this.lastLogged = now;
    this.log.warn({ dependency: 'redis', err: err.message, nextReportAfterMs: retryDelayMs(this.attempt) }, 'redis is not reachable; reconnecting with backoff');
  }

  private ready(): void {
    if (!this.down) return;
    this.down = false;
    this.attempt = 0;
    this.log.info({ dependency: 'redis' }, 'redis is reachable again');
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((c) => c.quit().catch(() => c.disconnect())));
  }
}

/**
 * One attempt to reach Redis: connect and PING on a connection of its own, no retries, no
 * queued commands, so an unreachable Redis answers at once with why.
 */
export async function probeRedis(url: string, timeoutMs = 5000): Promise<void> {
  const r = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: timeoutMs });
  // ioredis rejects connect() with "Connection is closed."; the reason came as an error event.
  let reason: Error | null = null;
  r.on('error', (err: Error) => (reason ??= err));
  try {
    await r.connect();
    await r.ping();
  } catch (err) {
    throw reason ?? err;
  } finally {
    r.disconnect();
  }
}
