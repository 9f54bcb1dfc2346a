import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { migrateDatabase } from '../../src/adapters/postgres/database.js';
import { databaseUrl, dropDatabase, uniqueName, withAdmin } from '../support/databases.js';
import { BOT_TOKEN, incidentIdFrom, SIGNING_SECRET, startHarness, USERS, type Harness } from '../support/harness.js';

describe('startup', () => {
  const name = uniqueName('warroom_mig');
  afterAll(() => dropDatabase(name));

  it('replicas starting together migrate once, under the advisory lock', async () => {
    await withAdmin((sql) => sql.unsafe(`create database "${name}"`));
    await Promise.all([1, 2, 3].map(() => migrateDatabase(databaseUrl(name))));
    const sql = postgres(databaseUrl(name), { max: 1, onnotice: () => {} });
    try {
      const applied = await sql`select count(*)::int as n from drizzle.__drizzle_migrations`;
      const files = (await import('node:fs')).readdirSync('migrations').filter((f) => f.endsWith('.sql'));
      expect(applied[0]!['n']).toBe(files.length);
      const triggers = await sql`select tgname from pg_trigger where tgrelid = 'audit_events'::regclass and not tgisinternal order by tgname`;
      expect(triggers.map((t) => t['tgname'])).toEqual(['audit_events_no_truncate', 'audit_events_no_update_delete']);
    } finally {
      await sql.end();
    }
  });
});

describe('secrets', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.stop());

  it('never reach the logs, even when Slack errors echo requests', async () => {
    h.slack.failNext('conversations.create', { error: 'restricted_action' });
    const id = incidentIdFrom(await h.command('/incident', 'sev2 Secrets check', { user: USERS.bob }));
    await h.slack.waitFor(() => h.slack.dms(USERS.bob).some((m) => m.text.includes(`INC-${id}`)), 8000, 'failure reported');
    await h.command('/incident', 'sev9 bad');
    expect(h.logs.length).toBeGreaterThan(0);
    const all = h.logs.join('');
    expect(all).toContain('restricted_action');
    expect(all).not.toContain(BOT_TOKEN);
    expect(all).not.toContain(SIGNING_SECRET);
  });
});
