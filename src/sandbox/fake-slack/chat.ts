/** chat.*: posting, editing and deleting messages, ephemerals and permalinks. */
import { checkBlocks } from './block-kit.js';
import type { FakeEphemeral, FakeMessage } from './types.js';
import { fail, isObject, LIMITS, str, type Args } from './util.js';
import { kindOf, type Handler } from './workspace.js';

/** text/blocks of chat.* calls, validated the way Slack does. */
function content(a: Args, required: boolean): { text?: string; blocks?: any[] } {
  const text = str(a.text);
  let blocks: any[] | undefined;
  if (a.blocks !== undefined && a.blocks !== '') {
    if (typeof a.blocks === 'string') fail('invalid_blocks_format'); // not JSON
    const errors: string[] = [];
    checkBlocks(errors, a.blocks, '/blocks', LIMITS.messageBlocks);
    if (errors.length) fail('invalid_blocks', { response_metadata: { messages: errors } });
    blocks = a.blocks as any[];
  }
  const hasAttachments = Array.isArray(a.attachments) && a.attachments.length > 0;
  if (required && !text && !blocks?.length && !hasAttachments) fail('no_text');
  if (text && text.length > LIMITS.messageText) fail('msg_too_long');
  return { ...(text !== undefined ? { text } : {}), ...(blocks ? { blocks } : {}) };
}

function metadataArg(v: unknown): FakeMessage['metadata'] {
  if (v === undefined || v === '') return undefined;
  if (!isObject(v) || typeof v.event_type !== 'string' || !v.event_type || !isObject(v.event_payload)) fail('invalid_metadata_format');
  const m = v as Record<string, any>;
  return { event_type: m.event_type, event_payload: m.event_payload };
}

export const chatMethods: Record<string, Handler> = {
  'chat.postMessage': (ws, a) => {
    const ch = ws.lookupForPost(a.channel);
    if (ch.archived) fail('is_archived');
    // Public channels: allowed without membership (chat:write.public). Private: invisible.
    const { text, blocks } = content(a, true);
    const metadata = metadataArg(a.metadata);
    const msg = ws.newMessage(ws.botUserId, text ?? '', blocks, metadata);
    ws.place(ch, msg, str(a.thread_ts));
    return { channel: ch.id, ts: msg.ts, message: ws.messageJson(msg, true) };
  },

  'chat.update': (ws, a) => {
    const ch = ws.lookup(a.channel);
    const found = ws.findMessage(ch, str(a.ts) ?? '');
    if (!found) fail('message_not_found');
    const msg = found.msg;
    if (msg.user !== ws.botUserId) fail('cant_update_message');
    const { text, blocks } = content(a, true);
    // Fields left out keep their old value; `blocks: []` removes the blocks (Slack's rule).
    if (text !== undefined) msg.text = text;
    if (blocks !== undefined) {
      if (blocks.length) msg.blocks = blocks;
      else delete msg.blocks;
    }
    if (a.metadata !== undefined) {
      const metadata = metadataArg(a.metadata);
      if (metadata) msg.metadata = metadata;
    }
    msg.edited = true;
    return { channel: ch.id, ts: msg.ts, text: msg.text, message: ws.messageJson(msg, true, found.parent) };
  },

  'chat.delete': (ws, a) => {
    const ch = ws.lookup(a.channel);
    const ts = str(a.ts) ?? '';
    const found = ws.findMessage(ch, ts);
    if (!found) fail('message_not_found');
    if (found.msg.user !== ws.botUserId) fail('cant_delete_message');
    const from = found.parent ? found.parent.replies : ch.messages;
    from.splice(from.indexOf(found.msg), 1);
    ch.pins.delete(ts);
    return { channel: ch.id, ts };
  },

  'chat.postEphemeral': (ws, a) => {
    const ch = ws.lookupForPost(a.channel, false);
    const user = str(a.user) ?? '';
    if (!ws.users.has(user)) fail('user_not_found');
    if (kindOf(ch) !== 'im' && !ch.members.has(user)) fail('user_not_in_channel');
    const { text, blocks } = content(a, true);
    const e: FakeEphemeral = { channel: ch.id, user, text: text ?? '', ts: ws.nextTs() };
    if (blocks?.length) e.blocks = blocks;
    const threadTs = str(a.thread_ts);
    if (threadTs) e.thread_ts = threadTs;
    ws.ephemeralLog.push(e);
    return { message_ts: e.ts };
  },

  'chat.getPermalink': (ws, a) => {
    const ch = ws.lookup(a.channel);
    const ts = str(a.message_ts) ?? '';
    const found = ws.findMessage(ch, ts);
    if (!found) fail('message_not_found');
    const base = `${ws.id.baseUrl()}/archives/${ch.id}/p${ts.replace('.', '')}`;
    const permalink = found.parent ? `${base}?thread_ts=${found.parent.ts}&cid=${ch.id}` : base;
    return { channel: ch.id, permalink };
  },
};
