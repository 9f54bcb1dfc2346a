import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { fileURLToPath } from 'node:url';
import * as schema from './schema.js';

export type Db = PostgresJsDatabase<typeof schema>;
export type Sql = postgres.Sql;

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations', import.meta.url));

/** Any stable 64-bit number: replicas starting together take turns on it. */
const MIGRATION_LOCK = 7_461_007_001;

export function connect(url: string, opts: { max?: number } = {}): { sql: Sql; db: Db } {
  const sql = postgres(url, {
    max: opts.max ?? 20,
    // Fail fast while Postgres is away, so a slash command can still answer within Slack's 3 s.
    connect_timeout: 2,
    idle_timeout: 30,
    onnotice: () => {},
    // No array columns or array parameters here (drizzle's inArray expands to a list). And
    // postgres.js fetches array types on every new connection without catching the result: a
    // connection dropped during that query (Postgres restarting) is an unhandled rejection.
    fetch_types: false,
    connection: { application_name: 'warroom' },
  });
  return { sql, db: drizzle(sql, { schema }) };
}

/** A client with one connection of its own, for a session that must outlive a pooled query (a session lock). */
export function connectSingle(url: string): Sql {
  return postgres(url, { max: 1, connect_timeout: 2, idle_timeout: 0, onnotice: () => {}, fetch_types: false, connection: { application_name: 'warroom-sealer' } });
}

/**
 * Applies pending migrations under a session advisory lock on a single dedicated connection, so
 * several replicas starting at once migrate once and the others wait, then find nothing to do.
 */
export async function migrateDatabase(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, fetch_types: false, connect_timeout: 10 });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`;
    try {
      await migrate(drizzle(sql), { migrationsFolder: MIGRATIONS_DIR });
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`;
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}
