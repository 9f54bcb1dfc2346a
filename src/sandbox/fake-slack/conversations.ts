/** conversations.*: channels, membership, history and threads. */
import type { FakeChannel, FakeMessage } from './types.js';
import { bool, fail, LIMITS, list, paginate, str, tsKey, type Args, type Result } from './util.js';
import { kindOf, type Handler, type Workspace } from './workspace.js';

/** oldest/latest/inclusive, as conversations.history and conversations.replies read them. */
function timeRange(ws: Workspace, a: Args): (m: FakeMessage) => boolean {
  const inclusive = bool(a.inclusive);
  const oldest = ws.tsArg(a.oldest, 'invalid_ts_oldest');
  const latest = ws.tsArg(a.latest, 'invalid_ts_latest');
  return (m) => {
    const k = tsKey(m.ts)!;
    return (oldest === undefined || (inclusive ? k >= oldest : k > oldest)) && (latest === undefined || (inclusive ? k <= latest : k < latest));
  };
}

function setTopicOrPurpose(ws: Workspace, a: Args, field: 'topic' | 'purpose'): Result {
  const ch = ws.lookup(a.channel);
  if (ch.archived) fail('is_archived');
  if (!ch.members.has(ws.botUserId)) fail('not_in_channel');
  const value = str(a[field]) ?? '';
  if (value.length > LIMITS[field]) fail('too_long');
  ch[field] = value;
  return { channel: ws.channelJson(ch) };
}

export const conversationsMethods: Record<string, Handler> = {
  'conversations.create': (ws, a) => {
    const name = str(a.name) ?? '';
    if (!name) fail('invalid_name_required');
    if (name.length > LIMITS.channelName) fail('invalid_name_maxlength');
    if (!/^[a-z0-9_-]+$/.test(name)) fail('invalid_name_specials');
    if (/^[-_]+$/.test(name)) fail('invalid_name_punctuation');
    // Archived and private channels keep their names too.
    if (ws.findByName(name)) fail('name_taken');
    const ch = ws.createChannel(ws.newId('C'), name, bool(a.is_private), ws.botUserId);
    ch.members.add(ws.botUserId);
    return { channel: ws.channelJson(ch) };
  },

  'conversations.info': (ws, a) => ({ channel: ws.channelJson(ws.lookup(a.channel)) }),

  'conversations.list': (ws, a) => {
    const types = list(a.types ?? 'public_channel');
    const known: Record<string, (ch: FakeChannel) => boolean> = {
      public_channel: (ch) => kindOf(ch) === 'channel' && !ch.isPrivate,
      private_channel: (ch) => kindOf(ch) === 'channel' && ch.isPrivate,
      im: (ch) => kindOf(ch) === 'im',
      mpim: (ch) => kindOf(ch) === 'mpim',
    };
    if (types.some((t) => !known[t])) fail('invalid_types');
    const excludeArchived = bool(a.exclude_archived);
    const all = [...ws.chans.values()].filter((ch) => ws.visible(ch) && types.some((t) => known[t]!(ch)) && !(excludeArchived && ch.archived));
    const { page, nextCursor } = paginate(all, a, 100);
    return { channels: page.map((ch) => ws.channelJson(ch)), response_metadata: { next_cursor: nextCursor } };
  },

  'conversations.join': (ws, a) => {
    const ch = ws.chans.get(str(a.channel) ?? '');
    if (!ch) fail('channel_not_found');
    // Only public channels can be joined; private ones need an invitation.
    if (ch.isPrivate) fail('method_not_supported_for_channel_type');
    if (ch.archived) fail('is_archived');
    if (ch.members.has(ws.botUserId)) {
      return { channel: ws.channelJson(ch), warning: 'already_in_channel', response_metadata: { warnings: ['already_in_channel'] } };
    }
    ch.members.add(ws.botUserId);
    return { channel: ws.channelJson(ch) };
  },

  'conversations.invite': (ws, a) => {
    const ch = ws.lookup(a.channel);
    if (kindOf(ch) !== 'channel') fail('method_not_supported_for_channel_type');
    if (ch.archived) fail('is_archived');
    if (!ch.members.has(ws.botUserId)) fail('not_in_channel');
    const ids = list(a.users);
    if (!ids.length) fail('no_user');
    if (ids.length > LIMITS.inviteUsers) fail('too_many_users');
    const errors: Array<{ user: string; ok: false; error: string }> = [];
    const valid: string[] = [];
    for (const id of ids) {
      const error = id === ws.botUserId ? 'cant_invite_self' : !ws.users.has(id) ? 'user_not_found' : ch.members.has(id) ? 'already_in_channel' : undefined;
      if (error) errors.push({ user: id, ok: false, error });
      else valid.push(id);
    }
    // Without force one bad user fails the whole call and nobody is invited.
    if (errors.length && (!bool(a.force) || !valid.length)) fail(errors[0]!.error, { errors });
    for (const id of valid) ch.members.add(id);
    return { channel: ws.channelJson(ch), ...(errors.length ? { errors } : {}) };
  },

  'conversations.setTopic': (ws, a) => setTopicOrPurpose(ws, a, 'topic'),
  'conversations.setPurpose': (ws, a) => setTopicOrPurpose(ws, a, 'purpose'),

  'conversations.archive': (ws, a) => {
    const ch = ws.lookup(a.channel);
    if (kindOf(ch) !== 'channel') fail('method_not_supported_for_channel_type');
    if (ch.archived) fail('already_archived');
    if (!ch.members.has(ws.botUserId)) fail('not_in_channel');
    ch.archived = true;
    return {};
  },

  'conversations.unarchive': (ws, a) => {
    const ch = ws.lookup(a.channel);
    if (kindOf(ch) !== 'channel') fail('method_not_supported_for_channel_type');
    if (!ch.archived) fail('not_archived');
    ch.archived = false;
    return {};
  },

  'conversations.history': (ws, a) => {
    const ch = ws.lookupReadable(a.channel);
    // Top-level messages and broadcast replies only: a thread's replies are read with conversations.replies.
    const newestFirst = ch.messages.filter(timeRange(ws, a)).reverse();
    const { page, nextCursor } = paginate(newestFirst, a, 100);
    const withMeta = bool(a.include_all_metadata);
    return {
      messages: page.map((m) => ws.messageJson(m, withMeta)),
      has_more: nextCursor !== '',
      pin_count: ch.pins.size,
      response_metadata: { next_cursor: nextCursor },
    };
  },

  'conversations.replies': (ws, a) => {
    const ch = ws.lookupReadable(a.channel);
    const ts = str(a.ts) ?? '';
    const found = ws.findMessage(ch, ts);
    if (!found) fail('thread_not_found');
    const parent = found.parent ?? found.msg;
    // Oldest first, the parent always first; oldest/latest narrow the replies.
    const { page, nextCursor } = paginate([parent, ...parent.replies.filter(timeRange(ws, a))], a, 1000);
    const withMeta = bool(a.include_all_metadata);
    return {
      messages: page.map((m) => ws.messageJson(m, withMeta, m === parent ? undefined : parent)),
      has_more: nextCursor !== '',
      response_metadata: { next_cursor: nextCursor },
    };
  },

  'conversations.members': (ws, a) => {
    const ch = ws.lookup(a.channel);
    const { page, nextCursor } = paginate([...ch.members], a, 100);
    return { members: page, response_metadata: { next_cursor: nextCursor } };
  },

  'conversations.open': (ws, a) => {
    const existing = str(a.channel);
    if (existing) return { channel: ws.openJson(ws.lookup(existing), bool(a.return_im)) };
    const ids = list(a.users).filter((u) => u !== ws.botUserId);
    if (!ids.length) fail('users_list_not_supplied');
    if (ids.length > LIMITS.mpimUsers) fail('too_many_users');
    for (const id of ids) if (!ws.users.has(id)) fail('user_not_found');
    const found = ids.length === 1 ? ws.findIm(ids[0]!) : ws.findMpim(ids);
    if (found) return { no_op: true, already_open: true, channel: ws.openJson(found, bool(a.return_im)) };
    const ch = ids.length === 1 ? ws.openIm(ids[0]!) : ws.openMpim(ids);
    return { channel: ws.openJson(ch, bool(a.return_im)) };
  },
};
