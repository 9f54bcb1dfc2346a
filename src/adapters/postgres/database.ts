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

/**
 * Drizzle runs every query through postgres.js `unsafe(…, { prepare: false })`, and postgres.js
 * sends an unprepared query with parameters in two round trips (Describe to learn the parameter
 * types, then Bind/Execute), parsing and planning it each time. Prepared, a statement seen
 * before on the connection is one round trip and no parse. Statements with many parameters
 * (batch inserts whose row count varies) stay unprepared so the per-connection cache stays small.
 */
export const PREPARE_MAX_PARAMS = 40;

function preparing(sql: Sql): Sql {
  return new Proxy(sql, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop === 'unsafe') {
        return (query: string, params: unknown[] = [], options: Record<string, unknown> = {}) =>
          target.unsafe(query, params as never[], { ...options, prepare: options['prepare'] === true || (params.length > 0 && params.length <= PREPARE_MAX_PARAMS) });
      }
      // A transaction's (or savepoint's) own client must prepare too.
      if (prop === 'begin' || prop === 'savepoint') {
        return (...args: unknown[]) => {
          const cb = args.pop() as (tx: Sql) => unknown;
          return (value as (...a: unknown[]) => unknown).apply(target, [...args, (tx: Sql) => cb(preparing(tx))]);
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export function connect(url: string, opts: { max?: number; prepare?: boolean } = {}): { sql: Sql; db: Db } {
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
  return { sql, db: drizzle(opts.prepare === false ? sql : preparing(sql), { schema }) };
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
