/**
 * Slack as a person reads it, in plain text: for `npm run demo` and for reading the fake Slack.
 *
 * - mrkdwn → text: `<@U…>` → @name, `<#C…>` → #channel, `<!subteam^S…>` → @handle, `<url|label>`
 *   → `label (url)`, `&amp; &lt; &gt;` unescaped, `*bold*` `_italic_` `~strike~` and `` `code` ``
 *   markers removed, `:emoji:` → a small fixed set of text symbols, every other emoji dropped.
 * - Block Kit → lines: header, section text, fields as `Label: value`, context joined with ` · `,
 *   buttons as `[Label]`, dividers.
 * - Message timestamps → clock times in a zone (`10:42:05 ET`); channels in a fixed order, pinned
 *   messages first (as Slack shows them), the others sorted by timestamp, threads under their
 *   message: two runs of the same story print the same lines.
 */
import { DateTime } from 'luxon';
import type { FakeChannel, FakeMessage, FakeSlack } from './fake-slack.js';

/** Names by id, as Slack clients show them. */
export interface Directory {
  /** User id → display name (without `@`). */
  users: ReadonlyMap<string, string>;
  /** Conversation id → channel name (without `#`). */
  channels: ReadonlyMap<string, string>;
  /** User-group id (`S…`) → handle (without `@`). */
  groups: ReadonlyMap<string, string>;
}

export const emptyDirectory = (): Directory => ({ users: new Map(), channels: new Map(), groups: new Map() });

/** The few emoji that carry meaning on warroom's cards; every other one is decoration and dropped. */
export const EMOJI_TEXT: Readonly<Record<string, string>> = {
  white_check_mark: '✓',
  heavy_check_mark: '✓',
  ballot_box_with_check: '✓',
  black_square_button: '☐',
  white_square_button: '☐',
  x: '✗',
  warning: '⚠',
};

// Private-use characters: placeholders for resolved `<…>` tokens (so names with `_` or `*` are
// never read as formatting) and for dropped emoji (to tidy the spaces around them).
const TOKEN_OPEN = '\uE000';
const TOKEN_CLOSE = '\uE001';
const DROPPED = '\uE002';

function unescapeEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** One `<…>` token of Slack markup, as a person sees it. */
function resolveToken(inner: string, dir: Directory, zone: string): string {
  const bar = inner.indexOf('|');
  const target = bar >= 0 ? inner.slice(0, bar) : inner;
  const label = bar >= 0 ? inner.slice(bar + 1) : undefined;
  if (target.startsWith('@')) {
    const id = target.slice(1);
    return `@${dir.users.get(id) ?? label?.replace(/^@/, '') ?? id}`;
  }
  if (target.startsWith('#')) {
    const id = target.slice(1);
    return `#${dir.channels.get(id) ?? label?.replace(/^#/, '') ?? id}`;
  }
  if (target.startsWith('!subteam^')) {
    const id = target.slice('!subteam^'.length);
    return `@${dir.groups.get(id) ?? label?.replace(/^@/, '') ?? id}`;
  }
  if (target.startsWith('!date^')) {
    if (label !== undefined) return unescapeEntities(label);
    const seconds = Number(target.split('^')[1]);
    return Number.isFinite(seconds) ? clockTime(seconds * 1000, zone) : target;
  }
  if (target.startsWith('!')) return `@${target.slice(1)}`; // !here, !channel, !everyone
  const url = unescapeEntities(target);
  if (label === undefined) return url.replace(/^mailto:/, '');
  const text = unescapeEntities(label);
  const bare = url.replace(/^mailto:/, '').replace(/^https?:\/\//, '');
  return text === url || text === bare ? text : `${text} (${url.replace(/^mailto:/, '')})`;
}

/** `*bold*`, `_italic_`, `~strike~`: Slack's rule, a marker pair at word boundaries around non-space text. */
const FORMATTING = ['\\*', '_', '~'].map((q) => new RegExp(`(^|[^\\p{L}\\p{N}${q}])${q}(?=\\S)([^${q}\\n]*?\\S)${q}(?![\\p{L}\\p{N}${q}])`, 'gu'));

function stripFormatting(text: string): string {
  return FORMATTING.reduce((out, re) => out.replace(re, '$1$2'), text);
}

function replaceEmoji(text: string): string {
  // A name has at least one letter, so `10:42:05` is never an emoji.
  return text.replace(/:([a-z0-9_+'-]*[a-z][a-z0-9_+'-]*):/g, (_, name: string) => EMOJI_TEXT[name] ?? DROPPED);
}

function tidyDropped(text: string): string {
  return text
    .replace(/ ?\uE002+ ?/g, (m) => (m.startsWith(' ') && m.endsWith(' ') ? ' ' : ''))
    .replace(/\uE002/g, '');
}

/** Slack mrkdwn (or a plain_text with emoji) → what a person reads. */
export function mrkdwnToText(text: string, dir: Directory = emptyDirectory(), zone = 'America/New_York'): string {
  // Code spans and `<…>` tokens are set aside first: nothing inside them is formatting or emoji,
  // while a *bold* pair may still enclose them. Code is shown without its backticks.
  const held: string[] = [];
  const hold = (s: string) => `${TOKEN_OPEN}${held.push(s) - 1}${TOKEN_CLOSE}`;
  let t = text
    .replace(/```\n?([\s\S]*?)```/g, (_, code: string) => hold(unescapeEntities(code)))
    .replace(/`([^`\n]+)`/g, (_, code: string) => hold(unescapeEntities(code)))
    .replace(/<([^<>\n]+)>/g, (_, inner: string) => hold(resolveToken(inner, dir, zone)));
  t = unescapeEntities(tidyDropped(stripFormatting(replaceEmoji(t))));
  return t
    .replace(/\uE000(\d+)\uE001/g, (_, i: string) => held[Number(i)] ?? '')
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
}

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function textObject(t: unknown, dir: Directory, zone: string): string {
  if (!isObj(t) || typeof t['text'] !== 'string') return '';
  // plain_text is not mrkdwn: only its emoji are rendered (and `&`, `<`, `>` are literal).
  if (t['type'] === 'plain_text') return tidyDropped(replaceEmoji(t['text']));
  return mrkdwnToText(t['text'], dir, zone);
}

function elementText(e: unknown, dir: Directory, zone: string): string {
  if (!isObj(e)) return '';
  switch (e['type']) {
    case 'button':
      return `[${textObject(e['text'], dir, zone)}]`;
    case 'users_select':
    case 'static_select':
    case 'conversations_select':
    case 'channels_select':
    case 'external_select':
    case 'multi_users_select':
    case 'multi_static_select':
      return `[${textObject(e['placeholder'], dir, zone) || 'Select…'}]`;
    case 'overflow':
      return '[…]';
    case 'datepicker':
    case 'timepicker':
      return `[${textObject(e['placeholder'], dir, zone) || e['type']}]`;
    case 'plain_text_input':
      return '[____]';
    case 'checkboxes':
    case 'radio_buttons':
      return (Array.isArray(e['options']) ? e['options'] : []).map((o: unknown) => `[ ] ${isObj(o) ? textObject(o['text'], dir, zone) : ''}`).join(' ');
    case 'image':
      return typeof e['alt_text'] === 'string' ? `[${e['alt_text']}]` : '';
    case 'mrkdwn':
    case 'plain_text':
      return textObject(e, dir, zone);
    default:
      return '';
  }
}

function richText(node: unknown, dir: Directory): string {
  if (Array.isArray(node)) return node.map((n) => richText(n, dir)).join('');
  if (!isObj(node)) return '';
  switch (node['type']) {
    case 'text':
      return String(node['text'] ?? '');
    case 'user':
      return `@${dir.users.get(String(node['user_id'])) ?? String(node['user_id'])}`;
    case 'channel':
      return `#${dir.channels.get(String(node['channel_id'])) ?? String(node['channel_id'])}`;
    case 'usergroup':
      return `@${dir.groups.get(String(node['usergroup_id'])) ?? String(node['usergroup_id'])}`;
    case 'link':
      return node['text'] ? `${String(node['text'])} (${String(node['url'])})` : String(node['url'] ?? '');
    case 'emoji':
      return EMOJI_TEXT[String(node['name'])] ?? '';
    case 'broadcast':
      return `@${String(node['range'])}`;
    default:
      return richText(node['elements'], dir) + (node['type'] === 'rich_text_section' || node['type'] === 'rich_text_preformatted' || node['type'] === 'rich_text_quote' ? '\n' : '');
  }
}

/** One Block Kit block → lines. */
export function blockLines(block: unknown, dir: Directory = emptyDirectory(), zone = 'America/New_York'): string[] {
  if (!isObj(block)) return [];
  const lines = (text: string) => (text ? text.split('\n') : []);
  switch (block['type']) {
    case 'header':
      return lines(textObject(block['text'], dir, zone));
    case 'section': {
      const out = lines(textObject(block['text'], dir, zone));
      for (const f of Array.isArray(block['fields']) ? block['fields'] : []) {
        // A field is "*Label*\nvalue": one line, `Label: value`.
        const [label = '', ...value] = textObject(f, dir, zone).split('\n');
        out.push(value.length ? `${label}: ${value.join(' ')}` : label);
      }
      const accessory = elementText(block['accessory'], dir, zone);
      if (accessory) {
        if (out.length) out[out.length - 1] = `${out[out.length - 1]}  ${accessory}`;
        else out.push(accessory);
      }
      return out;
    }
    case 'context': {
      const text = (Array.isArray(block['elements']) ? block['elements'] : []).map((e: unknown) => elementText(e, dir, zone)).filter(Boolean).join(' · ');
      return lines(text);
    }
    case 'actions': {
      const text = (Array.isArray(block['elements']) ? block['elements'] : []).map((e: unknown) => elementText(e, dir, zone)).filter(Boolean).join(' ');
      return text ? [text] : [];
    }
    case 'divider':
      return ['────────'];
    case 'image':
      return [`[image: ${typeof block['alt_text'] === 'string' ? block['alt_text'] : ''}]`];
    case 'input':
      return [`${textObject(block['label'], dir, zone)}: ${elementText(block['element'], dir, zone)}`];
    case 'rich_text':
      return richText(block['elements'], dir).replace(/\n+$/, '').split('\n');
    default:
      return [`[${String(block['type'])}]`];
  }
}

/** A message's blocks (what Slack shows when there are any) or else its text → lines. */
export function messageBody(m: { text?: string; blocks?: unknown[] }, dir: Directory = emptyDirectory(), zone = 'America/New_York'): string[] {
  const body = Array.isArray(m.blocks) && m.blocks.length ? m.blocks.flatMap((b) => blockLines(b, dir, zone)) : mrkdwnToText(m.text ?? '', dir, zone).split('\n');
  return body.length ? body : [''];
}

const zoneLabel = (zone: string) => (zone === 'America/New_York' ? 'ET' : zone);

/** `10:42:05 ET` for a time in milliseconds. */
export function clockTime(ms: number, zone = 'America/New_York'): string {
  return `${DateTime.fromMillis(ms, { zone }).toFormat('HH:mm:ss')} ${zoneLabel(zone)}`;
}

/** A Slack message timestamp (`1764255725.004100`) as `10:42:05 ET`. */
export function tsTime(ts: string, zone = 'America/New_York'): string {
  return clockTime(Math.floor(Number(ts) * 1000), zone);
}

/** `10:42:05 ET  @warroom: first line (edited)`, then the rest indented under it. */
export function messageLines(m: FakeMessage, dir: Directory, zone = 'America/New_York'): string[] {
  const time = tsTime(m.ts, zone);
  const [first = '', ...rest] = messageBody(m, dir, zone);
  const pad = ' '.repeat(time.length + 2);
  return [`${time}  @${dir.users.get(m.user) ?? m.user}: ${first}${m.edited ? '  (edited)' : ''}`.trimEnd(), ...rest.map((l) => `${pad}│ ${l}`.trimEnd())];
}

const byTs = (a: { ts: string }, b: { ts: string }) => Number(a.ts) - Number(b.ts) || a.ts.localeCompare(b.ts);
const isDm = (ch: FakeChannel) => ch.id.startsWith('D');

export interface WorkspaceOptions {
  zone?: string;
  /** Channel names to print first, in this order; the others follow by name, then the DMs by person. */
  order?: string[];
  /** The bot's own user id: a DM is titled by the other member. */
  botUserId?: string;
}

/** Every channel and DM of the fake Slack, as a person would read them, in a stable order. */
export function renderWorkspace(slack: Pick<FakeSlack, 'channels'>, dir: Directory, opts: WorkspaceOptions = {}): string[] {
  const zone = opts.zone ?? 'America/New_York';
  const name = (u: string) => `@${dir.users.get(u) ?? u}`;
  const dmPeer = (ch: FakeChannel) => [...ch.members].find((m) => m !== opts.botUserId) ?? '?';
  const rank = (ch: FakeChannel) => {
    const i = opts.order?.indexOf(ch.name) ?? -1;
    return isDm(ch) ? 2 : i >= 0 ? 0 : 1;
  };
  const channels = [...slack.channels()].sort((a, b) => {
    const r = rank(a) - rank(b);
    if (r) return r;
    if (rank(a) === 0) return opts.order!.indexOf(a.name) - opts.order!.indexOf(b.name);
    const ka = isDm(a) ? name(dmPeer(a)) : a.name;
    const kb = isDm(b) ? name(dmPeer(b)) : b.name;
    return ka.localeCompare(kb);
  });
  const out: string[] = [];
  for (const ch of channels) {
    const flags = [ch.isPrivate && !isDm(ch) ? 'private' : '', ch.archived ? 'archived' : ''].filter(Boolean);
    out.push(isDm(ch) ? `DM with ${name(dmPeer(ch))}` : `#${ch.name}${flags.length ? ` (${flags.join(', ')})` : ''}`);
    if (ch.topic) out.push(`  topic: ${mrkdwnToText(ch.topic, dir, zone)}`);
    if (ch.purpose) out.push(`  purpose: ${mrkdwnToText(ch.purpose, dir, zone)}`);
    if (!isDm(ch)) out.push(`  members: ${[...ch.members].map(name).sort().join(', ') || '(none)'}`);
    // Pinned messages first, as Slack shows them above the conversation (the incident card),
    // then the conversation by timestamp.
    const pinned = ch.messages.filter((m) => ch.pins.has(m.ts)).sort(byTs);
    for (const m of pinned) out.push('  pinned:', ...messageLines(m, dir, zone).map((l) => `    ${l}`));
    const messages = ch.messages.filter((m) => !ch.pins.has(m.ts)).sort(byTs);
    if (!messages.length) out.push(pinned.length ? '  (no other messages)' : '  (no messages)');
    for (const m of messages) {
      out.push(...messageLines(m, dir, zone).map((l) => `  ${l}`));
      for (const r of [...m.replies].sort(byTs)) out.push(...messageLines(r, dir, zone).map((l, i) => `      ${i === 0 ? '↳ ' : '  '}${l}`));
    }
  }
  return out;
}

/**
 * The names a Slack client would show, read from the fake Slack the way a client reads them:
 * `users.list` and `usergroups.list` over its Web API, the conversations from the fake itself.
 */
export async function directoryOf(slack: Pick<FakeSlack, 'apiUrl' | 'botToken' | 'channels'>): Promise<Directory> {
  const call = async (method: string, args: Record<string, string> = {}): Promise<Obj> => {
    const res = await fetch(`${slack.apiUrl}${method}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${slack.botToken}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(args).toString(),
    });
    const body = (await res.json()) as Obj;
    if (!body['ok']) throw new Error(`${method}: ${String(body['error'])}`);
    return body;
  };
  const users = new Map<string, string>();
  let cursor = '';
  do {
    const page = await call('users.list', { limit: '200', ...(cursor ? { cursor } : {}) });
    for (const u of page['members'] as Obj[]) users.set(String(u['id']), String(u['profile']?.['display_name'] || u['name']));
    cursor = String(page['response_metadata']?.['next_cursor'] ?? '');
  } while (cursor);
  const groups = new Map<string, string>();
  for (const g of (await call('usergroups.list'))['usergroups'] as Obj[]) groups.set(String(g['id']), String(g['handle']));
  const channels = new Map<string, string>();
  for (const ch of slack.channels()) if (!ch.id.startsWith('D')) channels.set(ch.id, ch.name);
  return { users, channels, groups };
}
