import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AlertDeps } from '../app/alerts.js';
import type { IncidentDeps } from '../app/deps.js';
import { parsePagerDutyWebhook, receivePagerDutyWebhook } from '../app/pagerduty-webhook.js';
import { incidentRef } from '../domain/incident.js';
import { asyncRoute, sendJson, type Route } from './health.js';

export const PAGERDUTY_WEBHOOK_PATH = '/api/v1/alerts/pagerduty';

/** Bodies above this are refused (413). PagerDuty guarantees 55 KB and drops anything over 256 KB itself. */
export const PAGERDUTY_WEBHOOK_MAX_BYTES = 256 * 1024;
/** Past this a sender is not PagerDuty: stop reading and close the connection. */
const DRAIN_LIMIT_BYTES = 4 * 1024 * 1024;

/** X-Webhook-Id: PagerDuty sends a UUID; anything printable up to 200 characters is accepted. */
const WEBHOOK_ID = /^[\x21-\x7e]{1,200}$/;

/**
 * The raw body; `too_large` when it is over `max` (the rest is read and dropped, up to a bound, so
 * the sender gets the 413 rather than a reset connection); `dropped` when even that bound was
 * passed and the connection was closed.
 */
async function readRaw(req: IncomingMessage, max: number): Promise<Buffer | 'too_large' | 'dropped'> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  const chunks: Buffer[] = [];
  let size = 0;
  let over = Number.isFinite(declared) && declared > max;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) over = true;
    if (size > DRAIN_LIMIT_BYTES) {
      req.socket.destroy();
      return 'dropped';
    }
    if (!over) chunks.push(chunk as Buffer);
  }
  return over ? 'too_large' : Buffer.concat(chunks);
}

/**
 * Whether one of the `v1=<hex>` signatures in the header is HMAC-SHA256(secret, raw body). Several
 * are sent while a secret is being rotated; each is compared in constant time.
 */
export function verifyPagerDutySignature(header: string, raw: Buffer, secret: string): boolean {
  const expected = createHmac('sha256', secret).update(raw).digest();
  let ok = false;
  for (const part of header.split(',')) {
    const m = /^v1=([0-9a-f]{64})$/i.exec(part.trim());
    if (!m) continue;
    if (timingSafeEqual(Buffer.from(m[1]!, 'hex'), expected)) ok = true;
  }
  return ok;
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * `POST /api/v1/alerts/pagerduty`: PagerDuty webhooks (v3), signed with the subscription's secret.
 * 202 once the delivery is kept (and whatever it causes committed with it), 200 for a redelivery
 * of a webhook id already kept, 400 with the JSON path of the problem, 401 for a missing or wrong
 * signature, 404 when no secret is configured, 413 over {@link PAGERDUTY_WEBHOOK_MAX_BYTES}.
 * docs/alerts.md documents it for whoever configures the subscription.
 */
export function pagerDutyWebhookRoutes(deps: IncidentDeps, secret: string | undefined, alerts: AlertDeps | null = null): Route[] {
  return [
    {
      path: PAGERDUTY_WEBHOOK_PATH,
      method: 'POST',
      handler: asyncRoute(deps.log, async (req, res) => {
        if (!secret) {
          req.resume();
          return sendJson(res, 404, { error: 'not_configured', message: 'PagerDuty webhooks are not enabled here: set PAGERDUTY_WEBHOOK_SECRET to the subscription\'s signing secret.' });
        }
        const raw = await readRaw(req, PAGERDUTY_WEBHOOK_MAX_BYTES);
        if (raw === 'dropped') return;
        if (raw === 'too_large') {
          return sendJson(res, 413, { error: 'payload_too_large', message: `The body is over ${PAGERDUTY_WEBHOOK_MAX_BYTES} bytes.`, limit_bytes: PAGERDUTY_WEBHOOK_MAX_BYTES });
        }
        const signature = header(req, 'x-pagerduty-signature');
        if (!signature) {
          deps.log.warn({ path: PAGERDUTY_WEBHOOK_PATH, remote: req.socket.remoteAddress }, 'PagerDuty webhook without a signature');
          return sendJson(res, 401, { error: 'missing_signature', message: 'Send X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the body with the subscription secret>.' });
        }
        if (!verifyPagerDutySignature(signature, raw, secret)) {
          deps.log.warn({ path: PAGERDUTY_WEBHOOK_PATH, remote: req.socket.remoteAddress }, 'PagerDuty webhook with no valid signature');
          return sendJson(res, 401, { error: 'bad_signature', message: 'No v1 signature in X-PagerDuty-Signature matches the body and the configured secret.' });
        }
        let body: unknown;
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          return sendJson(res, 400, { error: 'bad_request', path: '$', message: 'The body is not JSON.' });
        }
        const parsed = parsePagerDutyWebhook(body);
        if (!parsed.ok) return sendJson(res, 400, { error: 'bad_request', path: parsed.path, message: `${parsed.path}: ${parsed.message} (expected a PagerDuty webhook v3 envelope)` });
        const webhookIdHeader = header(req, 'x-webhook-id');
        if (webhookIdHeader !== undefined && !WEBHOOK_ID.test(webhookIdHeader)) {
          return sendJson(res, 400, { error: 'bad_request', path: 'X-Webhook-Id', message: 'X-Webhook-Id must be 1 to 200 printable characters.' });
        }
        // PagerDuty always sends X-Webhook-Id; without it the event id is the next best key.
        const webhookId = webhookIdHeader ?? `event:${parsed.event.id}`;
        const receipt = await receivePagerDutyWebhook(deps, { webhookId, event: parsed.event, payload: body, receivedAt: deps.clock.now() }, alerts);
        const incident = receipt.incidentId !== null ? incidentRef(receipt.incidentId) : null;
        if (receipt.duplicate) return sendJson(res, 200, { status: 'duplicate', webhook_id: webhookId, incident });
        deps.log.info({ webhookId, eventType: parsed.event.type, incident, outcome: receipt.outcome }, 'PagerDuty webhook');
        sendJson(res, 202, { status: 'accepted', webhook_id: webhookId, event_type: parsed.event.type, incident, outcome: receipt.outcome });
      }),
    },
  ];
}
