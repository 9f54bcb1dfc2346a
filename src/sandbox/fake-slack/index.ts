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
 *
 * Checked method by method against docs.slack.dev (arguments, limits, error codes). Where the docs
 * say nothing the fake makes a choice and says so: `too_many_users` beyond 100 invitees, `used_url`
 * / `expired_url` (HTTP 404) for a spent or stale response_url, replies to a missing thread kept
 * as orphans, the parent always first in conversations.replies whatever oldest/latest say.
 *
 * This file holds the server, fault injection and the test-facing helpers; the methods live in
 * one module per family (conversations, chat, pins, views, users) over a shared `Workspace`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { LocalServer, pollUntil, type Probe } from '../listen.js';
import { chatMethods } from './chat.js';
import { conversationsMethods } from './conversations.js';
import { pinsMethods } from './pins.js';
import { renderWorkspace } from './render.js';
import type { FakeCall, FakeChannel, FakeEphemeral, FakeFault, FakeMessage, FakeSlackOptions, FakeView } from './types.js';
import { usersMethods } from './users.js';
import { LIMITS, parseArgs, readBody, sleep, SlackApiError, str, fail, type Args, type Result } from './util.js';
import { viewsMethods } from './views.js';
import { Workspace, type Handler } from './workspace.js';

export type { FakeCall, FakeChannel, FakeEphemeral, FakeFault, FakeMessage, FakeSlackOptions, FakeUser, FakeUserGroup, FakeView } from './types.js';

const METHODS: Record<string, Handler> = { ...usersMethods, ...conversationsMethods, ...chatMethods, ...pinsMethods, ...viewsMethods };

function summarizeArgs(args: Args): string {
  const parts = ['channel', 'name', 'users', 'user', 'ts', 'thread_ts', 'text']
    .filter((k) => args[k] !== undefined)
    .map((k) => `${k}=${JSON.stringify(args[k]).slice(0, 60)}`);
  return parts.join(' ');
}

export class FakeSlack {
  readonly botToken: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly teamId: string;
  readonly botName = 'warroom';
  readonly appId = 'AFAKEAPP1';

  private readonly http = new LocalServer('FakeSlack', () =>
    createServer((req, res) => {
      this.onRequest(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      });
    }),
  );

  /** Workspace state (replaced by reset()). */
  private ws: Workspace;
  private callLog: FakeCall[] = [];

  // Behaviour knobs (also cleared by reset()).
  private faults = new Map<string, Array<{ fault: FakeFault; when?: (args: Args) => boolean }>>();
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
    this.ws = this.newWorkspace();
  }

  private newWorkspace(): Workspace {
    return new Workspace({ botUserId: this.botUserId, botId: this.botId, teamId: this.teamId, botName: this.botName, appId: this.appId, baseUrl: () => this.baseUrl });
  }

  // --- lifecycle -----------------------------------------------------------------------------

  start(): Promise<void> {
    return this.http.start();
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  get baseUrl(): string {
    return this.http.url;
  }

  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  /**
   * A response_url as Slack sends with a command or an action: it takes 5 posts within 30 minutes
   * of being issued (the first call for an id issues it; `ageMs` backdates that).
   */
  responseUrl(id: string, opts: { ageMs?: number } = {}): string {
    if (!this.ws.issuedResponseUrls.has(id) || opts.ageMs !== undefined) this.ws.issuedResponseUrls.set(id, Date.now() - (opts.ageMs ?? 0));
    return `${this.baseUrl}/response/${encodeURIComponent(id)}`;
  }

  /** A trigger_id as Slack sends with an interaction: usable once, within 3 s (`ageMs` backdates it). */
  issueTrigger(opts: { ageMs?: number } = {}): string {
    const id = `${Date.now()}.${Math.floor(Math.random() * 1e10)}.${Math.random().toString(16).slice(2, 18)}`;
    this.ws.issuedTriggers.set(id, Date.now() - (opts.ageMs ?? 0));
    return id;
  }

  // --- seeding -------------------------------------------------------------------------------

  addUser(u: { id: string; name: string; realName?: string; phone?: string; tz?: string }): void {
    this.ws.users.set(u.id, {
      id: u.id,
      name: u.name,
      realName: u.realName ?? u.name,
      phone: u.phone ?? '',
      tz: u.tz ?? 'America/New_York',
      isBot: false,
    });
  }

  addUserGroup(g: { id: string; handle: string; name?: string; users: string[] }): void {
    this.ws.groups.set(g.id, { id: g.id, handle: g.handle, name: g.name ?? g.handle, users: [...g.users] });
  }

  /** Seeds a channel as it exists before the test; the bot is a member only if listed. */
  addChannel(c: { name: string; isPrivate?: boolean; members?: string[]; creator?: string; id?: string }): string {
    const ws = this.ws;
    if (ws.findByName(c.name)) throw new Error(`FakeSlack.addChannel: name taken: ${c.name}`);
    if (c.id && ws.chans.has(c.id)) throw new Error(`FakeSlack.addChannel: id taken: ${c.id}`);
    const ch = ws.createChannel(c.id ?? ws.newId('C'), c.name, c.isPrivate ?? false, c.creator ?? c.members?.[0] ?? 'USLACKBOT');
    for (const m of c.members ?? []) ch.members.add(m);
    return ch.id;
  }

  /** Seeds a message from anyone (e.g. a human replying in a thread). */
  addMessage(channel: string, m: { user: string; text: string; blocks?: any[]; thread_ts?: string }): FakeMessage {
    const ch = this.channel(channel);
    if (!ch) throw new Error(`FakeSlack.addMessage: no channel ${channel}`);
    const msg = this.ws.newMessage(m.user, m.text, m.blocks, undefined);
    this.ws.place(ch, msg, m.thread_ts);
    return msg;
  }

  // --- fault injection -------------------------------------------------------------------------

  /**
   * The next `times` calls of `method` ('*' = any method) fail this way: before any processing,
   * or (`lostResponse`) after the call took effect. With `when`, only calls whose arguments it
   * accepts count (e.g. only posts into a thread: `(a) => a.thread_ts !== undefined`).
   */
  failNext(method: string, fault: FakeFault, times = 1, when?: (args: Record<string, unknown>) => boolean): void {
    const queue = this.faults.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(when ? { fault, when } : { fault });
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

  revokeToken(): void {
    this.revoked = true;
  }

  /** The token works again (a human re-installed the app). */
  restoreToken(): void {
    this.revoked = false;
  }

  // --- inspection ----------------------------------------------------------------------------

  calls(method?: string): FakeCall[] {
    return this.callLog.filter((c) => !method || c.method === method).map((c) => ({ ...c }));
  }

  responses(): Array<{ id: string; body: any }> {
    return [...this.ws.responseLog];
  }

  channel(idOrName: string): FakeChannel | undefined {
    return this.ws.chans.get(idOrName) ?? this.ws.findByName(idOrName.replace(/^#/, ''));
  }

  channels(): FakeChannel[] {
    return [...this.ws.chans.values()];
  }

  /** What the user received from the bot in their DM, oldest first. */
  dms(userId: string): FakeMessage[] {
    return this.ws.findIm(userId)?.messages ?? [];
  }

  ephemerals(userId?: string): FakeEphemeral[] {
    return this.ws.ephemeralLog.filter((e) => !userId || e.user === userId);
  }

  /** Current state of every modal and Home tab opened, pushed, updated or published. */
  views(): FakeView[] {
    return [...this.ws.viewsById.values()];
  }

  waitFor<T>(probe: Probe<T>, timeoutMs = 5000, what = 'condition'): Promise<T> {
    return pollUntil('FakeSlack', probe, timeoutMs, what, () => this.callLog.slice(-10).map((c) => `  ${c.method} → ${c.status} ${c.ok ? 'ok' : (c.error ?? 'failed')} ${summarizeArgs(c.args)}`));
  }

  /** What each Slack channel would show a person, as plain text (used by the demo). */
  render(): string {
    return renderWorkspace(this.ws);
  }

  /** Back to a fresh workspace (only the bot user), all knobs off; the server keeps running. */
  reset(): void {
    this.ws = this.newWorkspace();
    this.callLog = [];
    this.faults.clear();
    this.limits.clear();
    this.latency.clear();
    this.defaultLatency = this.opts.latencyMs ?? 0;
    this.revoked = false;
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

    // Faults come before anything else and leave the state untouched, except a lost response.
    const fault = this.takeFault(method, args);
    if (fault && !('lostResponse' in fault)) {
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
      const handler = METHODS[method];
      if (!handler) fail('unknown_method');
      if (parseError) throw parseError;
      if (!token) fail('not_authed');
      if (this.revoked || token !== this.botToken) fail('invalid_auth');
      body = { ok: true, ...handler(this.ws, args) };
    } catch (err) {
      if (!(err instanceof SlackApiError)) throw err;
      body = { ok: false, error: err.code, ...err.extra };
    }
    if (fault) {
      // Done at Slack, answer lost on the way: the connection is reset, or left hanging.
      this.callLog.push({ method, args, at, status: 0, ok: body.ok === true, ...(typeof body.error === 'string' ? { error: body.error } : {}), lost: true });
      if (!fault.hold) res.socket?.destroy();
      return;
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

  private takeFault(method: string, args: Args): FakeFault | undefined {
    for (const key of [method, '*']) {
      const queue = this.faults.get(key) ?? [];
      const i = queue.findIndex((f) => !f.when || f.when(args));
      if (i >= 0) return queue.splice(i, 1)[0]!.fault;
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
    const ws = this.ws;
    const uses = (ws.responseUses.get(id) ?? 0) + 1;
    ws.responseUses.set(id, uses);
    const send = (status: number, body: Result): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
    };
    if (uses > LIMITS.responseUrlUses) return send(404, { ok: false, error: 'used_url' });
    const issued = ws.issuedResponseUrls.get(id);
    if (issued !== undefined && Date.now() - issued > LIMITS.responseUrlTtlMs) return send(404, { ok: false, error: 'expired_url' });
    const text = raw.toString('utf8');
    let body: unknown;
    try {
      body = (req.headers['content-type'] ?? '').includes('urlencoded') ? JSON.parse(new URLSearchParams(text).get('payload') ?? '') : JSON.parse(text);
    } catch {
      return send(400, { ok: false, error: 'invalid_payload' });
    }
    ws.responseLog.push({ id, body });
    send(200, { ok: true });
  }
}

