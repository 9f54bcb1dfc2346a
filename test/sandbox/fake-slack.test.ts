/**
 * The fake Slack is only worth something if it answers like Slack, so every test here goes through
 * the real @slack/web-api WebClient (or raw fetch, where the HTTP details are the point).
 */
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeSlack } from '../../src/sandbox/fake-slack.js';

const fake = new FakeSlack();
let slack: WebClient;

beforeAll(async () => {
  await fake.start();
  slack = client('xoxb-test');
});

afterAll(async () => {
  await fake.stop();
});

beforeEach(() => {
  fake.reset();
  fake.addUser({ id: 'UALICE', name: 'alice', realName: 'Alice Adams', phone: '+15551230001', tz: 'America/Chicago' });
  fake.addUser({ id: 'UBOB', name: 'bob', realName: 'Bob Brown' });
  fake.addUser({ id: 'UCAROL', name: 'carol' });
});

/** WebClient logs Slack's response_metadata messages; the invalid_* tests provoke them on purpose. */
const quiet = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => 'error' as never, setName() {} };

function client(token: string | undefined, extra: Record<string, unknown> = {}): WebClient {
  return new WebClient(token, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, logger: quiet, ...extra });
}

/** The `{ ok: false, ... }` body of a call that must fail with a platform error. */
async function slackError(call: Promise<unknown>): Promise<Record<string, any>> {
  try {
    await call;
  } catch (err) {
    const e = err as { code?: string; data?: Record<string, any> };
    if (e.code === 'slack_webapi_platform_error' && e.data) return e.data;
    throw err;
  }
  throw new Error('expected the Slack call to fail');
}

async function rawCall(method: string, body: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${fake.apiUrl}${method}`, { method: 'POST', body, headers });
}

async function createChannel(name: string, isPrivate = false): Promise<string> {
  const res = await slack.conversations.create({ name, is_private: isPrivate });
  return res.channel!.id!;
}

describe('auth', () => {
  it('auth.test identifies the bot', async () => {
    const res = await slack.auth.test();
    expect(res).toMatchObject({ ok: true, team_id: 'T0001', user_id: 'UBOT', bot_id: 'BBOT' });
  });

  it('answers not_authed without a token and invalid_auth for a wrong one', async () => {
    expect((await slackError(client(undefined).auth.test())).error).toBe('not_authed');
    expect((await slackError(client('xoxb-wrong').auth.test())).error).toBe('invalid_auth');
  });

  it('answers invalid_auth to every call after revokeToken()', async () => {
    await slack.auth.test();
    fake.revokeToken();
    expect((await slackError(slack.auth.test())).error).toBe('invalid_auth');
    expect((await slackError(slack.conversations.create({ name: 'after-revoke' }))).error).toBe('invalid_auth');
    expect(fake.channel('after-revoke')).toBeUndefined();
  });

  it('answers unknown_method with HTTP 200', async () => {
    const res = await rawCall('nope.nothing', '', { authorization: 'Bearer xoxb-test' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: false, error: 'unknown_method' });
    expect((await slackError(slack.apiCall('bookmarks.nonexistent'))).error).toBe('unknown_method');
  });

  it('accepts JSON bodies and a token in a form field', async () => {
    const json = await rawCall('chat.postMessage', JSON.stringify({ channel: 'UALICE', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'via json' } }] }), {
      authorization: 'Bearer xoxb-test',
      'content-type': 'application/json; charset=utf-8',
    });
    expect(await json.json()).toMatchObject({ ok: true });
    expect(fake.dms('UALICE')[0]?.blocks?.[0]?.text?.text).toBe('via json');

    const form = await rawCall('auth.test', 'token=xoxb-test', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(await form.json()).toMatchObject({ ok: true, user_id: 'UBOT' });

    const broken = await rawCall('auth.test', '{not json', { authorization: 'Bearer xoxb-test', 'content-type': 'application/json' });
    expect(await broken.json()).toMatchObject({ ok: false, error: 'invalid_json' });
  });
});

describe('conversations.create', () => {
  it.each([
    ['', 'invalid_name_required'],
    ['x'.repeat(81), 'invalid_name_maxlength'],
    ['Inc-Upper', 'invalid_name_specials'],
    ['inc 42', 'invalid_name_specials'],
    ['inc#42', 'invalid_name_specials'],
    ['---', 'invalid_name_punctuation'],
  ])('rejects %j with %s', async (name, error) => {
    expect((await slackError(slack.conversations.create({ name })).then((d) => d.error))).toBe(error);
    expect(fake.channels()).toHaveLength(0);
  });

  it('creates a channel the bot created and is a member of', async () => {
    const name = `inc-${'a'.repeat(76)}`; // exactly 80 characters is allowed
    const res = await slack.conversations.create({ name, is_private: true });
    const id = res.channel!.id!;
    expect(id).toMatch(/^C[A-Z0-9]{8}$/);
    expect(res.channel).toMatchObject({ name, is_private: true, creator: 'UBOT', is_member: true, num_members: 1 });
    const ch = fake.channel(name)!;
    expect(ch.id).toBe(id);
    expect([...ch.members]).toEqual(['UBOT']);
    expect(ch.created).toBeGreaterThan(1_600_000_000);
  });

  it('answers name_taken for any existing channel, including private and archived ones', async () => {
    await createChannel('inc-1');
    fake.addChannel({ name: 'secret-room', isPrivate: true, members: ['UALICE'] });
    const archived = await createChannel('old-incident');
    await slack.conversations.archive({ channel: archived });
    for (const name of ['inc-1', 'secret-room', 'old-incident']) {
      expect((await slackError(slack.conversations.create({ name }))).error).toBe('name_taken');
    }
  });
});

describe('conversations.info / list / join', () => {
  it('hides private channels the bot is not in', async () => {
    const secret = fake.addChannel({ name: 'secret', isPrivate: true, members: ['UALICE'] });
    expect((await slackError(slack.conversations.info({ channel: secret }))).error).toBe('channel_not_found');
    expect((await slackError(slack.conversations.info({ channel: 'CNOPE0000' }))).error).toBe('channel_not_found');
    const mine = await createChannel('mine', true);
    const info = await slack.conversations.info({ channel: mine });
    expect(info.channel).toMatchObject({ id: mine, name: 'mine', is_private: true, is_member: true, topic: { value: '' } });
  });

  it('pages through channels with a cursor, listing private ones only where the bot is a member', async () => {
    const pub = [];
    for (let i = 0; i < 5; i++) pub.push(await createChannel(`pub-${i}`));
    fake.addChannel({ name: 'not-mine', isPrivate: true, members: ['UALICE'] });
    const priv = await createChannel('priv-mine', true);
    const seeded = fake.addChannel({ name: 'seeded-public', members: ['UALICE', 'UBOB'] });

    const seen: Array<Record<string, any>> = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await slack.conversations.list({ types: 'public_channel,private_channel', limit: 3, ...(cursor ? { cursor } : {}) });
      expect(res.channels!.length).toBeLessThanOrEqual(3);
      seen.push(...(res.channels as Array<Record<string, any>>));
      cursor = res.response_metadata?.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(cursor).toBe('');
    expect(seen.map((c) => c.id).sort()).toEqual([...pub, priv, seeded].sort());
    expect(seen.find((c) => c.id === seeded)).toMatchObject({ is_member: false, num_members: 2, creator: 'UALICE' });

    const publicOnly = await slack.conversations.list({ limit: 100 });
    expect(publicOnly.channels!.map((c) => c.id)).not.toContain(priv);
    expect((await slackError(slack.conversations.list({ cursor: 'garbage!!' }))).error).toBe('invalid_cursor');
  });

  it('leaves archived channels out with exclude_archived', async () => {
    const a = await createChannel('keep');
    const b = await createChannel('gone');
    await slack.conversations.archive({ channel: b });
    const all = await slack.conversations.list({});
    const live = await slack.conversations.list({ exclude_archived: true });
    expect(all.channels!.map((c) => c.id)).toEqual([a, b]);
    expect(live.channels!.map((c) => c.id)).toEqual([a]);
  });

  it('joins public channels only', async () => {
    const pub = fake.addChannel({ name: 'general', members: ['UALICE'] });
    const priv = fake.addChannel({ name: 'hush', isPrivate: true, members: ['UALICE'] });
    await slack.conversations.join({ channel: pub });
    expect(fake.channel(pub)!.members.has('UBOT')).toBe(true);
    const again = await slack.conversations.join({ channel: pub });
    expect(again.warning).toBe('already_in_channel');
    expect((await slackError(slack.conversations.join({ channel: priv }))).error).toBe('method_not_supported_for_channel_type');
  });
});

describe('conversations.invite', () => {
  let ch: string;
  beforeEach(async () => {
    ch = await createChannel('inc-invite');
  });

  it('invites users', async () => {
    const res = await slack.conversations.invite({ channel: ch, users: 'UALICE,UBOB' });
    expect(res.channel).toMatchObject({ id: ch, num_members: 3 });
    expect([...fake.channel(ch)!.members].sort()).toEqual(['UALICE', 'UBOB', 'UBOT']);
  });

  it('fails as a whole with already_in_channel and invites nobody, without force', async () => {
    await slack.conversations.invite({ channel: ch, users: 'UALICE' });
    const err = await slackError(slack.conversations.invite({ channel: ch, users: 'UBOB,UALICE' }));
    expect(err.error).toBe('already_in_channel');
    expect(err.errors).toEqual([{ user: 'UALICE', ok: false, error: 'already_in_channel' }]);
    expect(fake.channel(ch)!.members.has('UBOB')).toBe(false);
  });

  it('invites the valid users and reports the rest, with force', async () => {
    await slack.conversations.invite({ channel: ch, users: 'UALICE' });
    const res = await slack.conversations.invite({ channel: ch, users: 'UBOB,UALICE,UGHOST', force: true });
    expect(res.ok).toBe(true);
    expect(res.errors).toEqual([
      { user: 'UALICE', ok: false, error: 'already_in_channel' },
      { user: 'UGHOST', ok: false, error: 'user_not_found' },
    ]);
    expect(fake.channel(ch)!.members.has('UBOB')).toBe(true);
  });

  it.each([
    ['UGHOST', 'user_not_found'],
    ['UBOT', 'cant_invite_self'],
    ['', 'no_user'],
  ])('answers %j with %s', async (users, error) => {
    expect((await slackError(slack.conversations.invite({ channel: ch, users }))).error).toBe(error);
  });

  it('answers too_many_users beyond 100 users', async () => {
    const users = Array.from({ length: 101 }, (_, i) => `U${String(i).padStart(4, '0')}`).join(',');
    expect((await slackError(slack.conversations.invite({ channel: ch, users }))).error).toBe('too_many_users');
  });

  it('answers not_in_channel when the bot is not a member', async () => {
    const other = fake.addChannel({ name: 'elsewhere', members: ['UALICE'] });
    expect((await slackError(slack.conversations.invite({ channel: other, users: 'UBOB' }))).error).toBe('not_in_channel');
  });
});

describe('conversations.setTopic', () => {
  it('sets the topic, up to 250 characters, only as a member', async () => {
    const ch = await createChannel('inc-topic');
    const res = await slack.conversations.setTopic({ channel: ch, topic: 'SEV1 — orders rejected' });
    expect((res.channel as Record<string, any>).topic.value).toBe('SEV1 — orders rejected');
    expect(fake.channel(ch)!.topic).toBe('SEV1 — orders rejected');
    await slack.conversations.setTopic({ channel: ch, topic: 't'.repeat(250) });
    expect((await slackError(slack.conversations.setTopic({ channel: ch, topic: 't'.repeat(251) }))).error).toBe('too_long');
    expect(fake.channel(ch)!.topic).toBe('t'.repeat(250));

    const other = fake.addChannel({ name: 'not-joined' });
    expect((await slackError(slack.conversations.setTopic({ channel: other, topic: 'x' }))).error).toBe('not_in_channel');
  });
});

describe('chat.postMessage', () => {
  it('posts by id or by name and returns strictly increasing ts values', async () => {
    const ch = await createChannel('inc-post');
    const a = await slack.chat.postMessage({ channel: ch, text: 'one' });
    const b = await slack.chat.postMessage({ channel: '#inc-post', text: 'two' });
    const c = await slack.chat.postMessage({ channel: 'inc-post', text: 'three' });
    expect(a.channel).toBe(ch);
    expect(b.channel).toBe(ch);
    for (const ts of [a.ts, b.ts, c.ts]) expect(ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(Number(a.ts) < Number(b.ts) && Number(b.ts) < Number(c.ts)).toBe(true);
    expect(fake.channel(ch)!.messages.map((m) => m.text)).toEqual(['one', 'two', 'three']);
    expect(a.message).toMatchObject({ text: 'one', user: 'UBOT', bot_id: 'BBOT' });
  });

  it('posts to public channels without membership but not to private channels it cannot see', async () => {
    const pub = fake.addChannel({ name: 'announce', members: ['UALICE'] });
    await slack.chat.postMessage({ channel: pub, text: 'hello' });
    expect(fake.channel(pub)!.messages).toHaveLength(1);
    const priv = fake.addChannel({ name: 'hidden', isPrivate: true, members: ['UALICE'] });
    expect((await slackError(slack.chat.postMessage({ channel: priv, text: 'x' }))).error).toBe('channel_not_found');
    expect((await slackError(slack.chat.postMessage({ channel: 'no-such-channel', text: 'x' }))).error).toBe('channel_not_found');
  });

  it('validates text and blocks the way Slack does', async () => {
    const ch = await createChannel('inc-validate');
    expect((await slackError(slack.chat.postMessage({ channel: ch } as never))).error).toBe('no_text');
    expect((await slackError(slack.chat.postMessage({ channel: ch, text: 'x', blocks: [{ text: 'no type' }] as never }))).error).toBe('invalid_blocks');
    expect((await slackError(slack.chat.postMessage({ channel: ch, text: 'x', blocks: ['str'] as never }))).error).toBe('invalid_blocks');
    const many = Array.from({ length: 51 }, () => ({ type: 'divider' }));
    expect((await slackError(slack.chat.postMessage({ channel: ch, text: 'x', blocks: many }))).error).toBe('invalid_blocks');
    const longHeader = await slackError(
      slack.chat.postMessage({ channel: ch, text: 'x', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }] }),
    );
    expect(longHeader.error).toBe('invalid_blocks');
    expect(longHeader.response_metadata.messages[0]).toContain('/blocks/0/text/text');
    expect(fake.channel(ch)!.messages).toHaveLength(0);

    // 50 blocks and blocks without text are fine.
    await slack.chat.postMessage({ channel: ch, blocks: Array.from({ length: 50 }, () => ({ type: 'divider' })) });
    expect(fake.channel(ch)!.messages).toHaveLength(1);
  });

  it('round-trips message metadata through conversations.history', async () => {
    const ch = await createChannel('inc-meta');
    const metadata = { event_type: 'incident_declared', event_payload: { incident_id: 'INC-42', severity: 1 } };
    await slack.chat.postMessage({ channel: ch, text: 'declared', metadata });
    expect(fake.channel(ch)!.messages[0]!.metadata).toEqual(metadata);

    const withMeta = await slack.conversations.history({ channel: ch, include_all_metadata: true });
    expect(withMeta.messages![0]!.metadata).toEqual(metadata);
    const without = await slack.conversations.history({ channel: ch });
    expect(without.messages![0]!.metadata).toBeUndefined();

    const bad = await slackError(slack.chat.postMessage({ channel: ch, text: 'x', metadata: { event_payload: {} } as never }));
    expect(bad.error).toBe('invalid_metadata_format');
  });

  it('pages history newest first and honours oldest/latest', async () => {
    const ch = await createChannel('inc-history');
    const ts: string[] = [];
    for (let i = 0; i < 5; i++) ts.push((await slack.chat.postMessage({ channel: ch, text: `m${i}` })).ts!);
    const first = await slack.conversations.history({ channel: ch, limit: 2 });
    expect(first.messages!.map((m) => m.text)).toEqual(['m4', 'm3']);
    expect(first.has_more).toBe(true);
    const second = await slack.conversations.history({ channel: ch, limit: 2, cursor: first.response_metadata!.next_cursor! });
    expect(second.messages!.map((m) => m.text)).toEqual(['m2', 'm1']);
    const range = await slack.conversations.history({ channel: ch, oldest: ts[1]!, latest: ts[3]! });
    expect(range.messages!.map((m) => m.text)).toEqual(['m2']);
    const inclusive = await slack.conversations.history({ channel: ch, oldest: ts[1]!, latest: ts[3]!, inclusive: true });
    expect(inclusive.messages!.map((m) => m.text)).toEqual(['m3', 'm2', 'm1']);

    const notJoined = fake.addChannel({ name: 'lurk', members: ['UALICE'] });
    expect((await slackError(slack.conversations.history({ channel: notJoined }))).error).toBe('not_in_channel');
  });

  it('keeps thread replies in their parent and out of the channel history', async () => {
    const ch = await createChannel('inc-thread');
    const parent = await slack.chat.postMessage({ channel: ch, text: 'status' });
    await slack.chat.postMessage({ channel: ch, text: 'update 1', thread_ts: parent.ts! });
    fake.addMessage(ch, { user: 'UALICE', text: 'on it', thread_ts: parent.ts! });

    const stored = fake.channel(ch)!;
    expect(stored.messages).toHaveLength(1);
    expect(stored.messages[0]!.replies.map((r) => [r.user, r.text, r.thread_ts])).toEqual([
      ['UBOT', 'update 1', parent.ts],
      ['UALICE', 'on it', parent.ts],
    ]);

    const history = await slack.conversations.history({ channel: ch });
    expect(history.messages).toHaveLength(1);
    expect(history.messages![0]).toMatchObject({ ts: parent.ts, thread_ts: parent.ts, reply_count: 2, reply_users_count: 2 });

    const replies = await slack.conversations.replies({ channel: ch, ts: parent.ts! });
    expect(replies.messages!.map((m) => m.text)).toEqual(['status', 'update 1', 'on it']);
    expect(replies.messages![1]).toMatchObject({ thread_ts: parent.ts, parent_user_id: 'UBOT' });
    expect((await slackError(slack.conversations.replies({ channel: ch, ts: '1.000001' }))).error).toBe('thread_not_found');
  });
});

describe('Slack’s documented behaviour (each a past difference of the fake)', () => {
  it('chat.postMessage truncates text over 40,000 characters with a message_truncated warning; chat.postEphemeral refuses it', async () => {
    const ch = await createChannel('inc-long');
    const res = await slack.chat.postMessage({ channel: ch, text: 'x'.repeat(40_001) });
    expect(res.ok).toBe(true);
    expect(res.response_metadata?.warnings).toEqual(['message_truncated']);
    expect(fake.channel(ch)!.messages[0]!.text).toHaveLength(40_000);
    await slack.conversations.invite({ channel: ch, users: 'UALICE' });
    expect((await slackError(slack.chat.postEphemeral({ channel: ch, user: 'UALICE', text: 'x'.repeat(40_001) }))).error).toBe('msg_too_long');
  });

  it('chat.update refuses text over 4,000 characters (msg_too_long) and keeps the message', async () => {
    const ch = await createChannel('inc-long-update');
    const posted = await slack.chat.postMessage({ channel: ch, text: 'short' });
    expect((await slackError(slack.chat.update({ channel: ch, ts: posted.ts!, text: 'x'.repeat(4_001) }))).error).toBe('msg_too_long');
    await slack.chat.update({ channel: ch, ts: posted.ts!, text: 'x'.repeat(4_000) });
    expect(fake.channel(ch)!.messages[0]!.text).toHaveLength(4_000);
  });

  it('answers too_many_attachments beyond 100 attachments', async () => {
    const ch = await createChannel('inc-attach');
    const attachments = Array.from({ length: 101 }, (_, i) => ({ text: `a${i}`, fallback: `a${i}` }));
    expect((await slackError(slack.chat.postMessage({ channel: ch, text: 'x', attachments }))).error).toBe('too_many_attachments');
  });

  it('chat.update answers is_inactive in an archived channel', async () => {
    const ch = await createChannel('inc-archived-edit');
    const posted = await slack.chat.postMessage({ channel: ch, text: 'before' });
    await slack.conversations.archive({ channel: ch });
    expect((await slackError(slack.chat.update({ channel: ch, ts: posted.ts!, text: 'after' }))).error).toBe('is_inactive');
    expect(fake.channel(ch)!.messages[0]!.text).toBe('before');
    await slack.conversations.unarchive({ channel: ch });
    await slack.chat.update({ channel: ch, ts: posted.ts!, text: 'after' });
    const dm = (await slack.chat.postMessage({ channel: 'UALICE', text: 'hi' })).channel!;
    expect((await slackError(slack.conversations.unarchive({ channel: dm }))).error).toBe('method_not_supported_for_channel_type');
  });

  it('chat.update keeps metadata left out and removes it for an empty object', async () => {
    const ch = await createChannel('inc-meta-edit');
    const metadata = { event_type: 'warroom_post', event_payload: { key: 'k1' } };
    const posted = await slack.chat.postMessage({ channel: ch, text: 'v1', metadata });
    await slack.chat.update({ channel: ch, ts: posted.ts!, text: 'v2' });
    expect(fake.channel(ch)!.messages[0]!.metadata).toEqual(metadata);
    await slack.chat.update({ channel: ch, ts: posted.ts!, text: 'v3', metadata: {} as never });
    expect(fake.channel(ch)!.messages[0]!.metadata).toBeUndefined();
  });

  it('a reply_broadcast reply is in its thread and in the channel history (subtype thread_broadcast)', async () => {
    const ch = await createChannel('inc-broadcast');
    const parent = await slack.chat.postMessage({ channel: ch, text: 'card' });
    await slack.chat.postMessage({ channel: ch, text: 'quiet reply', thread_ts: parent.ts! });
    const loud = await slack.chat.postMessage({ channel: ch, text: 'loud reply', thread_ts: parent.ts!, reply_broadcast: true });
    const history = await slack.conversations.history({ channel: ch });
    expect(history.messages!.map((m) => [m.text, m.subtype ?? null, m.thread_ts])).toEqual([
      ['loud reply', 'thread_broadcast', parent.ts],
      ['card', null, parent.ts],
    ]);
    const replies = await slack.conversations.replies({ channel: ch, ts: parent.ts! });
    expect(replies.messages!.map((m) => m.text)).toEqual(['card', 'quiet reply', 'loud reply']);
    // Deleting it takes it out of both.
    await slack.chat.delete({ channel: ch, ts: loud.ts! });
    expect((await slack.conversations.history({ channel: ch })).messages!.map((m) => m.text)).toEqual(['card']);
    expect((await slack.conversations.replies({ channel: ch, ts: parent.ts! })).messages!.map((m) => m.text)).toEqual(['card', 'quiet reply']);
  });

  it('conversations.replies honours oldest/latest/inclusive (the parent always first) and checks them', async () => {
    const ch = await createChannel('inc-replies-range');
    const parent = (await slack.chat.postMessage({ channel: ch, text: 'card' })).ts!;
    const ts: string[] = [];
    for (let i = 0; i < 4; i++) ts.push((await slack.chat.postMessage({ channel: ch, text: `r${i}`, thread_ts: parent })).ts!);
    const range = await slack.conversations.replies({ channel: ch, ts: parent, oldest: ts[0]!, latest: ts[3]! });
    expect(range.messages!.map((m) => m.text)).toEqual(['card', 'r1', 'r2']);
    const inclusive = await slack.conversations.replies({ channel: ch, ts: parent, oldest: ts[0]!, latest: ts[3]!, inclusive: true });
    expect(inclusive.messages!.map((m) => m.text)).toEqual(['card', 'r0', 'r1', 'r2', 'r3']);
    expect((await slackError(slack.conversations.replies({ channel: ch, ts: parent, oldest: 'yesterday' }))).error).toBe('invalid_ts_oldest');
  });

  it('pages of conversations.history hold at most 999 messages', async () => {
    const ch = await createChannel('inc-big');
    for (let i = 0; i < 1000; i++) fake.addMessage(ch, { user: 'UALICE', text: `m${i}` });
    const page = await slack.conversations.history({ channel: ch, limit: 1000 });
    expect(page.messages).toHaveLength(999);
    expect(page.has_more).toBe(true);
  });

  it('users.list without a limit returns every user', async () => {
    for (let i = 0; i < 120; i++) fake.addUser({ id: `UX${i}`, name: `x${i}` });
    const res = await slack.users.list({});
    expect(res.members).toHaveLength(124); // the bot, alice, bob, carol and 120 more
    expect(res.response_metadata?.next_cursor).toBe('');
  });

  it('chat.postEphemeral needs the bot in the channel, even a public one (chat:write.public covers chat.postMessage only)', async () => {
    const pub = fake.addChannel({ name: 'general-chat', members: ['UALICE'] });
    expect((await slackError(slack.chat.postEphemeral({ channel: pub, user: 'UALICE', text: 'psst' }))).error).toBe('not_in_channel');
    expect(fake.ephemerals('UALICE')).toEqual([]);
    await slack.conversations.join({ channel: pub });
    await slack.chat.postEphemeral({ channel: pub, user: 'UALICE', text: 'psst' });
    expect(fake.ephemerals('UALICE').map((e) => e.text)).toEqual(['psst']);
  });

  it('an edited message carries the time of the edit in edited.ts', async () => {
    const ch = await createChannel('inc-edited');
    const posted = await slack.chat.postMessage({ channel: ch, text: 'v1' });
    await slack.chat.update({ channel: ch, ts: posted.ts!, text: 'v2' });
    const [msg] = (await slack.conversations.history({ channel: ch })).messages!;
    expect(msg!.ts).toBe(posted.ts);
    expect(msg!.edited!.user).toBe('UBOT');
    expect(Number(msg!.edited!.ts)).toBeGreaterThan(Number(posted.ts));
  });

  it('pins.add answers bad_timestamp for a malformed ts', async () => {
    const ch = await createChannel('inc-pin-ts');
    expect((await slackError(slack.pins.add({ channel: ch, timestamp: 'yesterday' }))).error).toBe('bad_timestamp');
  });

  it('a trigger_id expires 3 s after Slack sent it', async () => {
    const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'Declare' }, blocks: [] };
    expect((await slackError(slack.views.open({ trigger_id: fake.issueTrigger({ ageMs: 3_500 }), view }))).error).toBe('expired_trigger_id');
    const fresh = fake.issueTrigger();
    expect(fresh).toMatch(/^\d+\.\d+\.[0-9a-f]+$/);
    expect((await slack.views.open({ trigger_id: fresh, view })).ok).toBe(true);
  });

  it('views answer duplicate_external_id and view_too_large', async () => {
    const view = { type: 'modal' as const, external_id: 'declare-UALICE', title: { type: 'plain_text' as const, text: 'Declare' }, blocks: [] };
    const opened = await slack.views.open({ trigger_id: fake.issueTrigger(), view });
    expect((await slackError(slack.views.open({ trigger_id: fake.issueTrigger(), view }))).error).toBe('duplicate_external_id');
    // Updating the view that holds the external_id is fine.
    await slack.views.update({ view_id: opened.view!.id!, view: { ...view, title: { type: 'plain_text', text: 'Declared' } } });
    const huge = { ...view, external_id: 'big', private_metadata: 'p'.repeat(3000), blocks: Array.from({ length: 100 }, () => ({ type: 'section', text: { type: 'mrkdwn', text: 'y'.repeat(2999) } })) };
    expect((await slackError(slack.views.open({ trigger_id: fake.issueTrigger(), view: huge }))).error).toBe('view_too_large');
  });

  it('a response_url expires 30 minutes after it was issued', async () => {
    const url = fake.responseUrl('cmd-old', { ageMs: 31 * 60_000 });
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'too late' }) });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ ok: false, error: 'expired_url' });
    expect(fake.responses()).toEqual([]);
  });
});

describe('chat.update / chat.getPermalink', () => {
  it('edits the bot’s own messages only', async () => {
    const ch = await createChannel('inc-update');
    const posted = await slack.chat.postMessage({ channel: ch, text: 'SEV2', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'SEV2' } }] });
    const res = await slack.chat.update({ channel: ch, ts: posted.ts!, text: 'SEV1' });
    expect(res).toMatchObject({ ok: true, channel: ch, ts: posted.ts, text: 'SEV1' });
    const msg = fake.channel(ch)!.messages[0]!;
    expect(msg).toMatchObject({ text: 'SEV1', edited: true });
    expect(msg.blocks).toHaveLength(1); // blocks left out of chat.update are kept

    const human = fake.addMessage(ch, { user: 'UALICE', text: 'mine' });
    expect((await slackError(slack.chat.update({ channel: ch, ts: human.ts, text: 'hijack' }))).error).toBe('cant_update_message');
    expect((await slackError(slack.chat.update({ channel: ch, ts: '1.000001', text: 'x' }))).error).toBe('message_not_found');
  });

  it('builds permalinks from the channel and ts', async () => {
    const ch = await createChannel('inc-link');
    const posted = await slack.chat.postMessage({ channel: ch, text: 'x' });
    const res = await slack.chat.getPermalink({ channel: ch, message_ts: posted.ts! });
    expect(res.permalink).toBe(`${fake.baseUrl}/archives/${ch}/p${posted.ts!.replace('.', '')}`);
    expect((await slackError(slack.chat.getPermalink({ channel: ch, message_ts: '1.000001' }))).error).toBe('message_not_found');
  });
});

describe('ephemerals and DMs', () => {
  it('records ephemerals per user and refuses users outside the channel', async () => {
    const ch = await createChannel('inc-eph');
    await slack.conversations.invite({ channel: ch, users: 'UALICE' });
    const res = await slack.chat.postEphemeral({ channel: ch, user: 'UALICE', text: 'only you' });
    expect(res.message_ts).toMatch(/^\d+\.\d{6}$/);
    expect(fake.ephemerals('UALICE')).toEqual([expect.objectContaining({ channel: ch, user: 'UALICE', text: 'only you' })]);
    expect(fake.ephemerals('UBOB')).toEqual([]);
    expect(fake.channel(ch)!.messages).toHaveLength(0);
    expect((await slackError(slack.chat.postEphemeral({ channel: ch, user: 'UBOB', text: 'x' }))).error).toBe('user_not_in_channel');
    expect((await slackError(slack.chat.postEphemeral({ channel: ch, user: 'UGHOST', text: 'x' }))).error).toBe('user_not_found');
  });

  it('delivers a message posted to a user id into that user’s DM', async () => {
    const res = await slack.chat.postMessage({ channel: 'UBOB', text: 'You are the incident commander' });
    expect(res.channel).toMatch(/^D[A-Z0-9]{8}$/);
    expect(fake.dms('UBOB').map((m) => m.text)).toEqual(['You are the incident commander']);
    expect(fake.dms('UALICE')).toEqual([]);

    const opened = await slack.conversations.open({ users: 'UBOB' });
    expect(opened.channel!.id).toBe(res.channel);
    expect(opened.already_open).toBe(true);
    expect([...fake.channel(res.channel!)!.members].sort()).toEqual(['UBOB', 'UBOT']);

    const fresh = await slack.conversations.open({ users: 'UCAROL' });
    await slack.chat.postMessage({ channel: fresh.channel!.id!, text: 'hi carol' });
    expect(fake.dms('UCAROL').map((m) => m.text)).toEqual(['hi carol']);
    // Ephemerals in a DM need no channel membership check.
    await slack.chat.postEphemeral({ channel: fresh.channel!.id!, user: 'UCAROL', text: 'psst' });
    expect((await slackError(slack.conversations.open({ users: 'UGHOST' }))).error).toBe('user_not_found');
  });
});

describe('pins', () => {
  it('pins once, by message ts', async () => {
    const ch = await createChannel('inc-pins');
    const posted = await slack.chat.postMessage({ channel: ch, text: 'summary' });
    await slack.pins.add({ channel: ch, timestamp: posted.ts! });
    expect([...fake.channel(ch)!.pins]).toEqual([posted.ts]);
    expect((await slackError(slack.pins.add({ channel: ch, timestamp: posted.ts! }))).error).toBe('already_pinned');
    expect((await slackError(slack.pins.add({ channel: ch, timestamp: '1.000001' }))).error).toBe('message_not_found');
    const listed = await slack.pins.list({ channel: ch });
    expect((listed.items as Array<Record<string, any>>).map((i) => i.message.text)).toEqual(['summary']);
  });
});

describe('views', () => {
  const modal = {
    type: 'modal' as const,
    callback_id: 'declare',
    title: { type: 'plain_text' as const, text: 'Declare incident' },
    submit: { type: 'plain_text' as const, text: 'Declare' },
    blocks: [{ type: 'input', block_id: 'title', label: { type: 'plain_text', text: 'Title' }, element: { type: 'plain_text_input', action_id: 'v' } }],
  };

  it('opens a modal for a live trigger_id, once', async () => {
    const res = await slack.views.open({ trigger_id: 'trig-1', view: modal });
    expect(res.view).toMatchObject({ callback_id: 'declare', title: modal.title, root_view_id: res.view!.id });
    expect(res.view!.id).toMatch(/^V[A-Z0-9]{8}$/);
    expect(res.view!.hash).toBeTruthy();
    expect(fake.calls('views.open')[0]!.args.view).toEqual(modal); // decoded from the form field
    expect((await slackError(slack.views.open({ trigger_id: 'trig-1', view: modal }))).error).toBe('exchanged_trigger_id');
  });

  it('answers expired_trigger_id for an empty or expired trigger', async () => {
    expect((await slackError(slack.views.open({ trigger_id: '', view: modal }))).error).toBe('expired_trigger_id');
    expect((await slackError(slack.views.open({ trigger_id: 'expired-123', view: modal }))).error).toBe('expired_trigger_id');
  });

  it('rejects a modal title over 24 characters', async () => {
    const err = await slackError(slack.views.open({ trigger_id: 'trig-2', view: { ...modal, title: { type: 'plain_text', text: 'x'.repeat(25) } } }));
    expect(err.error).toBe('invalid_arguments');
    expect(err.response_metadata.messages.join()).toContain('/view/title');
  });

  it('updates a view, guarded by its hash', async () => {
    const opened = await slack.views.open({ trigger_id: 'trig-3', view: modal });
    const updated = await slack.views.update({ view_id: opened.view!.id!, hash: opened.view!.hash!, view: { ...modal, callback_id: 'declare-2' } });
    expect(updated.view).toMatchObject({ id: opened.view!.id, callback_id: 'declare-2' });
    expect(updated.view!.hash).not.toBe(opened.view!.hash);
    expect((await slackError(slack.views.update({ view_id: opened.view!.id!, hash: opened.view!.hash!, view: modal }))).error).toBe('hash_conflict');
    expect((await slackError(slack.views.update({ view_id: 'VNOPE0000', view: modal }))).error).toBe('not_found');
    expect(fake.views()[0]!.view.callback_id).toBe('declare-2');
  });
});

describe('users and user groups', () => {
  it('describes users', async () => {
    const res = await slack.users.info({ user: 'UALICE' });
    expect(res.user).toMatchObject({ id: 'UALICE', name: 'alice', real_name: 'Alice Adams', tz: 'America/Chicago', profile: { phone: '+15551230001', real_name: 'Alice Adams' } });
    const profile = await slack.users.profile.get({ user: 'UALICE' });
    expect(profile.profile).toMatchObject({ phone: '+15551230001', display_name: 'alice' });
    expect((await slackError(slack.users.info({ user: 'UGHOST' }))).error).toBe('user_not_found');
  });

  it('lists user groups and their members', async () => {
    fake.addUserGroup({ id: 'S0ONCALL', handle: 'oncall-trading', name: 'Trading on-call', users: ['UALICE', 'UBOB'] });
    const withUsers = await slack.usergroups.list({ include_users: true });
    expect(withUsers.usergroups).toEqual([expect.objectContaining({ id: 'S0ONCALL', handle: 'oncall-trading', name: 'Trading on-call', users: ['UALICE', 'UBOB'] })]);
    const without = await slack.usergroups.list({});
    expect(without.usergroups![0]!.users).toBeUndefined();
    // user_count only with include_count, as documented.
    expect(without.usergroups![0]!.user_count).toBeUndefined();
    expect((await slack.usergroups.list({ include_count: true })).usergroups![0]!.user_count).toBe(2);
    expect((await slack.usergroups.users.list({ usergroup: 'S0ONCALL' })).users).toEqual(['UALICE', 'UBOB']);
    expect((await slackError(slack.usergroups.users.list({ usergroup: 'SNOPE' }))).error).toBe('no_such_subteam');
  });
});

describe('fault injection', () => {
  it('answers 429 with a Retry-After header and changes nothing', async () => {
    fake.failNext('conversations.create', { status: 429, retryAfter: 7 });
    const res = await rawCall('conversations.create', 'name=inc-storm', { authorization: 'Bearer xoxb-test', 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(await res.json()).toEqual({ ok: false, error: 'ratelimited' });
    expect(fake.channel('inc-storm')).toBeUndefined();
    expect(fake.calls('conversations.create')).toEqual([expect.objectContaining({ status: 429, ok: false, error: 'ratelimited', args: { name: 'inc-storm' } })]);

    // The fault was used up: the retry goes through.
    await createChannel('inc-storm');
    expect(fake.channel('inc-storm')).toBeDefined();
  });

  it('is seen by WebClient as a rate limit carrying Retry-After', async () => {
    fake.failNext('chat.postMessage', { status: 429, retryAfter: 3 });
    const strict = client('xoxb-test', { rejectRateLimitedCalls: true });
    const err = (await strict.chat.postMessage({ channel: 'UALICE', text: 'x' }).catch((e: unknown) => e)) as { code: string; retryAfter: number };
    expect(err.code).toBe('slack_webapi_rate_limited_error');
    expect(err.retryAfter).toBe(3);
    expect(fake.dms('UALICE')).toEqual([]);
  });

  it('answers 5xx with an HTML body', async () => {
    fake.failNext('chat.postMessage', { status: 503 }, 2);
    const raw = await rawCall('chat.postMessage', 'channel=UALICE&text=x', { authorization: 'Bearer xoxb-test', 'content-type': 'application/x-www-form-urlencoded' });
    expect(raw.status).toBe(503);
    expect(raw.headers.get('content-type')).toContain('text/html');
    const err = (await slack.chat.postMessage({ channel: 'UALICE', text: 'x' }).catch((e: unknown) => e)) as { code: string; statusCode: number };
    expect(err.code).toBe('slack_webapi_http_error');
    expect(err.statusCode).toBe(503);
    expect(fake.dms('UALICE')).toEqual([]);
    await slack.chat.postMessage({ channel: 'UALICE', text: 'third time lucky' });
    expect(fake.dms('UALICE').map((m) => m.text)).toEqual(['third time lucky']);
  });

  it('answers a chosen platform error', async () => {
    fake.failNext('conversations.invite', { error: 'fatal_error' });
    const ch = await createChannel('inc-fatal');
    expect((await slackError(slack.conversations.invite({ channel: ch, users: 'UALICE' }))).error).toBe('fatal_error');
    expect(fake.channel(ch)!.members.has('UALICE')).toBe(false);
  });

  it('rate-limits beyond N calls per window with Retry-After = seconds until a slot frees', async () => {
    fake.rateLimit('conversations.create', 2, 60_000);
    await createChannel('rl-1');
    await createChannel('rl-2');
    const res = await rawCall('conversations.create', 'name=rl-3', { authorization: 'Bearer xoxb-test', 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(59);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(fake.channel('rl-3')).toBeUndefined();
    // Other methods are not limited.
    await slack.auth.test();
  });

  it('short windows free up again', async () => {
    const windowMs = 150;
    fake.rateLimit('auth.test', 1, windowMs);
    await slack.auth.test();
    const windowEnds = Date.now() + windowMs; // the fake counts the hit before it answers
    const limited = await rawCall('auth.test', '', { authorization: 'Bearer xoxb-test' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1'); // never less than one second
    await fake.waitFor(() => Date.now() > windowEnds || null, 5000, 'the window to pass');
    await slack.auth.test();
  });

  it('lostResponse performs the call, then cuts the connection before answering', async () => {
    const ch = await createChannel('inc-lost');
    const parent = (await slack.chat.postMessage({ channel: ch, text: 'card' })).ts!;
    // Only posts into a thread take the fault; the top-level post below goes through untouched.
    fake.failNext('chat.postMessage', { lostResponse: true }, 1, (a) => a['thread_ts'] !== undefined);
    await slack.chat.postMessage({ channel: ch, text: 'top level' });
    const err = (await slack.chat.postMessage({ channel: ch, text: 'reply', thread_ts: parent }).catch((e: unknown) => e)) as { code: string };
    expect(err.code).toBe('slack_webapi_request_error');
    expect(fake.channel(ch)!.messages.find((m) => m.ts === parent)!.replies.map((r) => r.text)).toEqual(['reply']);
    expect(fake.calls('chat.postMessage').map((c) => [c.status, c.ok, c.lost ?? false])).toEqual([
      [200, true, false],
      [200, true, false],
      [0, true, true],
    ]);
    // Used up: the next thread post is answered.
    expect((await slack.chat.postMessage({ channel: ch, text: 'again', thread_ts: parent })).ok).toBe(true);
  });

  it('lostResponse with hold performs the call and never answers (the caller times out or dies waiting)', async () => {
    fake.failNext('chat.postMessage', { lostResponse: true, hold: true });
    const impatient = client('xoxb-test', { timeout: 300 });
    const err = (await impatient.chat.postMessage({ channel: 'UALICE', text: 'held' }).catch((e: unknown) => e)) as { code: string };
    expect(err.code).toBe('slack_webapi_request_error');
    expect(fake.dms('UALICE').map((m) => m.text)).toEqual(['held']);
    expect(fake.calls('chat.postMessage')).toEqual([expect.objectContaining({ status: 0, ok: true, lost: true })]);
  });

  it('adds latency per method', async () => {
    fake.setLatency(120, 'auth.test');
    const started = Date.now();
    await slack.auth.test();
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
  });
});

describe('inspection', () => {
  it('records every call, failed ones included, without the token', async () => {
    await slack.auth.test();
    await slackError(slack.conversations.create({ name: 'Bad Name' }));
    const calls = fake.calls();
    expect(calls.map((c) => [c.method, c.status, c.ok, c.error])).toEqual([
      ['auth.test', 200, true, undefined],
      ['conversations.create', 200, false, 'invalid_name_specials'],
    ]);
    expect(calls[1]!.args).toEqual({ name: 'Bad Name' });
    expect(fake.calls('auth.test')).toHaveLength(1);
  });

  it('records posts to a response_url, five at most', async () => {
    const url = fake.responseUrl('cmd-1');
    expect(url).toBe(`${fake.baseUrl}/response/cmd-1`);
    const post = (body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const first = await post({ response_type: 'ephemeral', text: 'Declaring…' });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ ok: true });
    expect(fake.responses()).toEqual([{ id: 'cmd-1', body: { response_type: 'ephemeral', text: 'Declaring…' } }]);
    for (let i = 0; i < 4; i++) await post({ text: `again ${i}` });
    const sixth = await post({ text: 'too many' });
    expect(sixth.status).toBe(404);
    expect(fake.responses()).toHaveLength(5);
  });

  it('waitFor resolves when the probe sees the message', async () => {
    const ch = await createChannel('inc-wait');
    setTimeout(() => void slack.chat.postMessage({ channel: ch, text: 'late' }), 50);
    const msg = await fake.waitFor(() => fake.channel(ch)!.messages.find((m) => m.text === 'late'), 2000, 'the late message');
    expect(msg.text).toBe('late');
  });

  it('waitFor names what it waited for and lists the last calls', async () => {
    await slack.chat.postMessage({ channel: 'UALICE', text: 'hello' });
    await expect(fake.waitFor(() => false, 100, 'the escalation DM')).rejects.toThrow(/the escalation DM[\s\S]*chat\.postMessage → 200 ok/);
  });

  it('render() shows what each channel displays', async () => {
    fake.addUserGroup({ id: 'S0ONCALL', handle: 'oncall', users: ['UALICE'] });
    const ch = await createChannel('inc-42-orders');
    await slack.conversations.invite({ channel: ch, users: 'UALICE' });
    await slack.conversations.setTopic({ channel: ch, topic: 'SEV1 orders rejected' });
    const card = await slack.chat.postMessage({
      channel: ch,
      text: 'Incident INC-42',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'INC-42: orders rejected' } },
        { type: 'section', text: { type: 'mrkdwn', text: 'Paging <!subteam^S0ONCALL> &amp; <@UALICE>' } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'SEV1 · declared by <@UBOB>' }] },
        {
          type: 'actions',
          elements: [
            { type: 'button', action_id: 'ack', text: { type: 'plain_text', text: 'Acknowledge' } },
            { type: 'users_select', action_id: 'ic', placeholder: { type: 'plain_text', text: 'Pick an IC' } },
          ],
        },
      ],
    });
    await slack.pins.add({ channel: ch, timestamp: card.ts! });
    await slack.chat.postMessage({ channel: ch, thread_ts: card.ts!, text: 'Timeline started' });
    await slack.chat.postEphemeral({ channel: ch, user: 'UALICE', text: 'Only you can see this' });
    await slack.chat.postMessage({ channel: 'UBOB', text: 'You were paged' });

    const out = fake.render();
    for (const expected of [
      '#inc-42-orders',
      'topic: SEV1 orders rejected',
      'members: @warroom, @alice',
      `pinned: ${card.ts}`,
      '== INC-42: orders rejected ==',
      'Paging @oncall & @alice',
      'SEV1 · declared by @bob',
      '[Acknowledge] [Pick an IC ▾]',
      'Timeline started',
      'DM with @bob',
      'You were paged',
      'to @alice in #inc-42-orders: Only you can see this',
    ]) {
      expect(out).toContain(expected);
    }
  });
});
