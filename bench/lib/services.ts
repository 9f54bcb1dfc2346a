/**
 * This machine's Postgres and Redis, as the benchmark uses them: a migrated template database per
 * run (cloned per bot, like the tests do), and one Redis key prefix per run under which every
 * queue the benchmark makes lives, so deleting `<prefix>*` removes all of it.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { Redis } from 'ioredis';
import { migrateDatabase } from '../../src/adapters/postgres/database.js';

/** Same variables as the tests (trust auth on this machine by default). */
export const ADMIN_URL = process.env['BENCH_DATABASE_ADMIN_URL'] ?? process.env['TEST_DATABASE_ADMIN_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env['BENCH_REDIS_URL'] ?? process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export const runId = (): string => `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;

export function databaseUrl(name: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

async function withAdmin<T>(fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(ADMIN_URL, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export async function createDatabase(name: string, template?: string): Promise<string> {
  await withAdmin((sql) => sql.unsafe(template ? `create database "${name}" template "${template}"` : `create database "${name}"`));
  return databaseUrl(name);
}

export async function dropDatabase(name: string): Promise<void> {
  await withAdmin((sql) => sql.unsafe(`drop database if exists "${name}" with (force)`));
}

/** A new database with every migration applied (the template each bot's database is cloned from). */
export async function createMigratedDatabase(name: string): Promise<string> {
  const url = await createDatabase(name);
  await migrateDatabase(url);
  return url;
}

export async function postgresVersion(): Promise<string> {
  return withAdmin(async (sql) => String((await sql`show server_version`)[0]?.['server_version'] ?? '?'));
}

export function redisClient(): Redis {
  return new Redis(REDIS_URL, { maxRetriesPerRequest: null });
}

/** Deletes every key that starts with `prefix`; returns how many. */
export async function deleteRedisKeys(prefix: string): Promise<number> {
  if (!/^wrb-[a-z0-9]+/.test(prefix)) throw new Error(`refusing to delete keys outside the benchmark's prefix: ${prefix}`);
  const redis = redisClient();
  try {
    let n = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 2000);
      cursor = next;
      if (keys.length) n += await redis.unlink(...keys);
    } while (cursor !== '0');
    return n;
  } finally {
    redis.disconnect();
  }
}

export async function redisServerInfo(): Promise<{ version: string; hz: number | null; dynamicHz: string | null }> {
  const redis = redisClient();
  try {
    const info = await redis.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
    const hz = await redis.config('GET', 'hz').then((r) => Number((r as string[])[1]), () => null);
    const dynamicHz = await redis.config('GET', 'dynamic-hz').then((r) => String((r as string[])[1]), () => null);
    return { version, hz, dynamicHz };
  } finally {
    redis.disconnect();
  }
}

/** Sets Redis's `hz` (server cron frequency); resolves false when CONFIG is not allowed. */
export async function setRedisHz(hz: number): Promise<boolean> {
  const redis = redisClient();
  try {
    await redis.config('SET', 'hz', String(hz));
    return true;
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}
