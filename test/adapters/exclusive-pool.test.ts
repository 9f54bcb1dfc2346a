import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { connect } from '../../src/adapters/postgres/database.js';
import { PostgresIncidentStore } from '../../src/adapters/postgres/incident-store.js';
import { userDeclarer } from '../../src/domain/declarer.js';
import { cloneDatabase } from '../support/databases.js';

/**
 * `exclusive()` holds a transaction and an advisory lock across Slack calls. Everything the
 * section reads or writes through the stores must use that same connection: with a second
 * pooled connection per job, N jobs on a pool of N would each hold one and wait for another
 * forever.
 */
describe('exclusive sections take one connection per job', () => {
  let db: Awaited<ReturnType<typeof cloneDatabase>>;
  beforeAll(async () => {
    db = await cloneDatabase(inject('templateDatabase'), inject('runId'));
  });
  afterAll(async () => {
    await db.drop();
  });

  async function withStore<T>(max: number, fn: (store: PostgresIncidentStore) => Promise<T>): Promise<T> {
    const conn = connect(db.url, { max });
    try {
      return await fn(new PostgresIncidentStore(conn.db, { now: () => new Date() }, async () => {}));
    } finally {
      await conn.sql.end({ timeout: 5 });
    }
  }

  async function declareN(store: PostgresIncidentStore, n: number): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) {
      const { incident } = await store.transaction((tx) =>
        tx.insertIncident({ requestKey: `pool-${Date.now()}-${i}-${Math.random()}`, title: `pool ${i}`, severity: 'sev4', customerImpact: null, service: null, isPrivate: false, declarer: userDeclarer('UALICE01'), declaredAt: new Date(), originChannel: null }),
      );
      ids.push(incident.id);
    }
    return ids;
  }


  it('on a pool of ONE connection, a section still reads, writes and nests a store transaction', async () => {
    await withStore(1, async (store) => {
      const [id] = await declareN(store, 1);
      const result = await store.exclusive(id!, async () => {
        const incident = await store.get(id!);
        await store.recordWarRoom(id!, { topicSet: true });
        await store.enqueue({ kind: 'incident.sync', dedupeKey: `sync-pool-${id}`, payload: { incidentId: id! } });
        const state = await store.warRoom(id!);
        return { title: incident?.title, topicSet: state?.topicSet };
      });
      expect(result).toEqual({ title: 'pool 0', topicSet: true });
    });
  });

  it('N concurrent sections across slow calls on a pool of N all complete, each holding its own lock', async () => {
    const N = 6;
    await withStore(N, async (store) => {
      const ids = await declareN(store, N);
      let inside = 0;
      const gates: Array<() => void> = [];
      const jobs = ids.map((id) =>
        store.exclusive(id, async () => {
          await store.get(id); // an inner read, as syncIncidentView does
          inside += 1;
          await new Promise<void>((r) => gates.push(r)); // the slow Slack call: every job waits here together
          await store.recordWarRoom(id, { pinned: true }); // an inner write after it
          return id;
        }),
      );
      // Wait on state: all N sections are inside at once, so all N connections are taken.
      const deadline = Date.now() + 10_000;
      while (inside < N) {
        if (Date.now() > deadline) throw new Error(`only ${inside} of ${N} sections got in`);
        await new Promise((r) => setImmediate(r));
      }
      for (const g of gates) g();
      await expect(Promise.all(jobs)).resolves.toEqual(ids);
    });
  });
});
