import type { WebClient } from '@slack/web-api';
import { severityById, type Policy } from '../../domain/policy.js';
import type { ChatPlatform, ChecklistView, CreateChannelResult, DeployRequestView, IncidentView, PolicyChannel, PostKey, ResolveReason, TriageView } from '../../app/ports/chat.js';
import type { ComplianceRunView } from '../../app/ports/compliance-store.js';
import type { Logger } from '../../app/deps.js';
import { announcement, checklistCard, complianceCard, deployCard, headerCard, resolveOffer, triageCard, type Block } from './blocks.js';
import { POST_METADATA } from './ids.js';
import { classifySlackError, slackErrorCode } from './slack-errors.js';
import { AUTH_ERRORS } from './slack-health.js';

type Args = Record<string, unknown>;
type KeyedMessage = { ts: string; metadata?: { event_type?: string; event_payload?: { key?: string } } };

const hasKey = (m: KeyedMessage, key: string): boolean => m.metadata?.event_type === POST_METADATA && m.metadata.event_payload?.key === key;

/**
 * ChatPlatform over Slack's Web API. Every call goes through `call`, which turns Slack's failures
 * into TransientError / PermanentError; retries belong to the queue, not to the WebClient.
 */
const MEMBERS_TTL_MS = 60_000;
const MEMBERS_RECHECK_MS = 5_000;

export class SlackChat implements ChatPlatform {
  private groupIds = new Map<string, string>();
  private members = new Map<string, { at: number; users: Promise<Set<string>> }>();
  private channelIds = new Map<string, string>();

  constructor(
    private readonly client: WebClient,
    private readonly policy: Policy,
    private readonly botUser: () => string,
    private readonly log: Logger,
    private readonly onAuthError: (code: string) => void = () => undefined,
    private readonly onCall: (method: string, result: string) => void = () => undefined,
  ) {}

  private get botUserId(): string {
    return this.botUser();
  }

  private async call<T = Record<string, any>>(method: string, args: Args, tolerate: string[] = []): Promise<T & { ok: boolean; error?: string }> {
    try {
      const r = (await this.client.apiCall(method, args)) as T & { ok: boolean };
      this.onCall(method, 'ok');
      return r;
    } catch (err) {
      const code = slackErrorCode(err);
      this.onCall(method, code ?? (err as { code?: string }).code ?? 'error');
      if (code && tolerate.includes(code)) return { ok: false, error: code } as T & { ok: boolean; error: string };
      if (code && AUTH_ERRORS.has(code)) this.onAuthError(code);
      throw classifySlackError(method, err);
    }
  }

  async createChannel(name: string, isPrivate: boolean): Promise<CreateChannelResult> {
    const r = await this.call<{ channel: { id: string } }>('conversations.create', { name, is_private: isPrivate }, ['name_taken']);
    return r.ok ? { ok: true, id: r.channel.id } : { ok: false, reason: 'name_taken' };
  }

  async findOwnChannel(name: string, since: Date): Promise<string | null> {
    const ch = await this.findChannel(name);
    if (!ch) return null;
    return ch.creator === this.botUserId && ch.created * 1000 >= since.getTime() ? ch.id : null;
  }

  private async findChannel(name: string): Promise<{ id: string; creator: string; created: number; is_member: boolean; is_private: boolean } | null> {
    let cursor: string | undefined;
    do {
      const r = await this.call<{ channels: Array<{ id: string; name: string; creator: string; created: number; is_member: boolean; is_private: boolean }>; response_metadata?: { next_cursor?: string } }>(
        'conversations.list',
        { types: 'public_channel,private_channel', exclude_archived: true, limit: 1000, cursor },
      );
      const hit = r.channels.find((c) => c.name === name);
      if (hit) return hit;
      cursor = r.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return null;
  }

  /** The id of a policy channel (by name), joining it if public and the bot is not in it yet. */
  private async channelId(name: string): Promise<string> {
    const cached = this.channelIds.get(name);
    if (cached) return cached;
    const ch = await this.findChannel(name);
    if (!ch) throw classifySlackError('conversations.list', { code: 'slack_webapi_platform_error', data: { error: `channel_not_found: #${name} (policy channels)` } });
    if (!ch.is_member && !ch.is_private) await this.call('conversations.join', { channel: ch.id }, ['already_in_channel']);
    this.channelIds.set(name, ch.id);
    return ch.id;
  }

  private async groupId(handle: string): Promise<string | null> {
    if (!this.groupIds.has(handle)) {
      const r = await this.call<{ usergroups: Array<{ id: string; handle: string }> }>('usergroups.list', {});
      for (const g of r.usergroups) this.groupIds.set(g.handle, g.id);
    }
    return this.groupIds.get(handle) ?? null;
  }

  async groupMention(handle: string): Promise<string> {
    const id = await this.groupId(handle);
    return id ? `<!subteam^${id}>` : `@${handle}`;
  }

  async userPhone(userId: string): Promise<string | null> {
    const r = await this.call<{ user: { profile?: { phone?: string } } }>('users.info', { user: userId }, ['user_not_found']);
    return r.ok ? (r.user.profile?.phone || null) : null;
  }

  async showChecklist(view: ChecklistView, key: PostKey, existing: { channelId: string; ts: string } | null): Promise<{ channelId: string; ts: string }> {
    const message = checklistCard(view);
    if (existing) {
      await this.call('chat.update', { channel: existing.channelId, ts: existing.ts, ...message });
      return existing;
    }
    const channelId = await this.channelId(this.policy.channels.compliance);
    const ts = await this.postOnce(channelId, key, message, new Date(Date.now() - 3_600_000));
    return { channelId, ts };
  }

  async showComplianceRun(view: ComplianceRunView, key: PostKey, existing: { channelId: string; ts: string } | null): Promise<{ channelId: string; ts: string }> {
    const message = complianceCard(view);
    if (existing) {
      await this.call('chat.update', { channel: existing.channelId, ts: existing.ts, ...message });
      return existing;
    }
    const channelId = await this.channelId(view.task.channel);
    const ts = await this.postOnce(channelId, key, message, new Date(Date.now() - 86_400_000));
    return { channelId, ts };
  }

  async postInChannel(channelName: string, text: string, key: PostKey, threadTs?: string | null): Promise<string> {
    const channelId = await this.channelId(channelName);
    return this.postOnce(channelId, key, { text, ...(threadTs ? { thread_ts: threadTs } : {}) }, new Date(Date.now() - 86_400_000));
  }

  async groupMembers(handle: string): Promise<string[]> {
    const id = await this.groupId(handle);
    if (!id) {
      this.log.warn({ group: handle }, 'user group from the policy not found in Slack');
      return [];
    }
    const r = await this.call<{ users: string[] }>('usergroups.users.list', { usergroup: id });
    return r.users;
  }

  async setTopic(channelId: string, topic: string): Promise<void> {
    await this.call('conversations.setTopic', { channel: channelId, topic });
  }

  async invite(channelId: string, users: string[], groups: string[]): Promise<void> {
    const everyone = new Set(users);
    for (const g of groups) for (const u of await this.groupMembers(g)) everyone.add(u);
    everyone.delete(this.botUserId);
    const list = [...everyone];
    for (let i = 0; i < list.length; i += 100) {
      // force: invite the rest even when some are already in (a retry) or deactivated.
      const r = await this.call<{ errors?: Array<{ user: string; error: string }> }>(
        'conversations.invite',
        { channel: channelId, users: list.slice(i, i + 100).join(','), force: true },
        ['already_in_channel'],
      );
      for (const e of r.errors ?? []) if (e.error !== 'already_in_channel') this.log.warn({ user: e.user, error: e.error, channel: channelId }, 'could not invite a user');
    }
  }

  /** Posts once per key: on a retry, first looks for the post an earlier attempt may have made. */
  private async postOnce(channel: string, key: PostKey, message: { text: string; blocks?: Block[]; thread_ts?: string }, oldest?: Date): Promise<string> {
    if (key.retry) {
      const found = message.thread_ts ? await this.findInThread(channel, message.thread_ts, key.key) : await this.findInHistory(channel, key.key, oldest);
      if (found) return found;
    }
    const r = await this.call<{ ts: string }>('chat.postMessage', {
      channel,
      ...message,
      unfurl_links: false,
      unfurl_media: false,
      metadata: { event_type: POST_METADATA, event_payload: { key: key.key } },
    });
    return r.ts;
  }

  /** A top-level post of ours carrying `key`, among the channel's recent messages. */
  private async findInHistory(channel: string, key: string, oldest?: Date): Promise<string | null> {
    const r = await this.call<{ messages: KeyedMessage[] }>('conversations.history', {
      channel,
      limit: 200,
      include_all_metadata: true,
      ...(oldest ? { oldest: (oldest.getTime() / 1000).toFixed(6) } : {}),
    });
    return r.messages.find((m) => hasKey(m, key))?.ts ?? null;
  }

  /**
   * A reply of ours carrying `key` in the thread of `threadTs`. conversations.history lists only
   * top-level messages (and broadcast replies), never a thread's replies: those are read with
   * conversations.replies, oldest first, page by page.
   */
  private async findInThread(channel: string, threadTs: string, key: string): Promise<string | null> {
    let cursor: string | undefined;
    do {
      const r = await this.call<{ messages?: KeyedMessage[]; response_metadata?: { next_cursor?: string } }>(
        'conversations.replies',
        { channel, ts: threadTs, limit: 200, include_all_metadata: true, ...(cursor ? { cursor } : {}) },
        ['thread_not_found'],
      );
      if (!r.ok) return null; // the parent is gone: nothing was posted under it that we can find
      const hit = (r.messages ?? []).find((m) => m.ts !== threadTs && hasKey(m, key));
      if (hit) return hit.ts;
      cursor = r.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return null;
  }

  async postHeader(channelId: string, view: IncidentView, key: PostKey): Promise<string> {
    return this.postOnce(channelId, key, headerCard(this.policy, view));
  }

  async updateHeader(channelId: string, ts: string, view: IncidentView): Promise<void> {
    await this.call('chat.update', { channel: channelId, ts, ...headerCard(this.policy, view) });
  }

  async pin(channelId: string, ts: string): Promise<void> {
    await this.call('pins.add', { channel: channelId, timestamp: ts }, ['already_pinned']);
  }

  private async mentions(groups: string[]): Promise<string[]> {
    const out: string[] = [];
    for (const g of groups) {
      const id = await this.groupId(g);
      if (id) out.push(`<!subteam^${id}>`);
      else this.log.warn({ group: g }, 'announce group from the policy not found in Slack');
    }
    return out;
  }

  async announce(view: IncidentView, key: PostKey, mentionGroups: string[]): Promise<{ channelId: string; ts: string }> {
    const channelId = await this.channelId(this.policy.channels.announcements);
    const ts = await this.postOnce(channelId, key, announcement(this.policy, view, await this.mentions(mentionGroups)), new Date(view.incident.declaredAt.getTime() - 60_000));
    return { channelId, ts };
  }

  async updateAnnouncement(channelId: string, ts: string, view: IncidentView): Promise<void> {
    // Keep the group mention in the edited text (an edit notifies nobody, but the text should not change meaning).
    const groups = severityById(this.policy, view.incident.severity)?.announceGroups ?? [];
    await this.call('chat.update', { channel: channelId, ts, ...announcement(this.policy, view, await this.mentions(groups)) });
  }

  async postNotice(target: { channelId: string; threadTs?: string } | { policyChannel: PolicyChannel }, text: string, key: PostKey): Promise<void> {
    const channel = 'channelId' in target ? target.channelId : await this.channelId(this.policy.channels[target.policyChannel]);
    const thread = 'channelId' in target && target.threadTs ? { thread_ts: target.threadTs } : {};
    await this.postOnce(channel, key, { text, ...thread }, new Date(Date.now() - 3_600_000));
  }

  async offerResolve(channelId: string, incidentId: number, text: string, reason: ResolveReason, key: PostKey): Promise<void> {
    await this.postOnce(channelId, key, resolveOffer(incidentId, text, reason), new Date(Date.now() - 3_600_000));
  }

  /**
   * Permission checks run before the ack, inside Slack's 3 s: a group's members are kept for a
   * minute (one `usergroups.users.list` however many clicks arrive at once), so a check is a
   * lookup, not a Slack call. A "no" from a list older than a few seconds is checked again, so
   * someone just added to the group is not refused for the rest of the minute; someone removed
   * keeps the permission for at most that minute.
   */
  async isGroupMember(handle: string, userId: string): Promise<boolean> {
    const now = Date.now();
    let entry = this.members.get(handle);
    if (!entry || now - entry.at >= MEMBERS_TTL_MS || (!(await entry.users).has(userId) && now - entry.at >= MEMBERS_RECHECK_MS)) {
      entry = { at: now, users: this.groupMembers(handle).then((u) => new Set(u)) };
      this.members.set(handle, entry);
      // A failed lookup is not kept: the next check asks again.
      entry.users.catch(() => this.members.get(handle) === entry && this.members.delete(handle));
    }
    return (await entry.users).has(userId);
  }

  /** Fills the membership cache for the groups permissions name, so the first check is not a Slack call. */
  async warmGroups(handles: string[]): Promise<void> {
    await Promise.all([...new Set(handles)].map((h) => this.isGroupMember(h, '').catch((err: Error) => this.log.warn({ group: h, err: err.message }, 'could not read a user group (checked again on use)'))));
  }

  async showDeployRequest(view: DeployRequestView, key: PostKey, existing: { channelId: string; ts: string } | null): Promise<{ channelId: string; ts: string }> {
    const message = deployCard(view, await this.mentions(view.approverGroups));
    if (existing) {
      await this.call('chat.update', { channel: existing.channelId, ts: existing.ts, ...message });
      return existing;
    }
    const channelId = await this.channelId(this.policy.channels.approvals);
    const ts = await this.postOnce(channelId, key, message, new Date(view.request.requestedAt.getTime() - 60_000));
    return { channelId, ts };
  }

  async showTriage(view: TriageView, key: PostKey, existing: { channelId: string; ts: string } | null): Promise<{ channelId: string; ts: string }> {
    const message = triageCard(this.policy, view);
    if (existing) {
      await this.call('chat.update', { channel: existing.channelId, ts: existing.ts, ...message });
      return existing;
    }
    const channelId = await this.channelId(view.triage.channel);
    const ts = await this.postOnce(channelId, key, message, new Date(view.triage.createdAt.getTime() - 60_000));
    return { channelId, ts };
  }

  async notifyUser(userId: string, text: string): Promise<void> {
    // chat.postMessage to a user id lands in the bot's DM with them.
    await this.call('chat.postMessage', { channel: userId, text });
  }
}
