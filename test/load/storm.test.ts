import { describe, expect, it } from 'vitest';
import { ACTION, encodeRoleTarget } from '../../src/adapters/slack/ids.js';
import { incidentIdFrom, useHarness, USERS } from '../support/harness.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const h = useHarness({ queue: { attempts: 8, backoffMs: 100, reconcileEveryMs: 2000, concurrency: 8 } });

describe('incident storm', () => {
  it('200 declarations with conversations.create at Tier 2 (scaled: 20 per 2 s): all open, in order, declarers told, memory bounded', async () => {
    h.slack.rateLimit('conversations.create', 20, 2000);
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 100);
    const users = [USERS.alice, USERS.bob, USERS.carol, USERS.dave];
    const ids: number[] = [];
    // 200 declarations spread over ~10 s by 4 clients.
    await Promise.all(
      users.map(async (user, u) => {
        for (let i = u; i < 200; i += users.length) {
          const ack = await h.command('/incident', `sev4 Storm alert ${i}`, { user });
          expect(ack.status).toBe(200);
          ids.push(incidentIdFrom(ack));
          // Load shaping, not waiting for the bot: each client declares about 25 times a second.
          await new Promise((r) => setTimeout(r, 40));
        }
      }),
    );
    expect(new Set(ids).size).toBe(200);
    // The bound: 200 creates at 20 per 2 s take at least 18 s.
    await h.slack.waitFor(async () => (await h.sql`select count(*)::int as n from incidents where ready_at is not null`)[0]!['n'] === 200, 90_000, 'all 200 war rooms ready');
    clearInterval(sampler);
    // In order: successful creates came in incident-number order.
    const created = h.slack.calls('conversations.create').filter((c) => c.ok).map((c) => Number(/^inc-(\d+)-/.exec(String(c.args['name']))![1]));
    expect(created).toHaveLength(200);
    // In order: declarations made at the same instant by the 4 clients may swap with each other
    // (their commits race), but no room opens more than 4 places away from its number's rank.
    const rank = new Map([...created].sort((a, b) => a - b).map((id, i) => [id, i]));
    const displacement = created.map((id, i) => Math.abs(i - rank.get(id)!));
    expect(Math.max(...displacement)).toBeLessThanOrEqual(4);
    expect(h.slack.calls('conversations.create').some((c) => c.status === 429)).toBe(true);
    // Every declarer whose channel creation met the limit (a 429 for its name) was told, once.
    const queuedDms = () => h.slack.channels().filter((c) => c.id.startsWith('D')).flatMap((c) => c.messages).filter((m) => m.text.includes('is queued'));
    const limited = new Set(h.slack.calls('conversations.create').filter((c) => c.status === 429).map((c) => /^inc-(\d+)-/.exec(String(c.args['name']))![1]!));
    expect(limited.size).toBeGreaterThan(0);
    await h.slack.waitFor(() => {
      const told = new Set(queuedDms().map((m) => /INC-(\d+)/.exec(m.text)![1]));
      return [...limited].every((id) => told.has(id));
    }, 30_000, 'every rate-limited declarer told');
    const perIncident = queuedDms().map((m) => /INC-(\d+)/.exec(m.text)![1]);
    expect(perIncident.length).toBe(new Set(perIncident).size);
    // Bounded: the whole test process (vitest, the bot, the fakes) grew by well under 300 MB.
    expect(rssPeak - rssBefore).toBeLessThan(300 * 1024 * 1024);
  }, 120_000);
});

describe('interaction burst', () => {
  it('1,000 clicks on one incident\'s role buttons from 20 clients at once: consistent state, the card shows it, the audit chain verifies', async () => {
    h.slack.rateLimit('conversations.create', 1000, 1000);
    const id = incidentIdFrom(await h.command('/incident', 'sev2 Click storm'));
    const room = await h.warRoomReady(id, 30_000);
    const clickers = [USERS.alice, USERS.bob, USERS.carol, USERS.dave, USERS.erin];
    const roles = ['incident_commander', 'technical_lead', 'communications_lead', 'business_lead'];
    const responsesBefore = h.slack.responses().length;
    let sent = 0;
    await Promise.all(
      Array.from({ length: 20 }, async (_, c) => {
        for (let i = c; i < 1000; i += 20) {
          const role = roles[i % roles.length]!;
          const r = i % 3 === 0
            ? await h.clickInMessage(room.channel_id, room.header_ts, ACTION.roleAssign, clickers[(i + 1) % 5]!, { blockId: encodeRoleTarget(id, role), selectedUser: clickers[i % 5]! })
            : await h.clickInMessage(room.channel_id, room.header_ts, ACTION.roleTake, clickers[i % 5]!, { value: encodeRoleTarget(id, role) });
          expect(r.status).toBe(200);
          sent += 1;
        }
      }),
    );
    expect(sent).toBe(1000);
    // Clicks are acked before they are applied: wait until each changed a role or was told it had not.
    await h.slack.waitFor(async () => {
      const [c] = await h.sql`select count(*)::int as n from audit_trail where incident_id = ${id} and action = 'role.assigned'`;
      const already = h.slack.responses().slice(responsesBefore).filter((r) => / already (are|is) /.test(r.body?.text ?? '')).length;
      return c!['n'] + already >= 1000;
    }, 60_000, 'all 1,000 clicks applied');
    const [row] = await h.sql`select roles from incidents where id = ${id}`;
    const holders = row!['roles'] as Record<string, { userId: string }>;
    const header = () => JSON.stringify(h.slack.channel(room.channel_id)!.messages.find((m) => m.ts === room.header_ts)!.blocks);
    const labels: Record<string, string> = { incident_commander: 'Incident Commander', technical_lead: 'Technical Lead', communications_lead: 'Communications Lead', business_lead: 'Business Lead' };
    await h.slack.waitFor(() => roles.every((r) => header().includes(`*${labels[r]}*: <@${holders[r]!.userId}>`)), 30_000, 'card shows the final holders');
    // Each change is one audit event whose `previous` is the holder before it.
    const changes = await h.sql`select data from audit_trail where incident_id = ${id} and action = 'role.assigned' order by ord`;
    for (const role of roles) {
      const mine = changes.map((c) => c['data']).filter((d) => d.role === role);
      for (let i = 1; i < mine.length; i++) expect(mine[i].previous).toBe(mine[i - 1].next);
      expect(mine.at(-1).next).toBe(holders[role]!.userId);
    }
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'scripts/audit-verify.ts'], { env: { ...process.env, DATABASE_URL: h.dbUrl } });
    expect(stdout).toMatch(/audit chain OK/);
  }, 120_000);
});
