import { describe, expect, it } from 'vitest';
import { useHarness, USERS } from '../support/harness.js';

const h = useHarness();

/** A small deterministic PRNG (mulberry32): the same 1,000 texts every run. */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FRAGMENTS = [
  '', ' ', '   ', 'sev1', 'sev2', 'SEV3', 'sev4', 'sev9', 'sev', 'status', 'resolve', 'timeline', 'ack', 'help', 'request', 'standard', 'emergency',
  'non-critical', 'at', 'tomorrow', 'today', '09:00', '25:99', '2026-13-45', '2026-11-27T13:30:00Z', 'payments', 'finra-cat', 'nscc-settlement',
  '<!channel>', '<!here>', '<!everyone>', '<@UALICE01>', '<@U0FORGED>', '<!subteam^S0FORGED>', '<#C0FORGED>', '&lt;', '&amp;', '*bold*', '`code`',
  "'; DROP TABLE incidents;--", '" OR 1=1 --', '../../../../etc/passwd', '%00', '%2e%2e%2f', '\u0000', '\u0007', '\u001b[31m', '\u202e', '\n', '\r\n', '\t',
  '🔥', '👩‍💻', 'é', 'e\u0301', '中文', 'ﷺ', 'x'.repeat(200), 'y'.repeat(3000), '${process.env}', '{{7*7}}', '<script>alert(1)</script>',
];

function generate(n: number): Array<{ command: string; text: string }> {
  const r = rng(20261127);
  const commands = ['/incident', '/deploy-window', '/compliance'];
  return Array.from({ length: n }, () => {
    const parts = Array.from({ length: Math.floor(r() * 6) }, () => FRAGMENTS[Math.floor(r() * FRAGMENTS.length)]!);
    return { command: commands[Math.floor(r() * commands.length)]!, text: parts.join(r() < 0.7 ? ' ' : '') };
  });
}

describe('1,000 generated slash-command texts', () => {
  it('each gets a clear ephemeral answer within Slack\'s 3 s as the bot measures it, no 5xx, nothing stored for invalid ones, no mention escapes', async () => {
    const cases = generate(1000);
    const results: Array<{ command: string; text: string; status: number; body: any }> = [];
    let next = 0;
    // Eight clients at a time, as a busy workspace would.
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = next++; i < cases.length; i = next++) {
          const c = cases[i]!;
          const r = await h.command(c.command, c.text, { user: USERS.bob });
          results.push({ ...c, status: r.status, body: r.body });
        }
      }),
    );
    expect(results).toHaveLength(1000);
    const bad = results.filter((r) => r.status !== 200);
    expect(bad.map((b) => [b.command, b.text.slice(0, 40), b.status])).toEqual([]);
    // Within Slack's deadline, from receipt to ack as the bot measures it (the client's own clock
    // would also count its queueing on a loaded box): every ack is in the histogram's 3 s bucket.
    const metrics = await (await fetch(`${h.bot.url}/metrics`)).text();
    for (const kind of new Set(results.map((r) => r.command))) {
      const count = Number(new RegExp(`warroom_ack_seconds_count\\{kind="${kind}"\\} (\\d+)`).exec(metrics)?.[1]);
      const within = Number(new RegExp(`warroom_ack_seconds_bucket\\{le="3",kind="${kind}"\\} (\\d+)`).exec(metrics)?.[1]);
      expect(count).toBeGreaterThanOrEqual(results.filter((r) => r.command === kind).length);
      expect(within).toBe(count);
    }
    for (const r of results) {
      // Either a modal was opened (`/incident` with no title) or there is an ephemeral answer with text.
      if (r.body === null || r.body === '') {
        expect(r.command).toBe('/incident');
        continue;
      }
      expect(r.body.response_type).toBe('ephemeral');
      expect(typeof r.body.text).toBe('string');
      expect(r.body.text.length).toBeGreaterThan(0);
      expect(r.body.text).not.toMatch(/something went wrong/i);
    }
    // Only what was accepted is stored.
    const declared = results.filter((r) => /Declaring INC-\d+/.test(r.body?.text ?? '')).length;
    const requested = results.filter((r) => /Deploy request DEP-\d+/.test(r.body?.text ?? '')).length;
    // On a loaded box an answer may miss the ack budget; the user is then told it "may still go
    // through", and it may: only those may be stored without a confirmation.
    const unconfirmed = (command: string) => results.filter((r) => r.command === command && /couldn't confirm this within Slack's 3 seconds/.test(r.body?.text ?? '')).length;
    const incidents = (await h.sql`select count(*)::int as n from incidents`)[0]!['n'];
    expect(incidents).toBeGreaterThanOrEqual(declared);
    expect(incidents).toBeLessThanOrEqual(declared + unconfirmed('/incident'));
    const deploys = (await h.sql`select count(*)::int as n from deploy_requests`)[0]!['n'];
    expect(deploys).toBeGreaterThanOrEqual(requested);
    expect(deploys).toBeLessThanOrEqual(requested + unconfirmed('/deploy-window'));
    // Once every war room is built, read everything the bot posted.
    await h.slack.waitFor(async () => (await h.sql`select count(*)::int as n from incidents where ready_at is null and failed_at is null`)[0]!['n'] === 0, 30_000, 'every war room built');
    const knownUsers = new Set([...Object.values(USERS), 'UBOT']);
    for (const ch of h.slack.channels()) {
      for (const m of ch.messages.flatMap((x) => [x, ...x.replies])) {
        const all = `${m.text} ${JSON.stringify(m.blocks ?? [])}`;
        expect(all).not.toMatch(/<!(channel|here|everyone)>/);
        for (const [, id] of all.matchAll(/<@([A-Z0-9]+)>/g)) expect(knownUsers.has(id!)).toBe(true);
        for (const [, id] of all.matchAll(/<!subteam\^([A-Z0-9]+)>/g)) expect(id).not.toBe('S0FORGED');
        expect(all).not.toContain('<#C0FORGED>');
      }
    }
    // None of the bot's answers echo an unescaped mention either.
    for (const r of results) if (typeof r.body?.text === 'string') expect(r.body.text).not.toMatch(/<!(channel|here|everyone)>|<@U0FORGED>/);
  }, 120_000);
});
