/**
 * The fake Slack's workspace: users, groups, conversations and their messages, plus the lookups
 * and JSON shapes every method family shares. A fresh one replaces the old on `reset()`.
 */
import type { FakeChannel, FakeEphemeral, FakeMessage, FakeUser, FakeUserGroup, FakeView } from './types.js';
import { fail, randomAlnum, str, tsKey, type Args, type Result } from './util.js';

export type ChannelKind = 'channel' | 'im' | 'mpim';

/** One Web API method: validates, changes the workspace, returns the fields besides `ok`. */
export type Handler = (ws: Workspace, args: Args) => Result;

export interface Identity {
  botUserId: string;
  botId: string;
  teamId: string;
  botName: string;
  appId: string;
  /** The fake's base URL (for permalinks and auth.test); throws while the server is stopped. */
  baseUrl: () => string;
}

export function kindOf(ch: FakeChannel): ChannelKind {
  return ch.id.startsWith('D') ? 'im' : ch.id.startsWith('G') ? 'mpim' : 'channel';
}

export class Workspace {
  readonly users = new Map<string, FakeUser>();
  readonly groups = new Map<string, FakeUserGroup>();
  readonly chans = new Map<string, FakeChannel>();
  /** Replies whose thread_ts matched no message: Slack accepts them, nobody sees them. */
  readonly orphans = new Map<string, FakeMessage[]>();
  readonly pinMeta = new Map<string, number>();
  readonly ephemeralLog: FakeEphemeral[] = [];
  readonly responseLog: Array<{ id: string; body: any }> = [];
  readonly responseUses = new Map<string, number>();
  readonly viewsById = new Map<string, FakeView>();
  readonly usedTriggers = new Set<string>();
  /** trigger_ids and response_urls the fake handed out, with when (they expire). */
  readonly issuedTriggers = new Map<string, number>();
  readonly issuedResponseUrls = new Map<string, number>();
  private lastTs = 0;
  private lastCreated = 0;

  constructor(readonly id: Identity) {
    this.users.set(id.botUserId, { id: id.botUserId, name: id.botName, realName: 'Warroom', phone: '', tz: 'America/New_York', isBot: true });
  }

  get botUserId(): string {
    return this.id.botUserId;
  }

  // --- channel lookup ------------------------------------------------------------------------

  /** Slack hides private conversations from non-members entirely. */
  visible(ch: FakeChannel): boolean {
    return !ch.isPrivate || ch.members.has(this.botUserId);
  }

  /** conversations.* take channel ids only. */
  lookup(ref: unknown): FakeChannel {
    const ch = this.chans.get(str(ref) ?? '');
    if (!ch || !this.visible(ch)) return fail('channel_not_found');
    return ch;
  }

  /** Reading a channel's messages needs membership, even for public channels. */
  lookupReadable(ref: unknown): FakeChannel {
    const ch = this.lookup(ref);
    if (!ch.members.has(this.botUserId)) fail('not_in_channel');
    return ch;
  }

  /** chat.* also take a channel name ('#name' or 'name') or a user id (→ that user's DM). */
  lookupForPost(ref: unknown, userToDm = true): FakeChannel {
    const s = str(ref) ?? '';
    if (userToDm && this.users.has(s) && s !== this.botUserId) return this.findIm(s) ?? this.openIm(s);
    const ch = this.chans.get(s) ?? this.findByName(s.replace(/^#/, ''));
    if (!ch || !this.visible(ch)) return fail('channel_not_found');
    return ch;
  }

  findByName(name: string): FakeChannel | undefined {
    for (const ch of this.chans.values()) if (kindOf(ch) !== 'im' && ch.name === name) return ch;
    return undefined;
  }

  findIm(userId: string): FakeChannel | undefined {
    for (const ch of this.chans.values()) if (kindOf(ch) === 'im' && ch.members.has(userId) && ch.members.has(this.botUserId)) return ch;
    return undefined;
  }

  findMpim(userIds: string[]): FakeChannel | undefined {
    const want = new Set([...userIds, this.botUserId]);
    for (const ch of this.chans.values()) {
      if (kindOf(ch) === 'mpim' && ch.members.size === want.size && [...want].every((u) => ch.members.has(u))) return ch;
    }
    return undefined;
  }

  openIm(userId: string): FakeChannel {
    // IMs have no name in Slack; ours is the user id so channel(userId) finds it too.
    const ch = this.createChannel(this.newId('D'), userId, true, userId);
    ch.members.add(this.botUserId).add(userId);
    return ch;
  }

  openMpim(userIds: string[]): FakeChannel {
    const names = [this.botUserId, ...userIds].map((u) => this.users.get(u)?.name ?? u);
    const ch = this.createChannel(this.newId('G'), `mpdm-${names.join('--')}-1`, true, this.botUserId);
    for (const u of [this.botUserId, ...userIds]) ch.members.add(u);
    return ch;
  }

  otherMember(ch: FakeChannel): string | undefined {
    return [...ch.members].find((u) => u !== this.botUserId);
  }

  user(ref: unknown): FakeUser {
    const u = this.users.get(str(ref) ?? '');
    if (!u) return fail('user_not_found');
    return u;
  }

  tsArg(v: unknown, error: string): number | undefined {
    const s = str(v);
    if (s === undefined || s === '' || s === '0') return undefined;
    const k = tsKey(s);
    if (k === undefined) fail(error);
    return k;
  }

  // --- state -----------------------------------------------------------------------------------

  newId(prefix: string): string {
    for (;;) {
      const id = prefix + randomAlnum(8);
      if (!this.chans.has(id) && !this.viewsById.has(id)) return id;
    }
  }

  /** Strictly increasing, like Slack's per-channel ts (ours are unique workspace-wide). */
  nextTs(): string {
    const us = Math.max(Date.now() * 1000, this.lastTs + 100);
    this.lastTs = us;
    return `${Math.floor(us / 1_000_000)}.${String(us % 1_000_000).padStart(6, '0')}`;
  }

  createChannel(id: string, name: string, isPrivate: boolean, creator: string): FakeChannel {
    // Distinct `created` seconds keep conversations.list order stable and meaningful.
    this.lastCreated = Math.max(Math.floor(Date.now() / 1000), this.lastCreated);
    const ch: FakeChannel = {
      id,
      name,
      isPrivate,
      topic: '',
      purpose: '',
      creator,
      created: this.lastCreated,
      members: new Set(),
      messages: [],
      pins: new Set(),
      archived: false,
    };
    this.chans.set(id, ch);
    return ch;
  }

  newMessage(user: string, text: string, blocks: any[] | undefined, metadata: FakeMessage['metadata']): FakeMessage {
    const msg: FakeMessage = { ts: this.nextTs(), user, text, replies: [] };
    if (blocks?.length) msg.blocks = blocks;
    if (metadata) msg.metadata = metadata;
    return msg;
  }

  /**
   * Top level, or into a thread; a reply to a reply goes to the same thread (as in Slack). A
   * broadcast reply is in the thread and in the channel's history as well.
   */
  place(ch: FakeChannel, msg: FakeMessage, threadTs: string | undefined, broadcast = false): void {
    if (!threadTs) {
      ch.messages.push(msg);
      return;
    }
    const found = this.findMessage(ch, threadTs);
    const thread = found?.parent ?? found?.msg;
    msg.thread_ts = thread?.ts ?? threadTs;
    if (thread) {
      thread.replies.push(msg);
      if (broadcast) {
        msg.broadcast = true;
        ch.messages.push(msg);
      }
    } else this.orphans.set(ch.id, [...(this.orphans.get(ch.id) ?? []), msg]);
  }

  /** A message by ts; `parent` is set for thread replies (broadcast ones included). */
  findMessage(ch: FakeChannel, ts: string): { msg: FakeMessage; parent?: FakeMessage } | undefined {
    for (const m of ch.messages) {
      const r = m.replies.find((x) => x.ts === ts);
      if (r) return { msg: r, parent: m };
    }
    for (const m of ch.messages) if (m.ts === ts) return { msg: m };
    return undefined;
  }

  /** Takes a message out of its thread and, if it is there (top level or broadcast), the channel. */
  remove(ch: FakeChannel, found: { msg: FakeMessage; parent?: FakeMessage }): void {
    if (found.parent) found.parent.replies.splice(found.parent.replies.indexOf(found.msg), 1);
    const i = ch.messages.indexOf(found.msg);
    if (i >= 0) ch.messages.splice(i, 1);
  }

  // --- JSON shapes ---------------------------------------------------------------------------

  channelJson(ch: FakeChannel): Result {
    const kind = kindOf(ch);
    const common = { id: ch.id, created: ch.created, is_archived: ch.archived, is_org_shared: false, context_team_id: this.id.teamId };
    if (kind === 'im') return { ...common, is_im: true, user: this.otherMember(ch), is_user_deleted: false };
    return {
      ...common,
      name: ch.name,
      name_normalized: ch.name,
      is_channel: kind === 'channel',
      is_group: false,
      is_im: false,
      is_mpim: kind === 'mpim',
      is_private: ch.isPrivate,
      is_general: false,
      is_shared: false,
      is_ext_shared: false,
      is_member: ch.members.has(this.botUserId),
      creator: ch.creator,
      topic: { value: ch.topic, creator: ch.topic ? this.botUserId : '', last_set: 0 },
      purpose: { value: ch.purpose, creator: ch.purpose ? this.botUserId : '', last_set: 0 },
      num_members: ch.members.size,
    };
  }

  openJson(ch: FakeChannel, full: boolean): Result {
    return full ? this.channelJson(ch) : { id: ch.id };
  }

  messageJson(m: FakeMessage, withMetadata: boolean, parent?: FakeMessage): Result {
    const o: Result = { type: 'message', user: m.user, text: m.text, ts: m.ts, team: this.id.teamId };
    if (m.user === this.botUserId) Object.assign(o, { bot_id: this.id.botId, app_id: this.id.appId });
    if (m.blocks) o.blocks = m.blocks;
    if (m.edited) o.edited = { user: m.user, ts: m.editedTs ?? m.ts };
    if (parent) Object.assign(o, { thread_ts: parent.ts, parent_user_id: parent.user });
    else if (m.thread_ts) o.thread_ts = m.thread_ts;
    if (m.broadcast) o.subtype = 'thread_broadcast';
    if (m.replies.length) {
      const replyUsers = [...new Set(m.replies.map((r) => r.user))];
      Object.assign(o, {
        thread_ts: m.ts,
        reply_count: m.replies.length,
        reply_users: replyUsers,
        reply_users_count: replyUsers.length,
        latest_reply: m.replies[m.replies.length - 1]!.ts,
      });
    }
    if (withMetadata && m.metadata) o.metadata = m.metadata;
    return o;
  }

  userJson(u: FakeUser): Result {
    return {
      id: u.id,
      team_id: this.id.teamId,
      name: u.name,
      real_name: u.realName,
      deleted: false,
      tz: u.tz,
      is_bot: u.isBot,
      is_app_user: false,
      profile: this.profileJson(u),
    };
  }

  profileJson(u: FakeUser): Result {
    return { real_name: u.realName, real_name_normalized: u.realName, display_name: u.name, display_name_normalized: u.name, phone: u.phone, team: this.id.teamId };
  }
}
