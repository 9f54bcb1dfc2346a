/** render(): what each channel shows a person, as plain text (the demo prints it). */
import type { FakeMessage } from './types.js';
import { isObject } from './util.js';
import { kindOf, type Workspace } from './workspace.js';

function renderElement(e: any): string {
  if (!isObject(e)) return '';
  if (e.type === 'button') return `[${e.text?.text ?? ''}]`;
  if (typeof e.type === 'string' && (e.type.endsWith('_select') || e.type.startsWith('multi_'))) {
    return `[${e.placeholder?.text ?? 'Select…'} ▾]`;
  }
  if (e.type === 'image') return `[image: ${e.alt_text ?? ''}]`;
  if (typeof e.text === 'string') return e.text; // context text objects
  if (isObject(e.text)) return String(e.text.text ?? '');
  return `[${e.type}]`;
}

/** Collects every `text` leaf of a rich_text tree. */
function richText(node: any): string {
  if (Array.isArray(node)) return node.map(richText).join('');
  if (!isObject(node)) return '';
  if (typeof node.text === 'string') return node.text;
  if (node.type === 'user') return `<@${node.user_id}>`;
  return richText(node.elements);
}

function renderBlock(b: any): string[] {
  if (!isObject(b)) return [];
  switch (b.type) {
    case 'header':
      return [`== ${b.text?.text ?? ''} ==`];
    case 'section': {
      const lines: string[] = [];
      if (b.text?.text) lines.push(...String(b.text.text).split('\n'));
      if (Array.isArray(b.fields)) lines.push(...b.fields.map((f: any) => `• ${String(f?.text ?? '').replace(/\n/g, ' ')}`));
      if (b.accessory) lines.push(renderElement(b.accessory));
      return lines;
    }
    case 'context':
      return [(Array.isArray(b.elements) ? b.elements : []).map(renderElement).join(' · ')];
    case 'actions':
      return [(Array.isArray(b.elements) ? b.elements : []).map(renderElement).join(' ')];
    case 'divider':
      return ['────────'];
    case 'image':
      return [`[image: ${b.alt_text ?? ''}]`];
    case 'input':
      return [`${b.label?.text ?? ''}: ${renderElement(b.element)}`];
    case 'rich_text':
      return richText(b.elements).split('\n');
    default:
      return [`[${b.type}]`];
  }
}


function who(ws: Workspace, userId: string): string {
  return `@${ws.users.get(userId)?.name ?? userId}`;
}

/** Slack markup → what a person sees (mentions resolved, entities unescaped). */
function humanize(ws: Workspace, text: string): string {
  return text
    .replace(/<@([A-Z0-9]+)(?:\|[^>]*)?>/g, (_, id: string) => who(ws, id))
    .replace(/<#([A-Z0-9]+)(?:\|([^>]*))?>/g, (_, id: string, label?: string) => `#${ws.chans.get(id)?.name ?? label ?? id}`)
    .replace(/<!subteam\^([A-Z0-9]+)(?:\|[^>]*)?>/g, (_, id: string) => `@${ws.groups.get(id)?.handle ?? id}`)
    .replace(/<!(here|channel|everyone)>/g, '@$1')
    .replace(/<([^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export function renderWorkspace(ws: Workspace): string {
  const out: string[] = [];
  const renderMsg = (m: FakeMessage, indent: string) => {
    const body = m.blocks?.length ? m.blocks.flatMap(renderBlock) : m.text.split('\n');
    const [first = '', ...rest] = body.map((l) => humanize(ws, l));
    out.push(`${indent}${m.ts} ${who(ws, m.user)}: ${first}${m.edited ? ' (edited)' : ''}`);
    for (const l of rest) out.push(`${indent}  │ ${l}`);
  };
  for (const ch of ws.chans.values()) {
    const kind = kindOf(ch);
    const title =
      kind === 'im'
        ? `DM with ${who(ws, ws.otherMember(ch) ?? '?')} (${ch.id})`
        : `#${ch.name} (${ch.id}${ch.isPrivate ? ', private' : ''}${ch.archived ? ', archived' : ''})`;
    out.push(title);
    if (ch.topic) out.push(`  topic: ${humanize(ws, ch.topic)}`);
    if (ch.purpose) out.push(`  purpose: ${humanize(ws, ch.purpose)}`);
    if (kind !== 'im') out.push(`  members: ${[...ch.members].map((u) => who(ws, u)).join(', ') || '(none)'}`);
    if (ch.pins.size) out.push(`  pinned: ${[...ch.pins].join(', ')}`);
    if (!ch.messages.length) out.push('  (no messages)');
    for (const m of ch.messages) {
      renderMsg(m, '  ');
      if (m.replies.length) out.push(`    ↳ thread (${m.replies.length} ${m.replies.length === 1 ? 'reply' : 'replies'})`);
      for (const r of m.replies) renderMsg(r, '      ');
    }
    for (const o of ws.orphans.get(ch.id) ?? []) renderMsg(o, '  (reply to missing thread) ');
  }
  if (ws.ephemeralLog.length) {
    out.push('ephemeral messages');
    for (const e of ws.ephemeralLog) {
      const where = ws.chans.get(e.channel);
      const place = where && kindOf(where) === 'channel' ? `#${where.name}` : e.channel;
      const body = e.blocks?.length ? e.blocks.flatMap(renderBlock).join(' / ') : e.text;
      out.push(`  to ${who(ws, e.user)} in ${place}: ${humanize(ws, body)}`);
    }
  }
  if (ws.responseLog.length) {
    out.push('response_url posts');
    for (const r of ws.responseLog) {
      const body = isObject(r.body) ? (Array.isArray(r.body.blocks) && r.body.blocks.length ? r.body.blocks.flatMap(renderBlock).join(' / ') : String(r.body.text ?? JSON.stringify(r.body))) : String(r.body);
      const type = isObject(r.body) && r.body.response_type ? ` (${String(r.body.response_type)})` : '';
      out.push(`  ${r.id}${type}: ${humanize(ws, body)}`);
    }
  }
  return out.join('\n');
}
