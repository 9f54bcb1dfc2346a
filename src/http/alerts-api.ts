import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { ingestAlerts, type AlertDeps } from '../app/alerts.js';
import type { AlertSource } from '../app/ports/alert-source.js';
import { InvalidPayloadError } from '../domain/errors.js';
import { authenticate, type ApiToken } from './deploy-gate.js';
import { asyncRoute, sendJson, type Route } from './health.js';
import type { IngestGate, Rejection } from './ingest-gate.js';

/** The largest alert payload accepted (Alertmanager's `max_alerts` keeps a batch under it). */
export const MAX_ALERT_BODY = 1024 * 1024;

/** The body, or 'too_large' (the rest is read and discarded, so the client sees the answer). */
async function readBody(req: IncomingMessage): Promise<Buffer | 'too_large'> {
  const declared = Number(req.headers['content-length'] ?? 0);
  const chunks: Buffer[] = [];
  let size = 0;
  let over = declared > MAX_ALERT_BODY;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_ALERT_BODY) over = true;
    if (!over) chunks.push(chunk as Buffer);
    else if (size > 16 * MAX_ALERT_BODY) {
      req.destroy();
      break;
    }
  }
  return over ? 'too_large' : Buffer.concat(chunks);
}

/** 429s are logged at most once per this interval (with how many there were); the metric counts each. */
export const THROTTLE_LOG_EVERY_MS = 10_000;

/**
 * `POST /api/v1/alerts/<source>` for each sender (docs/alerts.md): bearer token with the `alerts`
 * scope; 202 once the alerts and everything they cause are committed; 400 with the JSON path of
 * the problem; 401; 413 over {@link MAX_ALERT_BODY}; 429 with Retry-After when the ingests waiting
 * for a Postgres slot are too many or waited too long ({@link IngestGate}, one for all senders).
 */
export function alertRoutes(deps: AlertDeps, sources: AlertSource[], tokens: ApiToken[], gate: IngestGate): Route[] {
  const log = deps.incidents.log;
  const limits = gate.limits;
  let throttled = 0;
  let loggedAt = -Infinity;
  const onThrottled = (sender: string, reason: Rejection, alerts: number) => {
    deps.incidents.metrics.alertsThrottled(sender, reason);
    throttled += 1;
    if (performance.now() - loggedAt < THROTTLE_LOG_EVERY_MS) return;
    log.warn({ throttled, sender, reason, alerts, ...gate.state(), limits }, 'alerts API: answering 429, the ingest cannot keep up');
    loggedAt = performance.now();
    throttled = 0;
  };
  return sources.map((source) => ({
    path: `/api/v1/alerts/${source.name}`,
    method: 'POST',
    handler: asyncRoute(log, async (req, res) => {
      const token = authenticate(req, tokens, 'alerts');
      if (!token) {
        log.warn({ path: req.url, remote: req.socket.remoteAddress }, 'alerts API: missing or invalid token');
        req.resume();
        res.setHeader('www-authenticate', 'Bearer realm="warroom"');
        return sendJson(res, 401, { error: 'unauthorized', message: 'Send Authorization: Bearer <token> with a policy api_tokens entry that has the alerts scope.' });
      }
      const body = await readBody(req);
      if (body === 'too_large') return sendJson(res, 413, { error: 'too_large', message: `The body is over ${MAX_ALERT_BODY} bytes (1 MiB). Alertmanager: set max_alerts on the webhook_config.` });
      let payload: unknown;
      try {
        payload = JSON.parse(body.toString('utf8'));
      } catch (err) {
        return sendJson(res, 400, { error: 'bad_request', path: '$', message: `not JSON: ${(err as Error).message}` });
      }
      let batch;
      try {
        batch = source.normalise(payload, deps.incidents.clock.now());
      } catch (err) {
        if (err instanceof InvalidPayloadError) return sendJson(res, 400, { error: 'bad_request', path: err.path, message: err.message });
        throw err;
      }
      const admitted = gate.admit();
      if ('rejected' in admitted) {
        onThrottled(source.name, admitted.rejected, batch.alerts.length);
        res.setHeader('retry-after', String(limits.retryAfterS));
        return sendJson(res, 429, { error: 'too_many_requests', message: `Alerts are arriving faster than they can be recorded; nothing of this request was recorded. Send it again in ${limits.retryAfterS} s.` });
      }
      const release = await admitted.slot;
      let r;
      try {
        r = await ingestAlerts(deps, source.name, batch, `token:${token}`);
      } finally {
        release();
      }
      sendJson(res, 202, { accepted: r.accepted, duplicates: r.duplicates, truncated: r.truncated, outcomes: r.outcomes, incidents: r.incidents });
    }),
  }));
}
