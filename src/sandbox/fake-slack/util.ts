/** Argument parsing, pagination and errors shared by every method family of the fake Slack. */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const LIMITS = {
  channelName: 80,
  topic: 250,
  purpose: 250,
  /** chat.postMessage truncates longer text (warning `message_truncated`); chat.postEphemeral refuses it. */
  messageText: 40_000,
  /** chat.update: "The `text` field cannot exceed 4,000 characters" (msg_too_long). */
  updateText: 4_000,
  attachments: 100,
  messageBlocks: 50,
  viewBlocks: 100,
  /** Slack's docs have said 30, 100 and 1000 over time; PLATFORM.md says 100. */
  inviteUsers: 100,
  /** Users in a group DM besides the caller. */
  mpimUsers: 8,
  responseUrlUses: 5,
  viewStack: 3,
  /** A view's JSON: "greater than 250kb" → view_too_large. */
  viewBytes: 250 * 1024,
  triggerTtlMs: 3_000,
  responseUrlTtlMs: 30 * 60_000,
  /** conversations.history: "Maximum of 999"; conversations.list: "an integer under 1000". */
  pageMax: 999,
} as const;

/** Keys WebClient JSON-encodes into a form field; Slack decodes them back. */
export const JSON_FIELDS = new Set(['blocks', 'attachments', 'metadata', 'view']);

export type Args = Record<string, unknown>;
export type Result = Record<string, unknown>;

/** A Slack platform error: answered as HTTP 200 `{ ok: false, error, ...extra }`. */
export class SlackApiError extends Error {
  constructor(
    readonly code: string,
    readonly extra: Result = {},
  ) {
    super(code);
  }
}

export function fail(code: string, extra?: Result): never {
  throw new SlackApiError(code, extra);
}

/** Form values arrive as strings; JSON bodies may carry numbers and booleans. */
export function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

export function bool(v: unknown): boolean {
  return v === true || v === 1 || v === 'true' || v === '1';
}

export function int(v: unknown, fallback: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? Math.trunc(n) : fallback;
}

export function list(v: unknown): string[] {
  const s = Array.isArray(v) ? v.join(',') : (str(v) ?? '');
  return [...new Set(s.split(',').map((x) => x.trim()).filter(Boolean))];
}

export const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Slack ts → comparable integer (microseconds); undefined when malformed. */
export function tsKey(ts: string): number | undefined {
  const m = /^(\d+)(?:\.(\d{1,6}))?$/.exec(ts.trim());
  if (!m) return undefined;
  return Number(m[1]) * 1_000_000 + Number((m[2] ?? '').padEnd(6, '0'));
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
export function randomAlnum(n: number): string {
  return [...randomBytes(n)].map((b) => ALNUM[b % ALNUM.length]).join('');
}

export function paginate<T>(items: T[], a: Args, defaultLimit: number, max: number = LIMITS.pageMax): { page: T[]; nextCursor: string } {
  const asked = int(a.limit, defaultLimit);
  const limit = Math.min(asked > 0 ? asked : defaultLimit, max);
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

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Query string + body (urlencoded, multipart or JSON), the way Slack accepts them. */
export async function parseArgs(req: IncomingMessage, url: URL, raw: Buffer): Promise<Args> {
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

