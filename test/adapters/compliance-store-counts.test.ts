import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { PostgresComplianceStore } from '../../src/adapters/postgres/compliance-store.js';
import { complianceRuns } from '../../src/adapters/postgres/schema.js';
import { useDatabase } from '../support/use-database.js';

const ZONE = 'America/New_York';

describe("the compliance gauge counts today's runs by the injected clock", () => {
  const conn = useDatabase(2);

  it('uses the clock and the zone, not the machine time', async () => {
    // Two local days, derived from the real now: "today" for a clock set one day ahead is tomorrow.
    const now = DateTime.now().setZone(ZONE);
    const today = now.toISODate()!;
    const tomorrow = now.plus({ days: 1 }).toISODate()!;
    const at = now.toJSDate();
    const run = (taskId: string, date: string, status: string) => ({ taskId, date, status, opensAt: at, warnAt: at, dueAt: at });
    await conn.db.insert(complianceRuns).values([
      run('a', today, 'done'),
      run('b', today, 'missed'),
      run('c', tomorrow, 'scheduled'),
      run('d', tomorrow, 'scheduled'),
      run('e', tomorrow, 'open'),
    ]);
    const clock = { now: () => now.plus({ days: 1 }).toJSDate() };
    const store = new PostgresComplianceStore(conn.db, clock, async () => {}, async () => {});
    const counts = await store.todaysRunCounts(ZONE);
    expect(Object.fromEntries(counts.map((r) => [r.status, r.n]))).toEqual({ scheduled: 2, open: 1 });
  });
});
