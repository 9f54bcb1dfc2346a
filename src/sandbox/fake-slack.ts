/**
 * A fake Slack Web API served over real HTTP, for the test-suite and for `npm run demo`.
 *
 * The bot's unmodified `WebClient` talks to it through `slackApiUrl: fake.apiUrl`, so everything
 * the client does for real (urlencoded bodies with JSON-encoded nested values, Bearer tokens,
 * 429 + Retry-After handling, non-200 statuses) is exercised. Arguments, response shapes and error
 * codes follow Slack's documentation; what it deliberately leaves out:
 * - scopes (the bot token may do everything a bot with the usual chat/channels/groups/im/pins/
 *   usergroups/users scopes may do, including `chat:write.public`);
 * - system messages (`channel_join`, `channel_topic`), reactions, files, bookmarks, Enterprise Grid;
 * - rate limits unless configured with `rateLimit()` (tests would be slow otherwise).
 *
 * Visibility follows Slack: a private channel the bot is not in does not exist for the bot, so
 * every method answers `channel_not_found` for it (except `conversations.join`).
 */
import { closeNow, listenLocal, pollUntil, type Probe } from './listen.js';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

export interface FakeSlackOptions {
  botToken?: string;
  botUserId?: string;
  botId?: string;
  teamId?: string;
  /** Delay before every API call is processed (simulates network + Slack latency). */
  latencyMs?: number;
}

export interface FakeMessage {
  ts: string;
  user: string;
  text: string;
  blocks?: any[];
  metadata?: { event_type: string; event_payload: any };
  thread_ts?: string;
  edited?: boolean;
  replies: FakeMessage[];
}

export interface FakeChannel {
  id: string;
  name: string;
  isPrivate: boolean;
  topic: string;
  purpose: string;
  creator: string;
  created: number;
  members: Set<string>;
  messages: FakeMessage[];
  pins: Set<string>;
  archived: boolean;
}

export interface FakeUser {
  id: string;
  name: string;
  realName: string;
  phone: string;
  tz: string;
  isBot: boolean;
}

export interface FakeUserGroup {
  id: string;
  handle: string;
  name: string;
  users: string[];
}

export interface FakeCall {
  method: string;
  args: Record<string, unknown>;
  at: number;
  status: number;
  ok: boolean;
  error?: string;
}

export interface FakeEphemeral {
  channel: string;
  user: string;
  text: string;
  blocks?: any[];
  ts: string;
  thread_ts?: string;
}

/** A modal or Home tab as Slack holds it: the submitted view plus Slack's own fields. */
export interface FakeView {
  id: string;
  hash: string;
  rootViewId: string;
  previousViewId: string | null;
  /** Set for Home tabs (`views.publish`). */
  userId?: string;
  view: Record<string, any>;
}

export type FakeFault = { status: 429; retryAfter: number } | { status: 500 | 502 | 503 } | { error: string };

// ---------------------------------------------------------------------------------------------
// Limits (Slack's documented values)
// ---------------------------------------------------------------------------------------------

const LIMITS = {
  channelName: 80,
  topic: 250,
  purpose: 250,
  messageText: 40_000,
  messageBlocks: 50,
  viewBlocks: 100,
  /** Slack's docs have said 30, 100 and 1000 over time; PLATFORM.md says 100. */
  inviteUsers: 100,
  /** Users in a group DM besides the caller. */
  mpimUsers: 8,
  responseUrlUses: 5,
  viewStack: 3,
  pageMax: 1000,
} as const;

/** Keys WebClient JSON-encodes into a form field; Slack decodes them back. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'metadata', 'view']);

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

type Args = Record<string, unknown>;
type Result = Record<string, unknown>;
type Handler = (args: Args) => Result;

/** A Slack platform error: answered as HTTP 200 `{ ok: false, error, ...extra }`. */
class SlackApiError extends Error {
  constructor(
    readonly code: string,
    readonly extra: Result = {},
  ) {
    super(code);
  }
}

function fail(code: string, extra?: Result): never {
  throw new SlackApiError(code, extra);
}

/** Form values arrive as strings; JSON bodies may carry numbers and booleans. */
function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function bool(v: unknown): boolean {
  return v === true || v === 1 || v === 'true' || v === '1';
}

function int(v: unknown, fallback: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? Math.trunc(n) : fallback;
}

function list(v: unknown): string[] {
  const s = Array.isArray(v) ? v.join(',') : (str(v) ?? '');
  return [...new Set(s.split(',').map((x) => x.trim()).filter(Boolean))];
}

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Slack ts → comparable integer (microseconds); undefined when malformed. */
function tsKey(ts: string): number | undefined {
  const m = /^(\d+)(?:\.(\d{1,6}))?$/.exec(ts.trim());
  if (!m) return undefined;
  return Number(m[1]) * 1_000_000 + Number((m[2] ?? '').padEnd(6, '0'));
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
function randomAlnum(n: number): string {
  return [...randomBytes(n)].map((b) => ALNUM[b % ALNUM.length]).join('');
}

function paginate<T>(items: T[], a: Args, defaultLimit: number): { page: T[]; nextCursor: string } {
  const asked = int(a.limit, defaultLimit);
  const limit = Math.min(asked > 0 ? asked : defaultLimit, LIMITS.pageMax);
  let offset = 0;
  const cursor = str(a.cursor);
  if (cursor) {
    // Cursors are opaque to clients; ours encode an offset the way Slack's encode a position.
    const m = /^offset:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
    if (!m) fail('invalid_cursor');
    offset = Number(m[1]);
  }
  const end = offset + limit;
  return {
    page: items.slice(offset, end),
    nextCursor: end < items.length ? Buffer.from(`offset:${end}`).toString('base64') : '',
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Query string + body (urlencoded, multipart or JSON), the way Slack accepts them. */
async function parseArgs(req: IncomingMessage, url: URL, raw: Buffer): Promise<Args> {
  const args: Args = Object.fromEntries(url.searchParams);
  if (raw.length === 0) return args;
  const contentType = req.headers['content-type'] ?? '';
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') {
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return fail('invalid_json');
    }
    if (!isObject(body)) fail('json_not_object');
    return { ...args, ...(body as Args) };
  }
  if (type === 'multipart/form-data') {
    const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': contentType } })
      .formData()
      .catch(() => fail('invalid_form_data'));
    form.forEach((v, k) => {
      args[k] = typeof v === 'string' ? v : `<file ${v.name}>`;
    });
  } else {
    for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) args[k] = v;
  }
  for (const k of JSON_FIELDS) {
    const v = args[k];
    if (typeof v === 'string' && /^\s*[[{]/.test(v)) {
      try {
        args[k] = JSON.parse(v);
      } catch {
        // Left as a string: the method reports its own *_format error.
      }
    }
  }
  return args;
}

// ---------------------------------------------------------------------------------------------
// Block Kit validation: the limits Slack enforces, reported the way Slack reports them
// (`invalid_blocks` / `invalid_arguments` + response_metadata.messages with a JSON pointer).
// ---------------------------------------------------------------------------------------------

function checkText(errors: string[], t: unknown, ptr: string, max: number, plainOnly = false): void {
  if (!isObject(t) || typeof t.text !== 'string') {
    errors.push(`[ERROR] must be a text object [json-pointer:${ptr}]`);
    return;
  }
  if (plainOnly && t.type !== 'plain_text') errors.push(`[ERROR] must be plain_text [json-pointer:${ptr}/type]`);
  if (t.text.length > max) errors.push(`[ERROR] must be less than ${max + 1} characters [json-pointer:${ptr}/text]`);
}

function checkLength(errors: string[], v: unknown, ptr: string, max: number): void {
  if (typeof v === 'string' && v.length > max) errors.push(`[ERROR] must be less than ${max + 1} characters [json-pointer:${ptr}]`);
}

function checkElement(errors: string[], e: unknown, ptr: string): void {
  if (!isObject(e) || typeof e.type !== 'string') {
    errors.push(`[ERROR] missing required field: type [json-pointer:${ptr}]`);
    return;
  }
  checkLength(errors, e.action_id, `${ptr}/action_id`, 255);
  if (e.type === 'button') {
    checkText(errors, e.text, `${ptr}/text`, 75, true);
    checkLength(errors, e.value, `${ptr}/value`, 2000);
    checkLength(errors, e.url, `${ptr}/url`, 3000);
  }
  if (e.placeholder !== undefined) checkText(errors, e.placeholder, `${ptr}/placeholder`, 150, true);
}

function checkBlocks(errors: string[], blocks: unknown, ptr: string, max: number): void {
  if (!Array.isArray(blocks)) {
    errors.push(`[ERROR] must be an array [json-pointer:${ptr}]`);
    return;
  }
  if (blocks.length > max) errors.push(`[ERROR] no more than ${max} items allowed [json-pointer:${ptr}]`);
  blocks.forEach((b: unknown, i) => {
    const p = `${ptr}/${i}`;
    if (!isObject(b) || typeof b.type !== 'string') {
      errors.push(`[ERROR] missing required field: type [json-pointer:${p}]`);
      return;
    }
    checkLength(errors, b.block_id, `${p}/block_id`, 255);
    switch (b.type) {
      case 'header':
        checkText(errors, b.text, `${p}/text`, 150, true);
        break;
      case 'section':
        if (b.text === undefined && b.fields === undefined) errors.push(`[ERROR] must provide either text or fields [json-pointer:${p}]`);
        if (b.text !== undefined) checkText(errors, b.text, `${p}/text`, 3000);
        if (Array.isArray(b.fields)) {
          if (b.fields.length > 10) errors.push(`[ERROR] no more than 10 items allowed [json-pointer:${p}/fields]`);
          b.fields.forEach((f: unknown, j: number) => checkText(errors, f, `${p}/fields/${j}`, 2000));
        }
        if (b.accessory !== undefined) checkElement(errors, b.accessory, `${p}/accessory`);
        break;
      case 'actions':
      case 'context': {
        const max = b.type === 'actions' ? 25 : 10;
        if (!Array.isArray(b.elements) || b.elements.length === 0) errors.push(`[ERROR] must provide elements [json-pointer:${p}/elements]`);
        else if (b.elements.length > max) errors.push(`[ERROR] no more than ${max} items allowed [json-pointer:${p}/elements]`);
        if (b.type === 'actions' && Array.isArray(b.elements)) b.elements.forEach((e: unknown, j: number) => checkElement(errors, e, `${p}/elements/${j}`));
        break;
      }
      case 'input':
        checkText(errors, b.label, `${p}/label`, 2000, true);
        checkElement(errors, b.element, `${p}/element`);
        break;
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Plain-text rendering for render()
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// The fake
// ---------------------------------------------------------------------------------------------

type ChannelKind = 'channel' | 'im' | 'mpim';

export class FakeSlack {
  readonly botToken: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly teamId: string;
  readonly botName = 'warroom';
  readonly appId = 'AFAKEAPP1';

  private server: Server | undefined;
  private port = 0;

  // Workspace state (cleared by reset()).
  private users = new Map<string, FakeUser>();
  private groups = new Map<string, FakeUserGroup>();
  private chans = new Map<string, FakeChannel>();
  /** Replies whose thread_ts matched no message: Slack accepts them, nobody sees them. */
  private orphans = new Map<string, FakeMessage[]>();
  private pinMeta = new Map<string, number>();
  private ephemeralLog: FakeEphemeral[] = [];
  private responseLog: Array<{ id: string; body: any }> = [];
  private responseUses = new Map<string, number>();
  private viewsById = new Map<string, FakeView>();
  private usedTriggers = new Set<string>();
  private callLog: FakeCall[] = [];
  private lastTs = 0;
  private lastCreated = 0;

  // Behaviour knobs (also cleared by reset()).
  private faults = new Map<string, FakeFault[]>();
  private limits = new Map<string, { limit: number; windowMs: number; hits: number[] }>();
  private latency = new Map<string, number>();
  private defaultLatency: number;
  private revoked = false;

  constructor(private readonly opts: FakeSlackOptions = {}) {
    this.botToken = opts.botToken ?? 'xoxb-test';
    this.botUserId = opts.botUserId ?? 'UBOT';
    this.botId = opts.botId ?? 'BBOT';
    this.teamId = opts.teamId ?? 'T0001';
    this.defaultLatency = opts.latencyMs ?? 0;
    this.seedBot();
  }

  // --- lifecycle -----------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => {
      this.onRequest(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      });
    });
    this.port = await listenLocal(server);
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await closeNow(server);
  }

  get baseUrl(): string {
    if (!this.server) throw new Error('FakeSlack is not started');
    return `http://127.0.0.1:${this.port}`;
  }

  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  responseUrl(id: string): string {
    return `${this.baseUrl}/response/${encodeURIComponent(id)}`;
  }

  // --- seeding -------------------------------------------------------------------------------

  addUser(u: { id: string; name: string; realName?: string; phone?: string; tz?: string }): void {
    this.users.set(u.id, {
      id: u.id,
      name: u.name,
      realName: u.realName ?? u.name,
      phone: u.phone ?? '',
      tz: u.tz ?? 'America/New_York',
      isBot: false,
    });
  }

  addUserGroup(g: { id: string; handle: string; name?: string; users: string[] }): void {
    this.groups.set(g.id, { id: g.id, handle: g.handle, name: g.name ?? g.handle, users: [...g.users] });
  }

  /** Seeds a channel as it exists before the test; the bot is a member only if listed. */
  addChannel(c: { name: string; isPrivate?: boolean; members?: string[]; creator?: string; id?: string }): string {
    if (this.findByName(c.name)) throw new Error(`FakeSlack.addChannel: name taken: ${c.name}`);
    if (c.id && this.chans.has(c.id)) throw new Error(`FakeSlack.addChannel: id taken: ${c.id}`);
    const ch = this.createChannel(c.id ?? this.newId('C'), c.name, c.isPrivate ?? false, c.creator ?? c.members?.[0] ?? 'USLACKBOT');
    for (const m of c.members ?? []) ch.members.add(m);
    return ch.id;
  }

  /** Seeds a message from anyone (e.g. a human replying in a thread). */
  addMessage(channel: string, m: { user: string; text: string; blocks?: any[]; thread_ts?: string }): FakeMessage {
    const ch = this.channel(channel);
    if (!ch) throw new Error(`FakeSlack.addMessage: no channel ${channel}`);
    const msg = this.newMessage(m.user, m.text, m.blocks, undefined);
    this.place(ch, msg, m.thread_ts);
    return msg;
  }

  // --- fault injection -------------------------------------------------------------------------

  /** The next `times` calls of `method` ('*' = any method) fail this way, before any processing. */
  failNext(method: string, fault: FakeFault, times = 1): void {
    const queue = this.faults.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(fault);
    this.faults.set(method, queue);
  }

  /** Sliding window: beyond `limit` accepted calls per `windowMs` → 429 + Retry-After. */
  rateLimit(method: string, limit: number, windowMs: number): void {
    this.limits.set(method, { limit, windowMs, hits: [] });
  }

  setLatency(ms: number, method?: string): void {
    if (method) this.latency.set(method, ms);
    else this.defaultLatency = ms;
  }

  /** The token works again (a human re-installed the app). */
  restoreToken(): void {
    this.revoked = false;
  }

  revokeToken(): void {
    this.revoked = true;
  }

  // --- inspection ----------------------------------------------------------------------------

  calls(method?: string): FakeCall[] {
    return this.callLog.filter((c) => !method || c.method === method).map((c) => ({ ...c }));
  }

  responses(): Array<{ id: string; body: any }> {
    return [...this.responseLog];
  }

  channel(idOrName: string): FakeChannel | undefined {
    return this.chans.get(idOrName) ?? this.findByName(idOrName.replace(/^#/, ''));
  }

  channels(): FakeChannel[] {
    return [...this.chans.values()];
  }

  /** What the user received from the bot in their DM, oldest first. */
  dms(userId: string): FakeMessage[] {
    return this.findIm(userId)?.messages ?? [];
  }

  ephemerals(userId?: string): FakeEphemeral[] {
    return this.ephemeralLog.filter((e) => !userId || e.user === userId);
  }

  /** Current state of every modal and Home tab opened, pushed, updated or published. */
  views(): FakeView[] {
    return [...this.viewsById.values()];
  }

  waitFor<T>(probe: Probe<T>, timeoutMs = 5000, what = 'condition'): Promise<T> {
    return pollUntil('FakeSlack', probe, timeoutMs, what, () => this.callLog.slice(-10).map((c) => `  ${c.method} → ${c.status} ${c.ok ? 'ok' : (c.error ?? 'failed')} ${summarizeArgs(c.args)}`));
  }

  /** What each Slack channel would show a person, as plain text (used by the demo). */
  render(): string {
    const out: string[] = [];
    const renderMsg = (m: FakeMessage, indent: string) => {
      const body = m.blocks?.length ? m.blocks.flatMap(renderBlock) : m.text.split('\n');
      const [first = '', ...rest] = body.map((l) => this.humanize(l));
      out.push(`${indent}${m.ts} ${this.who(m.user)}: ${first}${m.edited ? ' (edited)' : ''}`);
      for (const l of rest) out.push(`${indent}  │ ${l}`);
    };
    for (const ch of this.chans.values()) {
      const kind = kindOf(ch);
      const title =
        kind === 'im'
          ? `DM with ${this.who(this.otherMember(ch) ?? '?')} (${ch.id})`
          : `#${ch.name} (${ch.id}${ch.isPrivate ? ', private' : ''}${ch.archived ? ', archived' : ''})`;
      out.push(title);
      if (ch.topic) out.push(`  topic: ${this.humanize(ch.topic)}`);
      if (ch.purpose) out.push(`  purpose: ${this.humanize(ch.purpose)}`);
      if (kind !== 'im') out.push(`  members: ${[...ch.members].map((u) => this.who(u)).join(', ') || '(none)'}`);
      if (ch.pins.size) out.push(`  pinned: ${[...ch.pins].join(', ')}`);
      if (!ch.messages.length) out.push('  (no messages)');
      for (const m of ch.messages) {
        renderMsg(m, '  ');
        if (m.replies.length) out.push(`    ↳ thread (${m.replies.length} ${m.replies.length === 1 ? 'reply' : 'replies'})`);
        for (const r of m.replies) renderMsg(r, '      ');
      }
      for (const o of this.orphans.get(ch.id) ?? []) renderMsg(o, '  (reply to missing thread) ');
    }
    if (this.ephemeralLog.length) {
      out.push('ephemeral messages');
      for (const e of this.ephemeralLog) {
        const where = this.chans.get(e.channel);
        const place = where && kindOf(where) === 'channel' ? `#${where.name}` : e.channel;
        const body = e.blocks?.length ? e.blocks.flatMap(renderBlock).join(' / ') : e.text;
        out.push(`  to ${this.who(e.user)} in ${place}: ${this.humanize(body)}`);
      }
    }
    if (this.responseLog.length) {
      out.push('response_url posts');
      for (const r of this.responseLog) {
        const body = isObject(r.body) ? (Array.isArray(r.body.blocks) && r.body.blocks.length ? r.body.blocks.flatMap(renderBlock).join(' / ') : String(r.body.text ?? JSON.stringify(r.body))) : String(r.body);
        const type = isObject(r.body) && r.body.response_type ? ` (${String(r.body.response_type)})` : '';
        out.push(`  ${r.id}${type}: ${this.humanize(body)}`);
      }
    }
    return out.join('\n');
  }

  /** Back to a fresh workspace (only the bot user), all knobs off; the server keeps running. */
  reset(): void {
    this.users.clear();
    this.groups.clear();
    this.chans.clear();
    this.orphans.clear();
    this.pinMeta.clear();
    this.ephemeralLog = [];
    this.responseLog = [];
    this.responseUses.clear();
    this.viewsById.clear();
    this.usedTriggers.clear();
    this.callLog = [];
    this.faults.clear();
    this.limits.clear();
    this.latency.clear();
    this.defaultLatency = this.opts.latencyMs ?? 0;
    this.revoked = false;
    this.seedBot();
  }

  // --- HTTP ------------------------------------------------------------------------------------

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const raw = await readBody(req);
    if (url.pathname.startsWith('/api/')) return this.onApiCall(decodeURIComponent(url.pathname.slice(5)), req, url, raw, res);
    if (url.pathname.startsWith('/response/') && req.method === 'POST') {
      return this.onResponseUrl(decodeURIComponent(url.pathname.slice(10)), req, raw, res);
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }

  private async onApiCall(method: string, req: IncomingMessage, url: URL, raw: Buffer, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const record = (args: Args, status: number, body?: Result) => {
      const call: FakeCall = { method, args, at, status, ok: body?.ok === true };
      if (typeof body?.error === 'string') call.error = body.error;
      this.callLog.push(call);
    };
    const sendJson = (status: number, body: Result, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
    };

    let args: Args = {};
    let parseError: SlackApiError | undefined;
    try {
      args = await parseArgs(req, url, raw);
    } catch (err) {
      if (!(err instanceof SlackApiError)) throw err;
      parseError = err;
    }
    // The token may come as a Bearer header or (form bodies only, like Slack) a `token` field.
    const bearer = /^Bearer\s+(\S+)/i.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ?? str(args.token);
    delete args.token;

    const delay = this.latency.get(method) ?? this.defaultLatency;
    if (delay > 0) await sleep(delay);

    // Faults come before anything else and leave the state untouched.
    const fault = this.takeFault(method);
    if (fault) {
      if ('error' in fault) {
        const body = { ok: false, error: fault.error };
        record(args, 200, body);
        return sendJson(200, body);
      }
      if (fault.status === 429) return this.sendRateLimited(args, fault.retryAfter, record, sendJson);
      record(args, fault.status);
      res.writeHead(fault.status, { 'content-type': 'text/html' }).end(`<html><body><h1>${fault.status}</h1>Slack is having trouble.</body></html>`);
      return;
    }
    const retryAfter = this.checkRateLimit(method, Date.now());
    if (retryAfter !== undefined) return this.sendRateLimited(args, retryAfter, record, sendJson);

    let body: Result;
    try {
      const handler = this.handlers[method];
      if (!handler) fail('unknown_method');
      if (parseError) throw parseError;
      if (!token) fail('not_authed');
      if (this.revoked || token !== this.botToken) fail('invalid_auth');
      body = { ok: true, ...handler!(args) };
    } catch (err) {
      if (!(err instanceof SlackApiError)) throw err;
      body = { ok: false, error: err.code, ...err.extra };
    }
    record(args, 200, body);
    sendJson(200, body);
  }

  private sendRateLimited(
    args: Args,
    retryAfter: number,
    record: (args: Args, status: number, body?: Result) => void,
    sendJson: (status: number, body: Result, headers?: Record<string, string>) => void,
  ): void {
    const body = { ok: false, error: 'ratelimited' };
    record(args, 429, body);
    sendJson(429, body, { 'retry-after': String(retryAfter) });
  }

  private takeFault(method: string): FakeFault | undefined {
    for (const key of [method, '*']) {
      const queue = this.faults.get(key);
      if (queue?.length) return queue.shift();
    }
    return undefined;
  }

  /** Returns Retry-After seconds when over the limit; otherwise counts the call. */
  private checkRateLimit(method: string, now: number): number | undefined {
    const rl = this.limits.get(method);
    if (!rl) return undefined;
    rl.hits = rl.hits.filter((t) => now - t < rl.windowMs);
    if (rl.hits.length >= rl.limit) {
      const frees = rl.hits[rl.hits.length - rl.limit]! + rl.windowMs;
      return Math.max(1, Math.ceil((frees - now) / 1000));
    }
    rl.hits.push(now);
    return undefined;
  }

  /** Slash-command response_url: JSON (or form `payload=`) bodies, usable 5 times like Slack's. */
  private onResponseUrl(id: string, req: IncomingMessage, raw: Buffer, res: ServerResponse): void {
    const uses = (this.responseUses.get(id) ?? 0) + 1;
    this.responseUses.set(id, uses);
    const send = (status: number, body: Result): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
    };
    if (uses > LIMITS.responseUrlUses) return send(404, { ok: false, error: 'used_url' });
    const text = raw.toString('utf8');
    let body: unknown;
    try {
      body = (req.headers['content-type'] ?? '').includes('urlencoded') ? JSON.parse(new URLSearchParams(text).get('payload') ?? '') : JSON.parse(text);
    } catch {
      return send(400, { ok: false, error: 'invalid_payload' });
    }
    this.responseLog.push({ id, body });
    send(200, { ok: true });
  }

  // --- the method table ------------------------------------------------------------------------

  private readonly handlers: Record<string, Handler> = {
    'auth.test': () => ({
      url: `${this.baseUrl}/`,
      team: 'Warroom Sandbox',
      team_id: this.teamId,
      user: this.botName,
      user_id: this.botUserId,
      bot_id: this.botId,
      is_enterprise_install: false,
    }),

    'conversations.create': (a) => {
      const name = str(a.name) ?? '';
      if (!name) fail('invalid_name_required');
      if (name.length > LIMITS.channelName) fail('invalid_name_maxlength');
      if (!/^[a-z0-9_-]+$/.test(name)) fail('invalid_name_specials');
      if (/^[-_]+$/.test(name)) fail('invalid_name_punctuation');
      // Archived and private channels keep their names too.
      if (this.findByName(name)) fail('name_taken');
      const ch = this.createChannel(this.newId('C'), name, bool(a.is_private), this.botUserId);
      ch.members.add(this.botUserId);
      return { channel: this.channelJson(ch) };
    },

    'conversations.info': (a) => ({ channel: this.channelJson(this.lookup(a.channel)) }),

    'conversations.list': (a) => {
      const types = list(a.types ?? 'public_channel');
      const known: Record<string, (ch: FakeChannel) => boolean> = {
        public_channel: (ch) => kindOf(ch) === 'channel' && !ch.isPrivate,
        private_channel: (ch) => kindOf(ch) === 'channel' && ch.isPrivate,
        im: (ch) => kindOf(ch) === 'im',
        mpim: (ch) => kindOf(ch) === 'mpim',
      };
      if (types.some((t) => !known[t])) fail('invalid_types');
      const excludeArchived = bool(a.exclude_archived);
      const all = [...this.chans.values()].filter(
        (ch) => this.visible(ch) && types.some((t) => known[t]!(ch)) && !(excludeArchived && ch.archived),
      );
      const { page, nextCursor } = paginate(all, a, 100);
      return { channels: page.map((ch) => this.channelJson(ch)), response_metadata: { next_cursor: nextCursor } };
    },

    'conversations.join': (a) => {
      const ch = this.chans.get(str(a.channel) ?? '');
      if (!ch) fail('channel_not_found');
      // Only public channels can be joined; private ones need an invitation.
      if (ch.isPrivate) fail('method_not_supported_for_channel_type');
      if (ch.archived) fail('is_archived');
      if (ch.members.has(this.botUserId)) {
        return { channel: this.channelJson(ch), warning: 'already_in_channel', response_metadata: { warnings: ['already_in_channel'] } };
      }
      ch.members.add(this.botUserId);
      return { channel: this.channelJson(ch) };
    },

    'conversations.invite': (a) => {
      const ch = this.lookup(a.channel);
      if (kindOf(ch) !== 'channel') fail('method_not_supported_for_channel_type');
      if (ch.archived) fail('is_archived');
      if (!ch.members.has(this.botUserId)) fail('not_in_channel');
      const ids = list(a.users);
      if (!ids.length) fail('no_user');
      if (ids.length > LIMITS.inviteUsers) fail('too_many_users');
      const errors: Array<{ user: string; ok: false; error: string }> = [];
      const valid: string[] = [];
      for (const id of ids) {
        const error =
          id === this.botUserId ? 'cant_invite_self' : !this.users.has(id) ? 'user_not_found' : ch.members.has(id) ? 'already_in_channel' : undefined;
        if (error) errors.push({ user: id, ok: false, error });
        else valid.push(id);
      }
      // Without force one bad user fails the whole call and nobody is invited.
      if (errors.length && (!bool(a.force) || !valid.length)) fail(errors[0]!.error, { errors });
      for (const id of valid) ch.members.add(id);
      return { channel: this.channelJson(ch), ...(errors.length ? { errors } : {}) };
    },

    'conversations.setTopic': (a) => this.setTopicOrPurpose(a, 'topic'),
    'conversations.setPurpose': (a) => this.setTopicOrPurpose(a, 'purpose'),

    'conversations.archive': (a) => {
      const ch = this.lookup(a.channel);
      if (kindOf(ch) !== 'channel') fail('method_not_supported_for_channel_type');
      if (ch.archived) fail('already_archived');
      if (!ch.members.has(this.botUserId)) fail('not_in_channel');
      ch.archived = true;
      return {};
    },

    'conversations.unarchive': (a) => {
      const ch = this.lookup(a.channel);
      if (!ch.archived) fail('not_archived');
      ch.archived = false;
      return {};
    },

    'conversations.history': (a) => {
      const ch = this.lookupReadable(a.channel);
      const inclusive = bool(a.inclusive);
      const oldest = this.tsArg(a.oldest, 'invalid_ts_oldest');
      const latest = this.tsArg(a.latest, 'invalid_ts_latest');
      const inRange = (m: FakeMessage) => {
        const k = tsKey(m.ts)!;
        return (oldest === undefined || (inclusive ? k >= oldest : k > oldest)) && (latest === undefined || (inclusive ? k <= latest : k < latest));
      };
      const newestFirst = ch.messages.filter(inRange).reverse();
      const { page, nextCursor } = paginate(newestFirst, a, 100);
      const withMeta = bool(a.include_all_metadata);
      return {
        messages: page.map((m) => this.messageJson(m, withMeta)),
        has_more: nextCursor !== '',
        pin_count: ch.pins.size,
        response_metadata: { next_cursor: nextCursor },
      };
    },

    'conversations.replies': (a) => {
      const ch = this.lookupReadable(a.channel);
      const ts = str(a.ts) ?? '';
      const found = this.findMessage(ch, ts);
      if (!found) fail('thread_not_found');
      const parent = found.parent ?? found.msg;
      const { page, nextCursor } = paginate([parent, ...parent.replies], a, 1000);
      const withMeta = bool(a.include_all_metadata);
      return {
        messages: page.map((m) => this.messageJson(m, withMeta, m === parent ? undefined : parent)),
        has_more: nextCursor !== '',
        response_metadata: { next_cursor: nextCursor },
      };
    },

    'conversations.members': (a) => {
      const ch = this.lookup(a.channel);
      const { page, nextCursor } = paginate([...ch.members], a, 100);
      return { members: page, response_metadata: { next_cursor: nextCursor } };
    },

    'conversations.open': (a) => {
      const existing = str(a.channel);
      if (existing) return { channel: this.openJson(this.lookup(existing), bool(a.return_im)) };
      const ids = list(a.users).filter((u) => u !== this.botUserId);
      if (!ids.length) fail('users_list_not_supplied');
      if (ids.length > LIMITS.mpimUsers) fail('too_many_users');
      for (const id of ids) if (!this.users.has(id)) fail('user_not_found');
      const found = ids.length === 1 ? this.findIm(ids[0]!) : this.findMpim(ids);
      if (found) return { no_op: true, already_open: true, channel: this.openJson(found, bool(a.return_im)) };
      const ch = ids.length === 1 ? this.openIm(ids[0]!) : this.openMpim(ids);
      return { channel: this.openJson(ch, bool(a.return_im)) };
    },

    'chat.postMessage': (a) => {
      const ch = this.lookupForPost(a.channel);
      if (ch.archived) fail('is_archived');
      // Public channels: allowed without membership (chat:write.public). Private: invisible.
      const { text, blocks } = this.content(a, true);
      const metadata = this.metadataArg(a.metadata);
      const msg = this.newMessage(this.botUserId, text ?? '', blocks, metadata);
      this.place(ch, msg, str(a.thread_ts));
      return { channel: ch.id, ts: msg.ts, message: this.messageJson(msg, true) };
    },

    'chat.update': (a) => {
      const ch = this.lookup(a.channel);
      const found = this.findMessage(ch, str(a.ts) ?? '');
      if (!found) fail('message_not_found');
      const msg = found.msg;
      if (msg.user !== this.botUserId) fail('cant_update_message');
      const { text, blocks } = this.content(a, true);
      // Fields left out keep their old value; `blocks: []` removes the blocks (Slack's rule).
      if (text !== undefined) msg.text = text;
      if (blocks !== undefined) {
        if (blocks.length) msg.blocks = blocks;
        else delete msg.blocks;
      }
      if (a.metadata !== undefined) {
        const metadata = this.metadataArg(a.metadata);
        if (metadata) msg.metadata = metadata;
      }
      msg.edited = true;
      return { channel: ch.id, ts: msg.ts, text: msg.text, message: this.messageJson(msg, true, found.parent) };
    },

    'chat.delete': (a) => {
      const ch = this.lookup(a.channel);
      const ts = str(a.ts) ?? '';
      const found = this.findMessage(ch, ts);
      if (!found) fail('message_not_found');
      if (found!.msg.user !== this.botUserId) fail('cant_delete_message');
      const from = found.parent ? found.parent.replies : ch.messages;
      from.splice(from.indexOf(found.msg), 1);
      ch.pins.delete(ts);
      return { channel: ch.id, ts };
    },

    'chat.postEphemeral': (a) => {
      const ch = this.lookupForPost(a.channel, false);
      const user = str(a.user) ?? '';
      if (!this.users.has(user)) fail('user_not_found');
      if (kindOf(ch) !== 'im' && !ch.members.has(user)) fail('user_not_in_channel');
      const { text, blocks } = this.content(a, true);
      const e: FakeEphemeral = { channel: ch.id, user, text: text ?? '', ts: this.nextTs() };
      if (blocks?.length) e.blocks = blocks;
      const threadTs = str(a.thread_ts);
      if (threadTs) e.thread_ts = threadTs;
      this.ephemeralLog.push(e);
      return { message_ts: e.ts };
    },

    'chat.getPermalink': (a) => {
      const ch = this.lookup(a.channel);
      const ts = str(a.message_ts) ?? '';
      const found = this.findMessage(ch, ts);
      if (!found) fail('message_not_found');
      const base = `${this.baseUrl}/archives/${ch.id}/p${ts.replace('.', '')}`;
      const permalink = found.parent ? `${base}?thread_ts=${found.parent.ts}&cid=${ch.id}` : base;
      return { channel: ch.id, permalink };
    },

    'pins.add': (a) => {
      const ch = this.lookup(a.channel);
      if (!ch.members.has(this.botUserId)) fail('not_in_channel');
      const ts = str(a.timestamp);
      if (!ts) fail('no_item_specified');
      if (!this.findMessage(ch, ts)) fail('message_not_found');
      if (ch.pins.has(ts)) fail('already_pinned');
      ch.pins.add(ts);
      this.pinMeta.set(`${ch.id}/${ts}`, Math.floor(Date.now() / 1000));
      return {};
    },

    'pins.remove': (a) => {
      const ch = this.lookup(a.channel);
      const ts = str(a.timestamp);
      if (!ts) fail('no_item_specified');
      if (!ch.pins.delete(ts)) fail('no_pin');
      return {};
    },

    'pins.list': (a) => {
      const ch = this.lookup(a.channel);
      const items = [...ch.pins].flatMap((ts) => {
        const found = this.findMessage(ch, ts);
        if (!found) return [];
        const created = this.pinMeta.get(`${ch.id}/${ts}`) ?? 0;
        return [{ type: 'message', channel: ch.id, created, created_by: this.botUserId, message: this.messageJson(found.msg, false, found.parent) }];
      });
      return { items: items.reverse() };
    },

    'views.open': (a) => {
      const view = this.viewArg(a.view, 'modal');
      this.useTrigger(a.trigger_id); // an invalid view does not use the trigger up
      const id = this.newId('V');
      return { view: this.storeView({ id, hash: '', rootViewId: id, previousViewId: null, view }) };
    },

    'views.push': (a) => {
      const view = this.viewArg(a.view, 'modal');
      this.useTrigger(a.trigger_id);
      // The trigger comes from an interaction in the most recently opened modal stack.
      const top = [...this.viewsById.values()].filter((v) => !v.userId).pop();
      if (!top) fail('not_found');
      const stack = [...this.viewsById.values()].filter((v) => v.rootViewId === top.rootViewId);
      if (stack.length >= LIMITS.viewStack) fail('push_limit_reached');
      return { view: this.storeView({ id: this.newId('V'), hash: '', rootViewId: top.rootViewId, previousViewId: top.id, view }) };
    },

    'views.update': (a) => {
      const viewId = str(a.view_id);
      const externalId = str(a.external_id);
      const current = viewId ? this.viewsById.get(viewId) : [...this.viewsById.values()].find((v) => externalId && v.view.external_id === externalId);
      if (!current) fail('not_found');
      const hash = str(a.hash);
      // The hash guards against overwriting a view someone else updated meanwhile.
      if (hash && hash !== current.hash) fail('hash_conflict');
      const view = this.viewArg(a.view, current.view.type === 'home' ? 'home' : 'modal');
      return { view: this.storeView({ ...current, view }) };
    },

    'views.publish': (a) => {
      const userId = str(a.user_id) ?? '';
      if (!this.users.has(userId)) fail('user_not_found');
      const view = this.viewArg(a.view, 'home');
      const current = [...this.viewsById.values()].find((v) => v.userId === userId);
      const hash = str(a.hash);
      if (current && hash && hash !== current.hash) fail('hash_conflict');
      const id = current?.id ?? this.newId('V');
      return { view: this.storeView({ id, hash: '', rootViewId: id, previousViewId: null, userId, view }) };
    },

    'usergroups.list': (a) => {
      const withUsers = bool(a.include_users);
      return {
        usergroups: [...this.groups.values()].map((g) => ({
          id: g.id,
          team_id: this.teamId,
          is_usergroup: true,
          name: g.name,
          handle: g.handle,
          description: '',
          date_delete: 0,
          user_count: g.users.length,
          ...(withUsers ? { users: [...g.users] } : {}),
        })),
      };
    },

    'usergroups.users.list': (a) => {
      const g = this.groups.get(str(a.usergroup) ?? '');
      if (!g) fail('no_such_subteam');
      return { users: [...g.users] };
    },

    'users.info': (a) => ({ user: this.userJson(this.user(a.user)) }),

    'users.list': (a) => {
      const { page, nextCursor } = paginate([...this.users.values()], a, 100);
      return { members: page.map((u) => this.userJson(u)), response_metadata: { next_cursor: nextCursor } };
    },

    'users.profile.get': (a) => ({ profile: this.profileJson(this.user(a.user ?? this.botUserId)) }),
  };

  // --- method helpers --------------------------------------------------------------------------

  private setTopicOrPurpose(a: Args, field: 'topic' | 'purpose'): Result {
    const ch = this.lookup(a.channel);
    if (ch.archived) fail('is_archived');
    if (!ch.members.has(this.botUserId)) fail('not_in_channel');
    const value = str(a[field]) ?? '';
    if (value.length > LIMITS[field]) fail('too_long');
    ch[field] = value;
    return { channel: this.channelJson(ch) };
  }

  /** text/blocks of chat.* calls, validated the way Slack does. */
  private content(a: Args, required: boolean): { text?: string; blocks?: any[] } {
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

  private metadataArg(v: unknown): FakeMessage['metadata'] {
    if (v === undefined || v === '') return undefined;
    if (!isObject(v) || typeof v.event_type !== 'string' || !v.event_type || !isObject(v.event_payload)) fail('invalid_metadata_format');
    const m = v as Record<string, any>;
    return { event_type: m.event_type, event_payload: m.event_payload };
  }

  private viewArg(v: unknown, type: 'modal' | 'home'): Record<string, any> {
    const bad = (messages: string[]) => fail('invalid_arguments', { response_metadata: { messages } });
    if (!isObject(v)) return bad(['[ERROR] failed to match all allowed schemas [json-pointer:/view]']);
    if (v.type !== type) bad([`[ERROR] must be '${type}' [json-pointer:/view/type]`]);
    const errors: string[] = [];
    if (type === 'modal') {
      if (v.title === undefined) errors.push('[ERROR] missing required field: title [json-pointer:/view]');
      else checkText(errors, v.title, '/view/title', 24, true);
      if (v.submit !== undefined) checkText(errors, v.submit, '/view/submit', 24, true);
      if (v.close !== undefined) checkText(errors, v.close, '/view/close', 24, true);
      const hasInputs = Array.isArray(v.blocks) && v.blocks.some((b: any) => b?.type === 'input');
      if (hasInputs && v.submit === undefined) errors.push('[ERROR] must provide a submit property when using input blocks [json-pointer:/view]');
    }
    checkBlocks(errors, v.blocks, '/view/blocks', LIMITS.viewBlocks);
    checkLength(errors, v.private_metadata, '/view/private_metadata', 3000);
    checkLength(errors, v.callback_id, '/view/callback_id', 255);
    checkLength(errors, v.external_id, '/view/external_id', 255);
    if (errors.length) bad(errors);
    return v;
  }

  /** trigger_ids expire after 3 s and work once; tests mark expired ones with an 'expired' prefix. */
  private useTrigger(v: unknown): void {
    const trigger = str(v) ?? '';
    if (!trigger || trigger.startsWith('expired')) fail('expired_trigger_id');
    if (this.usedTriggers.has(trigger)) fail('exchanged_trigger_id');
    this.usedTriggers.add(trigger);
  }

  private storeView(v: FakeView): Record<string, any> {
    const stored: FakeView = { ...v, hash: `${Math.floor(Date.now() / 1000)}.${randomAlnum(8)}` };
    this.viewsById.set(stored.id, stored);
    return {
      id: stored.id,
      team_id: this.teamId,
      private_metadata: '',
      callback_id: '',
      external_id: '',
      clear_on_close: false,
      notify_on_close: false,
      ...stored.view,
      state: { values: {} },
      hash: stored.hash,
      root_view_id: stored.rootViewId,
      previous_view_id: stored.previousViewId,
      app_id: this.appId,
      bot_id: this.botId,
    };
  }

  // --- channel lookup ------------------------------------------------------------------------

  /** Slack hides private conversations from non-members entirely. */
  private visible(ch: FakeChannel): boolean {
    return !ch.isPrivate || ch.members.has(this.botUserId);
  }

  /** conversations.* take channel ids only. */
  private lookup(ref: unknown): FakeChannel {
    const ch = this.chans.get(str(ref) ?? '');
    if (!ch || !this.visible(ch)) return fail('channel_not_found');
    return ch;
  }

  /** Reading a channel's messages needs membership, even for public channels. */
  private lookupReadable(ref: unknown): FakeChannel {
    const ch = this.lookup(ref);
    if (!ch.members.has(this.botUserId)) fail('not_in_channel');
    return ch;
  }

  /** chat.* also take a channel name ('#name' or 'name') or a user id (→ that user's DM). */
  private lookupForPost(ref: unknown, userToDm = true): FakeChannel {
    const s = str(ref) ?? '';
    if (userToDm && this.users.has(s) && s !== this.botUserId) return this.findIm(s) ?? this.openIm(s);
    const ch = this.chans.get(s) ?? this.findByName(s.replace(/^#/, ''));
    if (!ch || !this.visible(ch)) return fail('channel_not_found');
    return ch;
  }

  private findByName(name: string): FakeChannel | undefined {
    for (const ch of this.chans.values()) if (kindOf(ch) !== 'im' && ch.name === name) return ch;
    return undefined;
  }

  private findIm(userId: string): FakeChannel | undefined {
    for (const ch of this.chans.values()) if (kindOf(ch) === 'im' && ch.members.has(userId) && ch.members.has(this.botUserId)) return ch;
    return undefined;
  }

  private findMpim(userIds: string[]): FakeChannel | undefined {
    const want = new Set([...userIds, this.botUserId]);
    for (const ch of this.chans.values()) {
      if (kindOf(ch) === 'mpim' && ch.members.size === want.size && [...want].every((u) => ch.members.has(u))) return ch;
    }
    return undefined;
  }

  private openIm(userId: string): FakeChannel {
    // IMs have no name in Slack; ours is the user id so channel(userId) finds it too.
    const ch = this.createChannel(this.newId('D'), userId, true, userId);
    ch.members.add(this.botUserId).add(userId);
    return ch;
  }

  private openMpim(userIds: string[]): FakeChannel {
    const names = [this.botUserId, ...userIds].map((u) => this.users.get(u)?.name ?? u);
    const ch = this.createChannel(this.newId('G'), `mpdm-${names.join('--')}-1`, true, this.botUserId);
    for (const u of [this.botUserId, ...userIds]) ch.members.add(u);
    return ch;
  }

  private otherMember(ch: FakeChannel): string | undefined {
    return [...ch.members].find((u) => u !== this.botUserId);
  }

  private user(ref: unknown): FakeUser {
    const u = this.users.get(str(ref) ?? '');
    if (!u) return fail('user_not_found');
    return u;
  }

  private tsArg(v: unknown, error: string): number | undefined {
    const s = str(v);
    if (s === undefined || s === '' || s === '0') return undefined;
    const k = tsKey(s);
    if (k === undefined) fail(error);
    return k;
  }

  // --- state -----------------------------------------------------------------------------------

  private seedBot(): void {
    this.users.set(this.botUserId, { id: this.botUserId, name: this.botName, realName: 'Warroom', phone: '', tz: 'America/New_York', isBot: true });
  }

  private newId(prefix: string): string {
    for (;;) {
      const id = prefix + randomAlnum(8);
      if (!this.chans.has(id) && !this.viewsById.has(id)) return id;
    }
  }

  /** Strictly increasing, like Slack's per-channel ts (ours are unique workspace-wide). */
  private nextTs(): string {
    const us = Math.max(Date.now() * 1000, this.lastTs + 100);
    this.lastTs = us;
    return `${Math.floor(us / 1_000_000)}.${String(us % 1_000_000).padStart(6, '0')}`;
  }

  private createChannel(id: string, name: string, isPrivate: boolean, creator: string): FakeChannel {
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

  private newMessage(user: string, text: string, blocks: any[] | undefined, metadata: FakeMessage['metadata']): FakeMessage {
    const msg: FakeMessage = { ts: this.nextTs(), user, text, replies: [] };
    if (blocks?.length) msg.blocks = blocks;
    if (metadata) msg.metadata = metadata;
    return msg;
  }

  /** Top level, or into a thread; a reply to a reply goes to the same thread (as in Slack). */
  private place(ch: FakeChannel, msg: FakeMessage, threadTs: string | undefined): void {
    if (!threadTs) {
      ch.messages.push(msg);
      return;
    }
    const found = this.findMessage(ch, threadTs);
    const parent = found?.parent ?? found?.msg;
    msg.thread_ts = parent?.ts ?? threadTs;
    if (parent) parent.replies.push(msg);
    else this.orphans.set(ch.id, [...(this.orphans.get(ch.id) ?? []), msg]);
  }

  private findMessage(ch: FakeChannel, ts: string): { msg: FakeMessage; parent?: FakeMessage } | undefined {
    for (const m of ch.messages) {
      if (m.ts === ts) return { msg: m };
      const r = m.replies.find((x) => x.ts === ts);
      if (r) return { msg: r, parent: m };
    }
    return undefined;
  }

  // --- JSON shapes ---------------------------------------------------------------------------

  private channelJson(ch: FakeChannel): Result {
    const kind = kindOf(ch);
    const common = { id: ch.id, created: ch.created, is_archived: ch.archived, is_org_shared: false, context_team_id: this.teamId };
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

  private openJson(ch: FakeChannel, full: boolean): Result {
    return full ? this.channelJson(ch) : { id: ch.id };
  }

  private messageJson(m: FakeMessage, withMetadata: boolean, parent?: FakeMessage): Result {
    const o: Result = { type: 'message', user: m.user, text: m.text, ts: m.ts, team: this.teamId };
    if (m.user === this.botUserId) Object.assign(o, { bot_id: this.botId, app_id: this.appId });
    if (m.blocks) o.blocks = m.blocks;
    if (m.edited) o.edited = { user: m.user, ts: m.ts };
    if (parent) Object.assign(o, { thread_ts: parent.ts, parent_user_id: parent.user });
    else if (m.thread_ts) o.thread_ts = m.thread_ts;
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

  private userJson(u: FakeUser): Result {
    return {
      id: u.id,
      team_id: this.teamId,
      name: u.name,
      real_name: u.realName,
      deleted: false,
      tz: u.tz,
      is_bot: u.isBot,
      is_app_user: false,
      profile: this.profileJson(u),
    };
  }

  private profileJson(u: FakeUser): Result {
    return { real_name: u.realName, real_name_normalized: u.realName, display_name: u.name, display_name_normalized: u.name, phone: u.phone, team: this.teamId };
  }

  // --- rendering helpers -------------------------------------------------------------------------

  private who(userId: string): string {
    return `@${this.users.get(userId)?.name ?? userId}`;
  }

  /** Slack markup → what a person sees (mentions resolved, entities unescaped). */
  private humanize(text: string): string {
    return text
      .replace(/<@([A-Z0-9]+)(?:\|[^>]*)?>/g, (_, id: string) => this.who(id))
      .replace(/<#([A-Z0-9]+)(?:\|([^>]*))?>/g, (_, id: string, label?: string) => `#${this.chans.get(id)?.name ?? label ?? id}`)
      .replace(/<!subteam\^([A-Z0-9]+)(?:\|[^>]*)?>/g, (_, id: string) => `@${this.groups.get(id)?.handle ?? id}`)
      .replace(/<!(here|channel|everyone)>/g, '@$1')
      .replace(/<([^|>]+)\|([^>]+)>/g, '$2 ($1)')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  }
}

function kindOf(ch: FakeChannel): ChannelKind {
  return ch.id.startsWith('D') ? 'im' : ch.id.startsWith('G') ? 'mpim' : 'channel';
}

function summarizeArgs(args: Args): string {
  const parts = ['channel', 'name', 'users', 'user', 'ts', 'thread_ts', 'text']
    .filter((k) => args[k] !== undefined)
    .map((k) => `${k}=${JSON.stringify(args[k]).slice(0, 60)}`);
  return parts.join(' ');
}
