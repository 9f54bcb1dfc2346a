import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { Deferral, DomainError, TransientError } from '../../src/domain/errors.js';
import { PostgresWorkStore } from '../../src/adapters/postgres/work-store.js';
import { TimerQueue } from '../../src/adapters/queue/timer-queue.js';
import { WorkQueue } from '../../src/adapters/queue/work-queue.js';
import type { StoredTimer, StoredWorkItem } from '../../src/app/jobs/define.js';
import { pollUntil } from '../../src/sandbox/listen.js';
import { REDIS_URL } from '../support/databases.js';
import { useDatabase } from '../support/use-database.js';

/** The queues against real Postgres and Redis, with handlers that throw what the test needs. */
const log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const conn = useDatabase(4);
const prefix = `wrt-${randomBytes(4).toString('hex')}`;

afterAll(async () => {
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('a DomainError is permanent at once', () => {
  it('work: the handler runs once, the item fails for good and onFailed hears it once', async () => {
    const starts: number[] = [];
    const failed: Array<{ item: StoredWorkItem; err: unknown }> = [];
    const queue = new WorkQueue({
      redisUrl: REDIS_URL,
      prefix,
      store: new PostgresWorkStore(conn.db),
      log,
      attempts: 8,
      backoffMs: 10,
      reconcileEveryMs: 60_000,
      run: async (_item, attempt) => {
        starts.push(attempt);
        throw new DomainError('unknown_run', 'That compliance run does not exist.');
      },
      onFailed: async (item, err) => void failed.push({ item, err }),
    });
    try {
      queue.start();
      const [row] = await conn.sql`insert into work_items (kind, dedupe_key, payload) values ('compliance.card', 'domain-error-once', ${JSON.stringify({ runId: 9 })}::jsonb) returning id`;
      await queue.dispatch([{ id: Number(row!['id']), item: { kind: 'compliance.card', dedupeKey: 'domain-error-once', payload: { runId: 9 } } }]);
      await pollUntil('job-queues test', () => failed.length > 0, 5000, 'onFailed', () => []);
      const [r] = await conn.sql`select status, attempts from work_items where id = ${row!['id']}`;
      expect(r).toEqual({ status: 'failed', attempts: 1 });
      // Offering it again (the reconciler, a duplicate dispatch) does not start it again.
      await queue.dispatch([{ id: Number(row!['id']), item: { kind: 'compliance.card', dedupeKey: 'domain-error-once', payload: { runId: 9 } } }]);
      await queue.reconcile();
      expect(starts).toEqual([1]);
      expect(failed).toHaveLength(1);
      expect(failed[0]!.err).toBeInstanceOf(DomainError);
    } finally {
      await queue.close();
    }
  });

  it('timers: the handler runs once and onFailed hears it once; other errors are retried', async () => {
    const runs: StoredTimer[] = [];
    const failed: string[] = [];
    const timers = new TimerQueue({
      redisUrl: REDIS_URL,
      prefix,
      log,
      attempts: 6,
      backoffMs: 10,
      run: async (t) => {
        runs.push(t);
        if (t.kind === 'cmp-open') throw new DomainError('unknown_run', 'That compliance run does not exist.');
        if (runs.filter((r) => r.kind === 'cmp-warn').length < 3) throw new Error('flaky');
      },
      onFailed: async (id) => void failed.push(id),
    });
    try {
      timers.start();
      await timers.wake([
        { kind: 'cmp-open', runId: 1, at: new Date() },
        { kind: 'cmp-warn', runId: 1, at: new Date() },
      ]);
      await pollUntil('job-queues test', () => failed.length > 0 && runs.filter((r) => r.kind === 'cmp-warn').length >= 3, 5000, 'both timers settled', () => []);
      expect(runs.filter((r) => r.kind === 'cmp-open')).toHaveLength(1);
      expect(failed).toEqual(['cmp-open-1']);
      expect(runs.filter((r) => r.kind === 'cmp-warn')).toHaveLength(3);
    } finally {
      await timers.close();
    }
  });
});

describe('a Deferral is a planned wait, not a failure', () => {
  it('work: it comes back after the wait, logged at debug; a TransientError is a warning', async () => {
    const lines: Array<{ level: string; msg?: string }> = [];
    const at = (level: string) => (_obj: object, msg?: string) => void lines.push({ level, ...(msg ? { msg } : {}) });
    const starts: number[] = [];
    const queue = new WorkQueue({
      redisUrl: REDIS_URL,
      prefix,
      store: new PostgresWorkStore(conn.db),
      log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
      attempts: 8,
      backoffMs: 10,
      reconcileEveryMs: 60_000,
      run: async (item, attempt) => {
        starts.push(attempt);
        if (attempt === 1) throw new Deferral('gathering', 50);
        if (attempt === 2 && item.dedupeKey === 'transient-then-done') throw new TransientError('slack 500');
      },
      onFailed: async () => {},
    });
    try {
      queue.start();
      for (const key of ['deferred-then-done', 'transient-then-done']) {
        const [row] = await conn.sql`insert into work_items (kind, dedupe_key, payload) values ('alerts.post', ${key}, ${JSON.stringify({ incidentId: 1 })}::jsonb) returning id`;
        await queue.dispatch([{ id: Number(row!['id']), item: { kind: 'alerts.post', dedupeKey: key, payload: { incidentId: 1 } } }]);
      }
      await pollUntil('job-queues test', async () => (await conn.sql`select count(*)::int as n from work_items where dedupe_key in ('deferred-then-done', 'transient-then-done') and status = 'done'`)[0]!['n'] === 2, 5000, 'both done', () => []);
      expect(lines.filter((l) => l.msg === 'work deferred')).toHaveLength(2);
      expect(lines.filter((l) => l.level === 'debug').map((l) => l.msg)).toEqual(['work deferred', 'work deferred']);
      expect(lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual(['work failed; will retry']);
    } finally {
      await queue.close();
    }
  });
});
