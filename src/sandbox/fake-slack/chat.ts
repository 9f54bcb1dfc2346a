/** chat.*: posting, editing and deleting messages, ephemerals and permalinks. */
import { checkBlocks } from './block-kit.js';
import type { FakeEphemeral, FakeMessage } from './types.js';
import { bool, fail, isObject, LIMITS, str, type Args, type Result } from './util.js';
import { kindOf, type Handler } from './workspace.js';

/**
 * text/blocks of chat.* calls, validated the way Slack does. Text over the method's limit is
 * refused (`msg_too_long`) or, for chat.postMessage, cut and posted with a `message_truncated`
 * warning ("Truncating really long messages", Slack changelog 2018).
 */
function content(a: Args, required: boolean, long: { max: number; truncate: boolean }): { text?: string; blocks?: any[]; warnings?: Result } {
  let text = str(a.text);
  let warnings: Result | undefined;
  let blocks: any[] | undefined;
  if (a.blocks !== undefined && a.blocks !== '') {
    if (typeof a.blocks === 'string') fail('invalid_blocks_format'); // not JSON
    const errors: string[] = [];
    checkBlocks(errors, a.blocks, '/blocks', LIMITS.messageBlocks);
    if (errors.length) fail('invalid_blocks', { response_metadata: { messages: errors } });
    blocks = a.blocks as any[];
  }
  const hasAttachments = Array.isArray(a.attachments) && a.attachments.length > 0;
  if (Array.isArray(a.attachments) && a.attachments.length > LIMITS.attachments) fail('too_many_attachments');
  if (required && !text && !blocks?.length && !hasAttachments) fail('no_text');
  if (text && text.length > long.max) {
    if (!long.truncate) fail('msg_too_long');
    text = text.slice(0, long.max);
    warnings = { response_metadata: { warnings: ['message_truncated'], messages: [`[WARN] Your message was truncated but still posted. The \`text\` field accepts up to ${long.max.toLocaleString('en-US')} characters.`] } };
  }
  return { ...(text !== undefined ? { text } : {}), ...(blocks ? { blocks } : {}), ...(warnings ? { warnings } : {}) };
}

/** chat.update: `{}` removes the metadata, leaving the field out keeps it. */
function metadataUpdate(v: unknown): FakeMessage['metadata'] | null | undefined {
  if (isObject(v) && Object.keys(v).length === 0) return null;
  return metadataArg(v);
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
    const { text, blocks, warnings } = content(a, true, { max: LIMITS.messageText, truncate: true });
    const metadata = metadataArg(a.metadata);
    const msg = ws.newMessage(ws.botUserId, text ?? '', blocks, metadata);
    const threadTs = str(a.thread_ts);
    ws.place(ch, msg, threadTs, threadTs !== undefined && bool(a.reply_broadcast));
    const parent = threadTs ? ws.findMessage(ch, msg.ts)?.parent : undefined;
    return { channel: ch.id, ts: msg.ts, message: ws.messageJson(msg, true, parent), ...warnings };
  },

  'chat.update': (ws, a) => {
    const ch = ws.lookup(a.channel);
    const found = ws.findMessage(ch, str(a.ts) ?? '');
    if (!found) fail('message_not_found');
    const msg = found.msg;
    if (msg.user !== ws.botUserId) fail('cant_update_message');
    // "The message cannot be edited within a frozen, archived or deleted channel."
    if (ch.archived) fail('is_inactive');
    const { text, blocks } = content(a, true, { max: LIMITS.updateText, truncate: false });
    // Fields left out keep their old value; `blocks: []` removes the blocks (Slack's rule).
    if (text !== undefined) msg.text = text;
    if (blocks !== undefined) {
      if (blocks.length) msg.blocks = blocks;
      else delete msg.blocks;
    }
    if (a.metadata !== undefined) {
      const metadata = metadataUpdate(a.metadata);
      if (metadata === null) delete msg.metadata;
      else if (metadata) msg.metadata = metadata;
    }
    msg.edited = true;
    msg.editedTs = ws.nextTs();
    return { channel: ch.id, ts: msg.ts, text: msg.text, message: ws.messageJson(msg, true, found.parent) };
  },

  'chat.delete': (ws, a) => {
    const ch = ws.lookup(a.channel);
    const ts = str(a.ts) ?? '';
    const found = ws.findMessage(ch, ts);
    if (!found) fail('message_not_found');
    if (found.msg.user !== ws.botUserId) fail('cant_delete_message');
    ws.remove(ch, found);
    ch.pins.delete(ts);
    return { channel: ch.id, ts };
  },

  'chat.postEphemeral': (ws, a) => {
    const ch = ws.lookupForPost(a.channel, false);
    const user = str(a.user) ?? '';
    if (!ws.users.has(user)) fail('user_not_found');
    // Unlike chat.postMessage (chat:write.public), an ephemeral needs the bot in the conversation.
    if (!ch.members.has(ws.botUserId)) fail('not_in_channel');
    if (kindOf(ch) !== 'im' && !ch.members.has(user)) fail('user_not_in_channel');
    const { text, blocks } = content(a, true, { max: LIMITS.messageText, truncate: false });
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
