/**
 * A fake Twilio Messages API over real HTTP, for tests and the demo.
 *
 * TwilioSmsSender talks to it through `apiUrl: fake.apiUrl`. Errors, status codes and the message
 * resource follow Twilio's documentation (`{code, message, more_info, status}`). Left out:
 * MessagingServiceSid, media, status callbacks, delivery (every message stays 'queued'), smart
 * encoding, and rate limits unless injected with `failNext`.
 */
import { LocalServer, pollUntil, type Probe } from './listen.js';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface FakeTwilioOptions {
  accountSid: string;
  authToken: string;
}

export interface FakeSms {
  sid: string;
  to: string;
  from: string;
  body: string;
  at: Date;
  /** Segments a handset would receive: GSM-7 160/153, else UCS-2 70/67. */
  segments: number;
  encoding: 'GSM-7' | 'UCS-2';
}

/** Every request that reached the API (accepted or not), for "was it retried?" assertions. */
export interface FakeSmsRequest {
  to: string | null;
  status: number;
  code: number | null;
  at: Date;
}

export type FakeTwilioFault = { code: 20429; status: 429; /** Retry-After seconds, if any. */ retryAfter?: number } | { status: 500 | 503 };

const ERROR_MESSAGES: Record<number, string> = {
  20003: 'Authenticate',
  20404: 'The requested resource was not found',
  20429: 'Too Many Requests',
  20500: 'An internal server error has occurred',
  20503: 'Service Unavailable',
  21211: "Invalid 'To' Phone Number",
  21602: 'Message body is required.',
  21603: "A 'From' phone number is required.",
  21604: "A 'To' phone number is required.",
  21610: 'Attempt to send to unsubscribed recipient',
  21617: 'The concatenated message body exceeds the 1600 character limit.',
};

const E164 = /^\+[1-9]\d{1,14}$/;

export class FakeTwilio {
  private sent: FakeSms[] = [];
  private log: FakeSmsRequest[] = [];
  private failing = new Map<string, 21211 | 21610>();
  private faults: FakeTwilioFault[] = [];

  constructor(private readonly opts: FakeTwilioOptions) {}

  private readonly http = new LocalServer('FakeTwilio', () => createServer((req, res) => this.handle(req, res)));

  start(): Promise<void> {
    return this.http.start();
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  get apiUrl(): string {
    return this.http.url;
  }

  messages(): FakeSms[] {
    return [...this.sent];
  }

  requests(): FakeSmsRequest[] {
    return [...this.log];
  }

  /** Every send to this number fails with a 400 and `code`, like Twilio for a bad or opted-out number. */
  failNumber(e164: string, code: 21211 | 21610): void {
    this.failing.set(e164, code);
  }

  /** Answers the next `times` authenticated requests with this fault. */
  failNext(kind: FakeTwilioFault, times = 1): void {
    for (let i = 0; i < times; i++) this.faults.push(kind);
  }

  reset(): void {
    this.sent = [];
    this.log = [];
    this.failing.clear();
    this.faults = [];
  }

  waitFor<T>(probe: Probe<T>, timeoutMs = 5000, what = 'condition'): Promise<T> {
    return pollUntil('FakeTwilio', probe, timeoutMs, what, () => this.log.slice(-10).map((r) => `  ${r.status} ${r.code ?? ''} to ${r.to ?? '?'}`));
  }

  // -------------------------------------------------------------------------------------------

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const go = () => {
        // The latency is the way to Twilio: a sender that died meanwhile (kill -9) never got its
        // request accepted. A message Twilio accepted just before the sender died is the one
        // window for a duplicate (docs/escalation.md), and is not what the latency models.
        if (req.socket.destroyed) return;
        this.answer(req, Buffer.concat(chunks).toString('utf8'), res);
      };
      if (this.latencyMs > 0) setTimeout(go, this.latencyMs);
      else go();
    });
  }

  private latencyMs = 0;

  /** Delays every request on its way in (a slow carrier), so a test can kill a process mid-step. */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  private answer(req: IncomingMessage, raw: string, res: ServerResponse): void {
    const form = new URLSearchParams(raw);
    const to = form.get('To');
    const fail = (status: number, code: number, message = ERROR_MESSAGES[code] ?? 'Error', headers: Record<string, string> = {}) => {
      this.log.push({ to, status, code, at: new Date() });
      sendJson(res, status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, headers);
    };

    if (!this.authorized(req.headers.authorization)) return fail(401, 20003);
    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec((req.url ?? '').split('?')[0] ?? '');
    if (!match || decodeURIComponent(match[1] ?? '') !== this.opts.accountSid) {
      return fail(404, 20404, `The requested resource ${req.url ?? ''} was not found`);
    }
    if (req.method !== 'POST') return fail(405, 20004, 'Method not allowed');

    const fault = this.faults.shift();
    if (fault) {
      if (fault.status === 429) {
        return fail(429, 20429, undefined, fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {});
      }
      return fail(fault.status, fault.status === 500 ? 20500 : 20503);
    }

    const from = form.get('From');
    const body = form.get('Body');
    if (!to) return fail(400, 21604);
    if (!from) return fail(400, 21603);
    if (!body) return fail(400, 21602);
    if (!E164.test(to)) return fail(400, 21211, `Invalid 'To' Phone Number: ${to}`);
    if (body.length > 1600) return fail(400, 21617);
    const numberFault = this.failing.get(to);
    if (numberFault) return fail(400, numberFault, numberFault === 21211 ? `Invalid 'To' Phone Number: ${to}` : undefined);

    const { segments, encoding } = countSegments(body);
    const at = new Date();
    const sms: FakeSms = { sid: `SM${randomBytes(16).toString('hex')}`, to, from, body, at, segments, encoding };
    this.sent.push(sms);
    this.log.push({ to, status: 201, code: null, at });
    sendJson(res, 201, this.resource(sms));
  }

  private authorized(header: string | undefined): boolean {
    if (!header?.startsWith('Basic ')) return false;
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon > 0 && decoded.slice(0, colon) === this.opts.accountSid && decoded.slice(colon + 1) === this.opts.authToken;
  }

  /** Twilio's Message resource, as the create call returns it. */
  private resource(m: FakeSms): Record<string, unknown> {
    const date = m.at.toUTCString().replace('GMT', '+0000');
    const uri = `/2010-04-01/Accounts/${this.opts.accountSid}/Messages/${m.sid}`;
    return {
      account_sid: this.opts.accountSid,
      api_version: '2010-04-01',
      body: m.body,
      date_created: date,
      date_sent: null,
      date_updated: date,
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: m.from,
      messaging_service_sid: null,
      num_media: '0',
      num_segments: String(m.segments),
      price: null,
      price_unit: 'USD',
      sid: m.sid,
      status: 'queued',
      subresource_uris: { media: `${uri}/Media.json` },
      to: m.to,
      uri: `${uri}.json`,
    };
  }
}

const GSM7_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
/** Sent as ESC + char: two septets, and a segment boundary may not split them. */
const GSM7_EXTENSION = new Set('\f^{}\\[~]|€');

/** Segment count as a handset sees it; multi-part messages lose room to the UDH. */
export function countSegments(body: string): { segments: number; encoding: 'GSM-7' | 'UCS-2' } {
  const chars = [...body];
  const gsm = chars.every((c) => GSM7_BASIC.has(c) || GSM7_EXTENSION.has(c));
  // Cost of each character in septets (GSM-7) or UTF-16 code units (UCS-2).
  const costs = gsm ? chars.map((c) => (GSM7_EXTENSION.has(c) ? 2 : 1)) : chars.map((c) => c.length);
  const [single, part] = gsm ? [160, 153] : [70, 67];
  const total = costs.reduce((a, b) => a + b, 0);
  if (total <= single) return { segments: 1, encoding: gsm ? 'GSM-7' : 'UCS-2' };
  let segments = 1;
  let used = 0;
  for (const cost of costs) {
    if (used + cost > part) {
      segments += 1;
      used = 0;
    }
    used += cost;
  }
  return { segments, encoding: gsm ? 'GSM-7' : 'UCS-2' };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
