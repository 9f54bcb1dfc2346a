/**
 * Pages through PagerDuty's Events API v2 with @pagerduty/pdjs's `event()`.
 *
 * pdjs 2.2.4 needs a wrapper (node_modules/@pagerduty/pdjs/build/src/common.js):
 * - it resolves on 4xx/5xx (`ok: false`), so the status is checked here;
 * - `requestTimeout` only arms an empty timer (which keeps the process alive for 30 s when a
 *   request fails), so it is set to 0 and an AbortSignal does the timing out;
 * - on 429 it waits a flat `retryTimeout` (20 s) and retries, up to 3 times, inside one call.
 *   That would hold a queue worker for a minute and hammer a rate-limited routing key. Our
 *   https.Agent sees each response before node-fetch does (see ObservingAgent); on a 429 it aborts
 *   the call's signal, so the pending fetch rejects at once, pdjs never starts its retry loop, and
 *   send() throws TransientError for the job queue's own backoff. Should pdjs see the 429 anyway
 *   (a future version listening earlier), its retry fetch starts with an aborted signal and fails
 *   without touching the network after `retryTimeout`, which is therefore kept small.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import { event } from '@pagerduty/pdjs';
import type { PageEvent, Pager } from '../../app/ports/pager.js';
import { PERMANENT, PermanentError, TransientError } from '../../domain/errors.js';

export interface PagerDutyPagerOptions {
  /** Full Events API URL; the EU region is https://events.eu.pagerduty.com/v2/enqueue. */
  eventsUrl?: string;
  /** PagerDuty service (policy name) → integration routing key. Secrets: never logged. */
  routingKeys: Record<string, string>;
  /** Extra PEM certificate to trust (a test fake, a TLS-intercepting proxy). */
  ca?: string;
  timeoutMs?: number;
}

const US_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';
const SUMMARY_MAX = 1024;
/** Only matters if the 429 abort below is ever bypassed: then pdjs re-sends at most 3 × this. */
export const PDJS_RETRY_TIMEOUT_MS = 100;

/** What one send() learned about its HTTP exchange(s), shared with the agent through ALS. */
interface Exchange {
  status: number | null;
  rateLimited: boolean;
  readonly controller: AbortController;
}

const exchanges = new AsyncLocalStorage<Exchange>();

const baseAddRequest = (Agent.prototype as unknown as { addRequest: (req: ClientRequest, options: unknown) => void }).addRequest;

/**
 * An https.Agent that reports response statuses to the send() whose async context made the
 * request. `addRequest` runs synchronously in ClientRequest's constructor, before node-fetch adds
 * its own 'response' listener, so ours runs first and can abort before pdjs sees a 429.
 */
class ObservingAgent extends Agent {
  addRequest(req: ClientRequest, options: unknown): void {
    const exchange = exchanges.getStore();
    if (exchange) {
      req.once('response', (res: IncomingMessage) => {
        exchange.status = res.statusCode ?? null;
        if (res.statusCode === 429) {
          exchange.rateLimited = true;
          exchange.controller.abort();
        }
      });
    }
    baseAddRequest.call(this, req, options);
  }
}

export class PagerDutyPager implements Pager {
  private readonly server: string;
  private readonly routingKeys: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly agent: ObservingAgent;

  constructor(opts: PagerDutyPagerOptions) {
    this.server = serverOf(opts.eventsUrl ?? US_EVENTS_URL);
    this.routingKeys = { ...opts.routingKeys };
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    // `ca` replaces Node's default trust store, so keep the public roots next to the extra one.
    this.agent = new ObservingAgent({ keepAlive: true, ...(opts.ca ? { ca: [...rootCertificates, opts.ca] } : {}) });
  }

  async send(ev: PageEvent): Promise<void> {
    const routingKey = Object.hasOwn(this.routingKeys, ev.service) ? this.routingKeys[ev.service] : undefined;
    if (!routingKey) {
      throw new PermanentError(PERMANENT.unknownPagerService, `no PagerDuty routing key is configured for service "${ev.service}"`);
    }
    const what = `PagerDuty ${ev.action} for service "${ev.service}" (dedup_key ${ev.dedupKey})`;
    const redact = (s: string) => s.split(routingKey).join('[routing key]');

    const exchange: Exchange = { status: null, rateLimited: false, controller: new AbortController() };
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let res: { status: number; data: unknown };
    try {
      res = await exchanges.run(exchange, () =>
        event({
          server: this.server,
          // pdjs's type demands a payload even for acknowledge/resolve, which PagerDuty doesn't need.
          data: buildBody(ev, routingKey) as unknown as Parameters<typeof event>[0]['data'],
          requestTimeout: 0,
          retryTimeout: PDJS_RETRY_TIMEOUT_MS,
          signal: AbortSignal.any([exchange.controller.signal, timeout]),
          // Passed through to node-fetch, which accepts an http(s).Agent.
          ...({ agent: this.agent } as object),
        }),
      );
    } catch (err) {
      if (exchange.rateLimited) throw new TransientError(`${what}: rate limited (429)`);
      if (timeout.aborted) throw new TransientError(`${what}: no answer within ${this.timeoutMs} ms`);
      const detail = redact(describe(err));
      // A status without a parseable body (e.g. a proxy's HTML 502) still classifies by status.
      if (exchange.status !== null && isPermanentStatus(exchange.status)) {
        throw new PermanentError(`pagerduty_${exchange.status}`, `${what}: HTTP ${exchange.status} (${detail})`);
      }
      throw new TransientError(`${what}: ${exchange.status !== null ? `HTTP ${exchange.status} (${detail})` : detail}`);
    }

    if (res.status >= 200 && res.status < 300) return;
    const reason = redact(pagerDutyReason(res.data));
    if (isPermanentStatus(res.status)) {
      throw new PermanentError(`pagerduty_${res.status}`, `${what} rejected: HTTP ${res.status}${reason ? `: ${reason}` : ''}`);
    }
    throw new TransientError(`${what}: HTTP ${res.status}${reason ? `: ${reason}` : ''}`);
  }

  /** Closes kept-alive connections (shutdown, tests). */
  close(): void {
    this.agent.destroy();
  }
}

/** 4xx except 408/429 will fail the same way again. */
function isPermanentStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/** pdjs takes a host[:port] and always builds https://{server}/v2/enqueue. */
function serverOf(eventsUrl: string): string {
  const url = new URL(eventsUrl);
  if (url.protocol !== 'https:' || url.pathname !== '/v2/enqueue' || url.search || url.username || url.password) {
    throw new Error(`PagerDuty eventsUrl must look like https://host[:port]/v2/enqueue (pdjs always uses https and that path), got ${url.origin}${url.pathname}`);
  }
  return url.host;
}

function buildBody(ev: PageEvent, routingKey: string): Record<string, unknown> {
  const base = { routing_key: routingKey, event_action: ev.action, dedup_key: ev.dedupKey };
  // PagerDuty ignores the payload of acknowledge/resolve; sending it would only leak detail.
  if (ev.action !== 'trigger') return base;
  return {
    ...base,
    payload: {
      summary: truncate(ev.summary, SUMMARY_MAX),
      source: ev.source,
      severity: ev.severity,
      ...(ev.component !== undefined ? { component: ev.component } : {}),
      ...(ev.customDetails !== undefined ? { custom_details: ev.customDetails } : {}),
    },
    ...(ev.links?.length ? { links: ev.links } : {}),
  };
}

/** Cuts to `max` UTF-16 units including the '…', never splitting a surrogate pair. */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  let cut = max - 1;
  const last = s.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut -= 1;
  return `${s.slice(0, cut)}…`;
}

/** PagerDuty answers `{status, message, errors: [...]}`. */
function pagerDutyReason(data: unknown): string {
  if (!data || typeof data !== 'object') return '';
  const d = data as { message?: unknown; errors?: unknown };
  const parts: string[] = [];
  if (typeof d.message === 'string') parts.push(d.message);
  if (Array.isArray(d.errors) && d.errors.length) parts.push(d.errors.map(String).join('; '));
  return parts.join(': ');
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && !err.message.includes(code) ? `${err.message} [${code}]` : err.message;
}
