import { describe, expect, it } from 'vitest';
import { PostgresAlertStore } from '../../src/adapters/postgres/alert-store.js';
import { ALERT_POST_COALESCE_MS, ALERT_POST_GAP_MS, postAlerts, type AlertDeps } from '../../src/app/alerts.js';
import { TransientError } from '../../src/domain/errors.js';
import { useDatabase } from '../support/use-database.js';

/**
 * A war room's alert posts are at least ALERT_POST_GAP_MS apart: the first start of a post waits
 * the coalescing time, or until the gap since the incident's previous post has passed. The store's
 * `lastPostAt` is the claim time of the latest post, read from real Postgres.
 */
describe('alert posts: the gap after the previous post', () => {
  const conn = useDatabase(2);

  it('lastPostAt is when the latest post claimed its alerts; the first start waits what is left of the gap, at least the coalescing time', async () => {
    let now = new Date();
    const clock = { now: () => new Date(now) };
    const store = new PostgresAlertStore(conn.db, clock, async () => {});
    const incidentId = 4242;
    const record = (key: string) =>
      store.transaction(async (tx) => {
        const alert = { source: 'test', dedupKey: key, occurrence: '', status: 'firing' as const, title: key, severity: 'critical' as const, service: null, labels: {}, link: null, startsAt: now, endsAt: null, raw: {} };
        const id = await tx.insert({ alert, receivedAt: now, route: 'r', groupKey: 'g' });
        await tx.settle(id!, 'joined', incidentId);
      });
    const deps = { alerts: store, incidents: { clock } } as unknown as AlertDeps;
    const firstWait = async () => {
      const err = await postAlerts(deps, incidentId, { dedupeKey: 'k', attempt: 1, retry: false }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(TransientError);
      return (err as TransientError).retryAfterMs;
    };

    // No post yet: the coalescing time.
    expect(await store.lastPostAt(incidentId)).toBeNull();
    expect(await firstWait()).toBe(ALERT_POST_COALESCE_MS);

    await record('a');
    const claimedAt = new Date(now.getTime() - 1000);
    expect(await store.claimForPost(incidentId, 'post-1', claimedAt, 10)).toHaveLength(1);
    expect(await store.lastPostAt(incidentId)).toEqual(claimedAt);
    // Posted 1 s ago: what is left of the gap.
    expect(await firstWait()).toBe(ALERT_POST_GAP_MS - 1000);
    // Posted almost a gap ago: still the coalescing time at least.
    now = new Date(claimedAt.getTime() + ALERT_POST_GAP_MS - 500);
    expect(await firstWait()).toBe(ALERT_POST_COALESCE_MS);
    // A clock behind the last post (set back) never waits longer than the gap.
    now = new Date(claimedAt.getTime() - 60_000);
    expect(await firstWait()).toBe(ALERT_POST_GAP_MS);
  });
});
