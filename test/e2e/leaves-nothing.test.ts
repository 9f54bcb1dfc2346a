import postgres from 'postgres';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ADMIN_URL, REDIS_URL } from '../support/databases.js';
import { incidentIdFrom, startHarness } from '../support/harness.js';

const keysOf = async (prefix: string) => {
  const redis = new Redis(REDIS_URL);
  try {
    return (await redis.keys(`${prefix}:*`)).length;
  } finally {
    redis.disconnect();
  }
};

describe('a test leaves nothing behind', () => {
  it('stopping a harness removes its database and every Redis key of its prefix', async () => {
    const h = await startHarness();
    const id = incidentIdFrom(await h.command('/incident', 'sev2 Cleanup check'));
    await h.warRoomReady(id);
    expect(await keysOf(h.redisPrefix)).toBeGreaterThan(0);
    const name = new URL(h.dbUrl).pathname.slice(1);
    await h.stop();
    expect(await keysOf(h.redisPrefix)).toBe(0);
    const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
    try {
      expect(await admin`select 1 from pg_database where datname = ${name}`).toHaveLength(0);
    } finally {
      await admin.end();
    }
  });
});
