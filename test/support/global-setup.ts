import type { TestProject } from 'vitest/node';
import { migrateDatabase } from '../../src/adapters/postgres/database.js';
import { databaseUrl, dropDatabase, uniqueName, withAdmin } from './databases.js';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

/** One migrated template per run; each test file clones it (see harness.ts) and drops its clone. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const template = uniqueName('warroom_tpl');
  await withAdmin((sql) => sql.unsafe(`create database "${template}"`));
  await migrateDatabase(databaseUrl(template));
  project.provide('templateDatabase', template);
  return async () => {
    await dropDatabase(template);
  };
}
