import { readFileSync } from 'node:fs';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_PATH } from '../../src/config/policy-schema.js';
import { ChildBot } from '../support/child-bot.js';
import { startHarness, type Harness } from '../support/harness.js';

/**
 * A reply in a thread (the compliance warning, a reported problem) posted by Slack, then the bot
 * fails before it records the post: the answer is lost on the way, or the process is killed while
 * waiting for it. The retry must find the reply in the thread (conversations.history never lists
 * thread replies) and not post it again.
 *
 * The run and its card are seeded in Postgres and the fake Slack, dated from the real clock, so no
 * timer of the policy has to fire and the test does not depend on the time of day.
 */
let h: Harness;
const children: ChildBot[] = [];

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  for (const c of children) await c.kill9().catch(() => undefined);
  await h?.stop();
});

/** A done run of nscc-settlement some days back, with its card in #compliance. */
async function seedRunWithCard(daysAgo: number): Promise<{ runId: number; cardTs: string }> {
  const card = h.slack.addMessage('compliance', { user: h.slack.botUserId, text: `NSCC settlement file (card, ${daysAgo} days ago)` });
  const day = DateTime.now().setZone(h.policy.timezone).minus({ days: daysAgo });
  const at = day.toJSDate();
  const [row] = await h.sql`
    insert into compliance_runs (task_id, date, opens_at, warn_at, due_at, status, opened_at, done_at, done_by, channel_id, card_ts)
    values ('nscc-settlement', ${day.toISODate()!}, ${at}, ${at}, ${at}, 'done', ${at}, ${at}, 'token:ci', ${h.slack.channel('compliance')!.id}, ${card.ts})
    returning id`;
  return { runId: row!['id'] as number, cardTs: card.ts };
}

/** The queued post of a reply in the run's thread, as the app enqueues it (old enough for the reconciler). */
async function enqueueThreadPost(runId: number, key: string, text: string): Promise<void> {
  await h.sql`insert into work_items (kind, dedupe_key, payload, created_at) values ('compliance.post', ${key}, ${h.sql.json({ runId, inThread: true, text })}, now() - interval '10 seconds')`;
}

async function workItem(key: string): Promise<{ status: string; attempts: number } | undefined> {
  const [row] = await h.sql`select status, attempts from work_items where dedupe_key = ${key}`;
  return row as { status: string; attempts: number } | undefined;
}

const replies = (cardTs: string) => h.slack.channel('compliance')!.messages.find((m) => m.ts === cardTs)!.replies;
const threadPosts = (cardTs: string) => h.slack.calls('chat.postMessage').filter((c) => c.args['thread_ts'] === cardTs);

describe('a thread reply posted by Slack, not recorded by the bot', () => {
  it('the answer is lost: the retry finds the reply in the thread; one reply', async () => {
    const { runId, cardTs } = await seedRunWithCard(20);
    const key = `cmp-problem-thread-lost-${runId}`;
    h.slack.failNext('chat.postMessage', { lostResponse: true }, 1, (a) => a['thread_ts'] === cardTs);
    await enqueueThreadPost(runId, key, ':warning: {owner} someone reported a problem (lost answer).');
    await h.slack.waitFor(async () => (await workItem(key))?.status === 'done', 15_000, 'the post done');
    expect(replies(cardTs).map((r) => r.text)).toEqual([':warning: <!subteam^SCOMPLIAN> someone reported a problem (lost answer).']);
    expect(threadPosts(cardTs)).toHaveLength(1);
    expect(threadPosts(cardTs)[0]!.lost).toBe(true);
    expect((await workItem(key))!.attempts).toBe(2);
    expect(h.slack.calls('conversations.replies').some((c) => c.args['ts'] === cardTs)).toBe(true);
  });

  it('kill -9 while Slack holds the answer: after restart, one reply', async () => {
    // Child processes do the work; the in-process bot only keeps its HTTP side.
    await h.restartBot({ workers: false });
    const policyYaml = readFileSync(DEFAULT_POLICY_PATH, 'utf8');
    const child = () => {
      const c = new ChildBot({ dbUrl: h.dbUrl, redisPrefix: h.redisPrefix, slack: h.slack, pagerduty: h.pagerduty, twilio: h.twilio, policyYaml, pdServices: Object.keys(h.policy.pagerduty.services) });
      children.push(c);
      return c;
    };
    const { runId, cardTs } = await seedRunWithCard(21);
    const key = `cmp-problem-thread-kill-${runId}`;
    h.slack.failNext('chat.postMessage', { lostResponse: true, hold: true }, 1, (a) => a['thread_ts'] === cardTs);
    const a = child();
    await a.start();
    await enqueueThreadPost(runId, key, ':warning: {owner} someone reported a problem (killed).');
    // Slack has posted the reply and is holding the answer: the process dies now.
    await h.slack.waitFor(() => threadPosts(cardTs).some((c) => c.lost), 20_000, 'the reply posted, answer held');
    expect(replies(cardTs)).toHaveLength(1);
    await a.kill9();
    expect((await workItem(key))!.status).toBe('pending');
    const b = child();
    await b.start();
    await h.slack.waitFor(async () => (await workItem(key))?.status === 'done', 45_000, "the post done after restart (the killed worker's job is retaken once its lock lapses)");
    expect(replies(cardTs).map((r) => r.text)).toEqual([':warning: <!subteam^SCOMPLIAN> someone reported a problem (killed).']);
    expect(threadPosts(cardTs)).toHaveLength(1);
    await b.kill9();
  }, 120_000);
});
