import { afterAll, beforeAll, inject } from 'vitest';
import { connect, type Db, type Sql } from '../../src/adapters/postgres/database.js';
import { cloneDatabase } from './databases.js';

/**
 * A database of its own for the file (or the describe block) that calls this: cloned from the
 * migrated template before its tests, connected with a pool of `max`, dropped after them.
 * The fields are filled in beforeAll.
 */
export function useDatabase(max = 4): { url: string; sql: Sql; db: Db } {
  const scope = {} as { url: string; sql: Sql; db: Db };
  let drop: (() => Promise<void>) | null = null;
  beforeAll(async () => {
    const clone = await cloneDatabase(inject('templateDatabase'), inject('runId'));
    drop = clone.drop;
    const { sql, db } = connect(clone.url, { max });
    Object.assign(scope, { url: clone.url, sql, db });
  });
  afterAll(async () => {
    await scope.sql?.end({ timeout: 5 });
    await drop?.();
  });
  return scope;
}
