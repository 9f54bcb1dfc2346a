/** pins.*: pinning messages in a channel. */
import { fail, str, tsKey } from './util.js';
import type { Handler } from './workspace.js';

export const pinsMethods: Record<string, Handler> = {
  'pins.add': (ws, a) => {
    const ch = ws.lookup(a.channel);
    if (!ch.members.has(ws.botUserId)) fail('not_in_channel');
    const ts = str(a.timestamp);
    if (!ts) fail('no_item_specified');
    if (tsKey(ts) === undefined) fail('bad_timestamp');
    if (!ws.findMessage(ch, ts)) fail('message_not_found');
    if (ch.pins.has(ts)) fail('already_pinned');
    ch.pins.add(ts);
    ws.pinMeta.set(`${ch.id}/${ts}`, Math.floor(Date.now() / 1000));
    return {};
  },

  'pins.remove': (ws, a) => {
    const ch = ws.lookup(a.channel);
    const ts = str(a.timestamp);
    if (!ts) fail('no_item_specified');
    if (tsKey(ts) === undefined) fail('bad_timestamp');
    if (!ch.pins.delete(ts)) fail('no_pin');
    return {};
  },

  'pins.list': (ws, a) => {
    const ch = ws.lookup(a.channel);
    const items = [...ch.pins].flatMap((ts) => {
      const found = ws.findMessage(ch, ts);
      if (!found) return [];
      const created = ws.pinMeta.get(`${ch.id}/${ts}`) ?? 0;
      return [{ type: 'message', channel: ch.id, created, created_by: ws.botUserId, message: ws.messageJson(found.msg, false, found.parent) }];
    });
    return { items: items.reverse() };
  },
};
