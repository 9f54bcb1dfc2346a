import postgres from 'postgres';
import { randomBytes } from 'node:crypto';

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

/** A fresh database cloned from the migrated template: isolated and fast. */
export async function cloneDatabase(template: string): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = uniqueName('warroom_t');
  await withAdmin((sql) => sql.unsafe(`create database "${name}" template "${template}"`));
  return { name, url: databaseUrl(name), drop: () => dropDatabase(name) };
}
