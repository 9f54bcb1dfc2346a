import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SlackChat } from '../../src/adapters/slack/slack-chat.js';
import { TransientError } from '../../src/domain/errors.js';
import { loadPolicy } from '../../src/config/policy-schema.js';
import { FakeSlack } from '../../src/sandbox/fake-slack.js';

/**
 * SlackChat's posts are idempotent per key: a retry first looks for what an earlier attempt may
 * have posted. The window that matters is "Slack posted it, the answer never came back" (a crash
 * or a dropped connection between the post and the record): the fake performs the post and then
 * cuts the connection (`lostResponse`).
 */
const fake = new FakeSlack();
const policy = loadPolicy(undefined);
const silent = { debug() {}, info() {}, warn() {}, error() {} } as never;
let chat: SlackChat;

beforeAll(async () => {
  await fake.start();
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(() => {
  fake.reset();
  fake.addChannel({ name: policy.channels.compliance, members: ['UBOT'] });
  const client = new WebClient('xoxb-test', { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, logLevel: 'error' as never });
  chat = new SlackChat(client, policy, () => fake.botUserId, silent);
});

const compliance = () => fake.channel(policy.channels.compliance)!;
const isThreadPost = (a: Record<string, unknown>) => a['thread_ts'] !== undefined;

async function card(): Promise<string> {
  return chat.postInChannel(policy.channels.compliance, 'NSCC settlement file (card)', { key: 'cmp-card-1', retry: false });
}

describe('a post into a thread, retried after its answer was lost', () => {
  it('is found in its thread (conversations.replies) and not posted again', async () => {
    const parent = await card();
    fake.failNext('chat.postMessage', { lostResponse: true }, 1, isThreadPost);
    const first = chat.postInChannel(policy.channels.compliance, 'due in 5 min', { key: 'cmp-warn-1', retry: false }, parent);
    await expect(first).rejects.toBeInstanceOf(TransientError);
    // Slack did post it: the reply is in the thread, and only there.
    const thread = () => compliance().messages.find((m) => m.ts === parent)!.replies;
    expect(thread()).toHaveLength(1);
    expect(compliance().messages).toHaveLength(1);
    expect(fake.calls('chat.postMessage').filter((c) => c.lost)).toHaveLength(1);

    const ts = await chat.postInChannel(policy.channels.compliance, 'due in 5 min', { key: 'cmp-warn-1', retry: true }, parent);
    expect(ts).toBe(thread()[0]!.ts);
    expect(thread()).toHaveLength(1);
    expect(fake.calls('chat.postMessage').filter(isThreadPostCall)).toHaveLength(1);
    expect(fake.calls('conversations.replies').map((c) => c.args['ts'])).toEqual([parent]);
  });

  it('finds its reply on a later page of a long thread', async () => {
    const parent = await card();
    for (let i = 0; i < 230; i++) fake.addMessage(compliance().id, { user: 'UBOT', text: `chatter ${i}`, thread_ts: parent });
    fake.failNext('chat.postMessage', { lostResponse: true }, 1, isThreadPost);
    await expect(chat.postInChannel(policy.channels.compliance, 'late reply', { key: 'cmp-late-1', retry: false }, parent)).rejects.toBeInstanceOf(TransientError);
    const ts = await chat.postInChannel(policy.channels.compliance, 'late reply', { key: 'cmp-late-1', retry: true }, parent);
    const replies = compliance().messages.find((m) => m.ts === parent)!.replies;
    expect(replies.filter((m) => m.text === 'late reply')).toHaveLength(1);
    expect(ts).toBe(replies.at(-1)!.ts);
    expect(fake.calls('conversations.replies').length).toBeGreaterThan(1);
  });

  it('posts on a retry when the first attempt never reached Slack', async () => {
    const parent = await card();
    fake.failNext('chat.postMessage', { status: 503 }, 1, isThreadPost);
    await expect(chat.postInChannel(policy.channels.compliance, 'warn', { key: 'cmp-warn-2', retry: false }, parent)).rejects.toBeInstanceOf(TransientError);
    await chat.postInChannel(policy.channels.compliance, 'warn', { key: 'cmp-warn-2', retry: true }, parent);
    expect(compliance().messages.find((m) => m.ts === parent)!.replies.map((r) => r.text)).toEqual(['warn']);
  });

  it('a top-level post is still found in the channel history', async () => {
    fake.failNext('chat.postMessage', { lostResponse: true });
    await expect(card()).rejects.toBeInstanceOf(TransientError);
    const ts = await chat.postInChannel(policy.channels.compliance, 'NSCC settlement file (card)', { key: 'cmp-card-1', retry: true });
    expect(compliance().messages.map((m) => m.ts)).toEqual([ts]);
  });
});

function isThreadPostCall(c: { args: Record<string, unknown> }): boolean {
  return isThreadPost(c.args);
}
