/**
 * A fake PagerDuty Events API v2 over real HTTPS, for tests and the demo.
 *
 * HTTPS because pdjs always builds `https://{server}/v2/enqueue`. The key and certificate in
 * ./tls/ are TEST-ONLY material, self-signed for 127.0.0.1 and localhost (valid 100 years,
 * generated once with the openssl CLI); they protect nothing. Clients trust them through
 * `caPem` (PagerDutyPager's `ca`), never through NODE_TLS_REJECT_UNAUTHORIZED.
 *
 * Validation and answers follow PagerDuty's documentation: 202 `{status, message, dedup_key}`,
 * 400 `{status: 'invalid event', message, errors}`. Dedup is modelled per dedup_key (PagerDuty
 * scopes it per service; tests use distinct keys). Left out: rate limits unless `failNext(429)`,
 * change events, images validation.
 */
import { LocalServer, pollUntil, readResponse, type Probe } from './listen.js';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';

export type FakePagerDutyFault = 400 | 429 | 500 | 502 | 503;

export interface RecordedPagerDutyEvent {
  /** Parsed JSON body, or null when it was not JSON. */
  body: Record<string, any> | null;
  receivedAt: Date;
  /** HTTP status the fake answered. */
  status: number;
}

export interface PagerDutyEventFilter {
  action?: string;
  dedupKey?: string;
  status?: number;
}

export interface FakeAlert {
  status: 'triggered' | 'acknowledged' | 'resolved';
  /** Trigger events accepted for this dedup_key (repeats included). */
  triggers: number;
  /** The PagerDuty incident the alert opened: its id (P…), number and title (the summary). */
  incidentId: string;
  number: number;
  title: string;
}

/** Who a webhook names: the agent (who did it) and, for escalated/reassigned, the new assignees. */
export interface WebhookPeople {
  agent?: string;
  assignees?: string[];
  escalationPolicy?: string;
  /** An incident PagerDuty opened itself (not from warroom's page): its title, service and priority. */
  title?: string;
  service?: string;
  priority?: string;
  urgency?: 'high' | 'low';
}

export interface SentWebhook {
  status: number;
  body: any;
  webhookId: string;
}

const tlsFile = (name: string) => readFileSync(new URL(`./tls/${name}`, import.meta.url), 'utf8');
const SEVERITIES = ['critical', 'error', 'warning', 'info'];
const ACTIONS = ['trigger', 'acknowledge', 'resolve'];

export class FakePagerDuty {
  private readonly key = tlsFile('fake-pagerduty.key');
  private readonly cert = tlsFile('fake-pagerduty.crt');
  private log: RecordedPagerDutyEvent[] = [];
  private alertsByKey = new Map<string, FakeAlert>();
  private faults: Array<{ status: FakePagerDutyFault; match?: (body: Record<string, any> | null) => boolean }> = [];
  private latencyMs = 0;
  private incidentNumbers = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  private readonly https = new LocalServer('FakePagerDuty', () => createServer({ key: this.key, cert: this.cert }, (req, res) => this.handle(req, res)), 'https');

  start(): Promise<void> {
    return this.https.start();
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.https.stop();
  }

  get eventsUrl(): string {
    return `${this.https.url}/v2/enqueue`;
  }

  /** The self-signed certificate, to trust as a CA. */
  get caPem(): string {
    return this.cert;
  }

  events(filter?: PagerDutyEventFilter | ((e: RecordedPagerDutyEvent) => boolean)): RecordedPagerDutyEvent[] {
    if (!filter) return [...this.log];
    if (typeof filter === 'function') return this.log.filter(filter);
    return this.log.filter(
      (e) =>
        (filter.action === undefined || e.body?.event_action === filter.action) &&
        (filter.dedupKey === undefined || e.body?.dedup_key === filter.dedupKey) &&
        (filter.status === undefined || e.status === filter.status),
    );
  }

  /** Alerts by dedup_key, as PagerDuty would have them. */
  alerts(): Map<string, FakeAlert> {
    return new Map([...this.alertsByKey].map(([k, a]) => [k, { ...a }]));
  }

  /**
   * Answers the next `times` requests with `status` before looking at them; with `match`, only
   * requests whose body matches (other tests' events in the same process are left alone).
   */
  failNext(status: FakePagerDutyFault, times = 1, match?: (body: Record<string, any> | null) => boolean): void {
    for (let i = 0; i < times; i++) this.faults.push(match ? { status, match } : { status });
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  reset(): void {
    this.incidentNumbers = 0;
    this.log = [];
    this.alertsByKey.clear();
    this.faults = [];
    this.latencyMs = 0;
  }

  // --- Webhooks (v3): PagerDuty telling warroom what happened there ----------------------------

  /**
   * The webhook (v3) body PagerDuty sends for `eventType` about the incident of `dedupKey` (its
   * `incident_key`): the alert this fake holds, or a made-up incident for a key it never saw.
   */
  webhookEvent(dedupKey: string, eventType: string, people: WebhookPeople = {}): Record<string, any> {
    let alert = this.alertsByKey.get(dedupKey);
    if (!alert) {
      alert = this.newAlert('triggered', people.title ?? dedupKey);
      this.alertsByKey.set(dedupKey, alert);
    }
    const userRef = (name: string) => {
      const id = `PU${createHmac('sha256', 'users').update(name).digest('hex').slice(0, 5).toUpperCase()}`;
      return { html_url: `https://acme.pagerduty.com/users/${id}`, id, self: `https://api.pagerduty.com/users/${id}`, summary: name, type: 'user_reference' };
    };
    const status = eventType === 'incident.acknowledged' ? 'acknowledged' : eventType === 'incident.resolved' ? 'resolved' : alert.status;
    return {
      event: {
        id: randomUUID(),
        event_type: eventType,
        resource_type: 'incident',
        occurred_at: new Date().toISOString(),
        agent: people.agent ? userRef(people.agent) : null,
        client: null,
        data: {
          id: alert.incidentId,
          type: 'incident',
          self: `https://api.pagerduty.com/incidents/${alert.incidentId}`,
          html_url: `https://acme.pagerduty.com/incidents/${alert.incidentId}`,
          number: alert.number,
          status,
          incident_key: dedupKey,
          created_at: new Date().toISOString(),
          title: alert.title,
          service: { html_url: 'https://acme.pagerduty.com/services/PSVC001', id: 'PSVC001', self: 'https://api.pagerduty.com/services/PSVC001', summary: people.service ?? 'Trading Platform', type: 'service_reference' },
          assignees: (people.assignees ?? []).map(userRef),
          escalation_policy: { html_url: 'https://acme.pagerduty.com/escalation_policies/PEP0001', id: 'PEP0001', self: 'https://api.pagerduty.com/escalation_policies/PEP0001', summary: people.escalationPolicy ?? 'Default', type: 'escalation_policy_reference' },
          teams: [],
          priority: people.priority ? { id: 'PPRI001', type: 'priority_reference', summary: people.priority, self: 'https://api.pagerduty.com/priorities/PPRI001', html_url: null } : null,
          urgency: people.urgency ?? 'high',
          conference_bridge: null,
          resolve_reason: null,
        },
      },
    };
  }

  /**
   * Someone acknowledges (or resolves) the alert in PagerDuty's app: the alert changes state here
   * and the returned body is the webhook PagerDuty sends about it (send it with `sendWebhook`).
   */
  actInApp(dedupKey: string, action: 'acknowledge' | 'resolve', agent: string): Record<string, any> {
    const alert = this.alertsByKey.get(dedupKey);
    if (!alert) throw new Error(`FakePagerDuty holds no alert ${dedupKey}`);
    alert.status = action === 'acknowledge' ? 'acknowledged' : 'resolved';
    return this.webhookEvent(dedupKey, action === 'acknowledge' ? 'incident.acknowledged' : 'incident.resolved', { agent });
  }

  /**
   * Delivers a webhook to `url` as PagerDuty does: JSON body, `X-Webhook-Id` (reuse `webhookId` to
   * redeliver), and `X-PagerDuty-Signature` with one `v1=` signature per secret (two while a secret
   * rotates). `signature` overrides the header (`null`: none).
   */
  async sendWebhook(url: string, secrets: string | string[], body: unknown, opts: { webhookId?: string; signature?: string | null; raw?: string } = {}): Promise<SentWebhook> {
    const raw = opts.raw ?? JSON.stringify(body);
    const webhookId = opts.webhookId ?? randomUUID();
    const signature = opts.signature !== undefined ? opts.signature : signWebhook(raw, secrets);
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'PagerDuty-Webhook/V3.0',
        'x-webhook-id': webhookId,
        'x-webhook-subscription': 'PSUB001',
        ...(signature !== null ? { 'x-pagerduty-signature': signature } : {}),
      },
      body: raw,
    });
    return { ...(await readResponse(res)), webhookId };
  }

  private newAlert(status: FakeAlert['status'], title: string): FakeAlert {
    this.incidentNumbers += 1;
    return { status, triggers: 0, incidentId: `Q${randomBytes(4).toString('hex').toUpperCase()}`, number: this.incidentNumbers, title };
  }

  waitFor<T>(probe: Probe<T>, timeoutMs = 5000, what = 'condition'): Promise<T> {
    return pollUntil('FakePagerDuty', probe, timeoutMs, what, () => this.log.slice(-10).map((e) => `  ${e.status} ${e.body?.event_action ?? '?'} ${e.body?.dedup_key ?? '-'} ${e.body?.payload?.summary ?? ''}`.trimEnd()));
  }

  // -------------------------------------------------------------------------------------------

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const respond = () => {
        if (res.destroyed) return; // the client gave up (timeout test)
        this.answer(req, raw, res);
      };
      if (this.latencyMs <= 0) return respond();
      const t = setTimeout(() => {
        this.timers.delete(t);
        respond();
      }, this.latencyMs);
      this.timers.add(t);
    });
  }

  private answer(req: IncomingMessage, raw: string, res: ServerResponse): void {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/v2/enqueue') return send(res, 404, { status: 'not found', message: 'Not Found' });
    if (req.method !== 'POST') return send(res, 405, { status: 'method not allowed', message: 'Method Not Allowed' });

    let body: Record<string, any> | null = null;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, any>;
    } catch {
      body = null;
    }
    const record = (status: number) => this.log.push({ body, receivedAt: new Date(), status });

    const i = this.faults.findIndex((f) => !f.match || f.match(body));
    if (i >= 0) {
      const [fault] = this.faults.splice(i, 1);
      record(fault!.status);
      return sendFault(res, fault!.status);
    }
    if (!body) {
      record(400);
      return send(res, 400, { status: 'invalid event', message: 'Event object is invalid', errors: ['Malformed JSON'] });
    }
    const errors = validate(body);
    if (errors.length) {
      record(400);
      return send(res, 400, { status: 'invalid event', message: 'Event object is invalid', errors });
    }

    const action = body.event_action as string;
    // PagerDuty makes up a dedup_key for a trigger without one and returns it.
    const dedupKey = typeof body.dedup_key === 'string' && body.dedup_key ? body.dedup_key : randomBytes(16).toString('hex');
    this.apply(action, dedupKey, body.payload?.summary);
    record(202);
    send(res, 202, { status: 'success', message: 'Event processed', dedup_key: dedupKey });
  }

  private apply(action: string, dedupKey: string, summary: unknown): void {
    const alert = this.alertsByKey.get(dedupKey);
    if (action === 'trigger') {
      // A repeat trigger for an open alert is deduplicated: same alert, status kept (an
      // acknowledged alert stays acknowledged). After a resolve, the key opens a new alert.
      if (!alert) this.alertsByKey.set(dedupKey, { ...this.newAlert('triggered', typeof summary === 'string' ? summary : dedupKey), triggers: 1 });
      else {
        alert.triggers += 1;
        if (alert.status === 'resolved') alert.status = 'triggered';
      }
      return;
    }
    // Acknowledge/resolve of an unknown or resolved alert is accepted and does nothing.
    if (!alert || alert.status === 'resolved') return;
    alert.status = action === 'acknowledge' ? 'acknowledged' : 'resolved';
  }
}

function validate(b: Record<string, any>): string[] {
  const errors: string[] = [];
  if (typeof b.routing_key !== 'string' || b.routing_key.length !== 32) errors.push("'routing_key' is invalid");
  if (!ACTIONS.includes(b.event_action)) errors.push("'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')");
  if (b.dedup_key !== undefined && (typeof b.dedup_key !== 'string' || b.dedup_key.length > 255)) errors.push("'dedup_key' is invalid (must be a string of at most 255 characters)");
  if (b.event_action !== 'trigger') {
    if (ACTIONS.includes(b.event_action) && (typeof b.dedup_key !== 'string' || !b.dedup_key)) errors.push("'dedup_key' is missing or blank");
    return errors;
  }
  const p = b.payload;
  if (!p || typeof p !== 'object') {
    errors.push("'payload' is missing or invalid");
    return errors;
  }
  if (typeof p.summary !== 'string' || !p.summary.trim()) errors.push("'payload.summary' is missing or blank");
  else if (p.summary.length > 1024) errors.push("'payload.summary' is too long (must be at most 1024 characters)");
  if (typeof p.source !== 'string' || !p.source.trim()) errors.push("'payload.source' is missing or blank");
  if (!SEVERITIES.includes(p.severity)) errors.push("'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')");
  if (b.links !== undefined && (!Array.isArray(b.links) || b.links.some((l: any) => !l || typeof l.href !== 'string'))) errors.push("'links' is invalid");
  return errors;
}

/** `v1=<hex HMAC-SHA256(secret, body)>`, comma-separated, one per secret (as PagerDuty signs during a rotation). */
export function signWebhook(raw: string, secrets: string | string[]): string {
  return (Array.isArray(secrets) ? secrets : [secrets]).map((s) => `v1=${createHmac('sha256', s).update(raw).digest('hex')}`).join(',');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendFault(res: ServerResponse, status: FakePagerDutyFault): void {
  switch (status) {
    case 400:
      return send(res, 400, { status: 'invalid event', message: 'Event object is invalid', errors: ['Injected fault'] });
    case 429:
      return send(res, 429, { status: 'throttle event', message: 'Requests for this service are arriving too quickly.  Please retry later.' });
    case 500:
      return send(res, 500, { status: 'error', message: 'Internal Server Error' });
    case 502:
    case 503: {
      // What a load balancer in front sends: HTML, not JSON.
      const html = `<html><body><h1>${status} ${status === 502 ? 'Bad Gateway' : 'Service Unavailable'}</h1></body></html>`;
      res.writeHead(status, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(html) });
      res.end(html);
    }
  }
}
