/**
 * Sends SMS through Twilio's Messages REST API with Node's fetch (the official SDK is ~29 MB and
 * has no base-URL option). No retries here: the job queue owns them, guided by
 * TransientError / PermanentError.
 */
import type { SmsSender } from '../../app/ports/sms.js';
import { PermanentError, TransientError } from '../../domain/errors.js';

export interface TwilioSmsSenderOptions {
  /** Base URL, for a fake or a proxy. */
  apiUrl?: string;
  accountSid: string;
  /** Secret: never logged nor put in an error. */
  authToken: string;
  /** E.164 sender number. */
  from: string;
  timeoutMs?: number;
}

/** Twilio's error JSON: `{code, message, more_info, status}`. */
interface TwilioError {
  code?: unknown;
  message?: unknown;
}

export class TwilioSmsSender implements SmsSender {
  private readonly url: string;
  private readonly authorization: string;
  private readonly from: string;
  private readonly timeoutMs: number;
  private readonly redact: (s: string) => string;

  constructor(opts: TwilioSmsSenderOptions) {
    const base = (opts.apiUrl ?? 'https://api.twilio.com').replace(/\/+$/, '');
    this.url = `${base}/2010-04-01/Accounts/${encodeURIComponent(opts.accountSid)}/Messages.json`;
    this.authorization = `Basic ${Buffer.from(`${opts.accountSid}:${opts.authToken}`).toString('base64')}`;
    this.from = opts.from;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    const { authToken } = opts;
    const encoded = this.authorization.slice('Basic '.length);
    // Belt and braces: nothing we build contains the token, but an upstream message might echo it.
    this.redact = (s) => (authToken ? s.split(authToken).join('[redacted]') : s).split(encoded).join('[redacted]');
  }

  async send(to: string, body: string): Promise<{ id: string }> {
    const what = `SMS to ${maskNumber(to)}`;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { authorization: this.authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ To: to, From: this.from, Body: body }),
        signal: timeout,
      });
      text = await res.text();
    } catch (err) {
      if (timeout.aborted) throw new TransientError(`${what}: Twilio did not answer within ${this.timeoutMs} ms`);
      throw new TransientError(this.redact(`${what}: ${describe(err)}`));
    }

    if (res.status >= 200 && res.status < 300) {
      const sid = (parseJson(text) as { sid?: unknown } | null)?.sid;
      if (typeof sid !== 'string') throw new TransientError(`${what}: Twilio answered ${res.status} without a message sid`);
      return { id: sid };
    }

    const error = (parseJson(text) ?? {}) as TwilioError;
    const code = typeof error.code === 'number' || typeof error.code === 'string' ? String(error.code) : null;
    // Twilio echoes the number in some messages (21211); keep it masked like `what`.
    const message = this.redact(typeof error.message === 'string' ? error.message : text.slice(0, 200)).split(to).join(maskNumber(to));
    const detail = `${what}: Twilio ${code ?? 'error'} (HTTP ${res.status}): ${message}`;
    if (res.status === 429 || code === '20429') throw new TransientError(detail, retryAfterMs(res.headers.get('retry-after')));
    if (res.status >= 500 || res.status === 408) throw new TransientError(detail);
    throw new PermanentError(code ?? `http_${res.status}`, detail);
  }
}

/** Retry-After is delta-seconds or an HTTP date. */
function retryAfterMs(header: string | null): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

/** Phone numbers are personal data: keep enough to tell recipients apart in a log. */
function maskNumber(e164: string): string {
  return e164.length > 4 ? `…${e164.slice(-4)}` : e164;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** fetch's own message is just "fetch failed"; the reason is in `cause`. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? (err.cause as Error & { code?: unknown }) : null;
  const code = typeof cause?.code === 'string' ? ` [${cause.code}]` : '';
  return cause ? `${err.message}: ${cause.message}${code}` : err.message;
}
