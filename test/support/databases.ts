import postgres from 'postgres';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** Where tests may create and drop databases (trust auth on this machine). */
export const ADMIN_URL = process.env['TEST_DATABASE_ADMIN_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export function databaseUrl(name: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

export const uniqueName = (prefix: string): string => `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

export async function withAdmin<T>(fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export async function dropDatabase(name: string): Promise<void> {
  await withAdmin((sql) => sql.unsafe(`drop database if exists "${name}" with (force)`));
}

/** A fresh database cloned from the migrated template: isolated and fast. `runId` names it as this run's. */
export async function cloneDatabase(template: string, runId: string): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = uniqueName(`warroom_t_${runId}`);
  await withAdmin((sql) => sql.unsafe(`create database "${name}" template "${template}"`));
  return { name, url: databaseUrl(name), drop: () => dropDatabase(name) };
}

/** The Redis key prefix of one harness of this run. */
export const redisPrefixFor = (runId: string): string => `wrt-${runId}-${randomBytes(4).toString('hex')}`;

/**
 * Deletes `pattern`'s keys in one script, like a Redis restart without persistence: deleting key
 * by key while workers run would leave half-deleted jobs that no real Redis failure produces.
 */
export async function deleteRedisKeys(pattern: string): Promise<number> {
  const redis = new Redis(REDIS_URL);
  try {
    const script = "local ks = redis.call('keys', ARGV[1]) for i = 1, #ks, 500 do redis.call('del', unpack(ks, i, math.min(i + 499, #ks))) end return #ks";
    return Number(await redis.eval(script, 0, pattern));
  } finally {
    redis.disconnect();
  }
}

/** Removes whatever of run `runId` is still there: its databases and Redis keys. */
export async function removeRunLeftovers(runId: string): Promise<{ databases: string[]; redisKeys: number }> {
  const databases = await withAdmin(async (sql) => (await sql`select datname from pg_database where datname like ${`warroom\\_%\\_${runId}\\_%`} or datname like ${`warroom\\_%\\_${runId}`}`).map((r) => r['datname'] as string));
  for (const name of databases) await dropDatabase(name);
  const redisKeys = await deleteRedisKeys(`wrt-${runId}-*`);
  return { databases, redisKeys };
}
