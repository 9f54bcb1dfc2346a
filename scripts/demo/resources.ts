import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { Redis } from 'ioredis';

/**
 * The demo's own database and Redis key prefix: unique per run (two demos, or a demo beside the
 * tests, never share or drop each other's), and removed at the end, also after a failure or
 * Ctrl-C.
 */
export class DemoResources {
  readonly id = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  readonly database = `warroom_demo_${this.id}`;
  /** `{…}` keeps BullMQ's keys in one Redis Cluster slot. */
  readonly redisPrefix = `{warroom-demo-${this.id}}`;

  constructor(
    private readonly serverUrl: string,
    readonly redisUrl: string,
  ) {}

  /** The server's maintenance database, where databases are created and dropped. */
  private get adminUrl(): string {
    const u = new URL(this.serverUrl);
    u.pathname = '/postgres';
    return u.toString();
  }

  get databaseUrl(): string {
    const u = new URL(this.serverUrl);
    u.pathname = `/${this.database}`;
    return u.toString();
  }

  private async admin<T>(fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
    const sql = postgres(this.adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
    try {
      return await fn(sql);
    } finally {
      await sql.end({ timeout: 5 });
    }
  }

  async createDatabase(): Promise<void> {
    await this.admin((sql) => sql.unsafe(`create database "${this.database}"`));
  }

  async dropDatabase(): Promise<void> {
    await this.admin((sql) => sql.unsafe(`drop database if exists "${this.database}" with (force)`));
  }

  /** Deletes every key under the demo's prefix; returns how many there were. */
  async deleteRedisKeys(): Promise<number> {
    const redis = new Redis(this.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
    try {
      await redis.connect();
      let deleted = 0;
      for await (const keys of redis.scanStream({ match: `${this.redisPrefix}:*`, count: 500 }) as AsyncIterable<string[]>) {
        if (keys.length) deleted += await redis.unlink(...keys);
      }
      return deleted;
    } finally {
      redis.disconnect();
    }
  }
}
