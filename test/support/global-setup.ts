import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { migrateDatabase } from '../../src/adapters/postgres/database.js';
import { databaseUrl, dropDatabase, removeRunLeftovers, withAdmin } from './databases.js';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
    /** Names every database and Redis prefix this run creates, so the run can remove them all. */
    runId: string;
  }
}

/**
 * One migrated template per run; each test file clones it (see harness.ts) and drops its clone
 * and its Redis keys when it stops. At the end, anything of this run still there (a file that
 * crashed before its afterAll) is removed too, and named on stderr.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The child-process tests run the bot as production does: compiled JavaScript on plain Node.
  execFileSync(process.execPath, ['node_modules/@typescript/native/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const template = `warroom_tpl_${runId}`;
  await withAdmin((sql) => sql.unsafe(`create database "${template}"`));
  await migrateDatabase(databaseUrl(template));
  project.provide('templateDatabase', template);
  project.provide('runId', runId);
  return async () => {
    await dropDatabase(template);
    const left = await removeRunLeftovers(runId);
    if (left.databases.length || left.redisKeys) {
      process.stderr.write(`test run ${runId} left ${left.databases.length} database(s) and ${left.redisKeys} Redis key(s) behind; removed: ${left.databases.join(', ')}\n`);
    }
  };
}
