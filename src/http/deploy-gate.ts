import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { DateTime } from 'luxon';
import { checkDeployWindow, type DeployDeps } from '../app/deploy-window.js';
import { DEPLOY_TYPES, type DeployType } from '../domain/deploy-rules.js';
import { SERVICE_PATTERN } from '../domain/deploy-command.js';
import { incidentRef } from '../domain/incident.js';
import type { ApiScope } from '../domain/policy.js';
import { asyncRoute, sendJson, type Route } from './health.js';

export interface ApiToken {
  name: string;
  value: string;
  scopes: ApiScope[];
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The bearer token's name, or null. Every configured token is compared, in constant time over
 * equal-length digests, so timing says nothing about which token or how much of it matched.
 */
export function authenticate(req: IncomingMessage, tokens: ApiToken[], scope: ApiScope): string | null {
  const header = req.headers['authorization'] ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(Array.isArray(header) ? header[0]! : header);
  const given = digest(m?.[1] ?? '');
  let found: string | null = null;
  for (const t of tokens) if (timingSafeEqual(given, digest(t.value)) && m && t.scopes.includes(scope)) found = t.name;
  return found;
}

function badRequest(field: string, message: string) {
  return { status: 400, body: { error: 'bad_request', field, message } };
}

/**
 * `GET /api/v1/deploy-window?type=standard&service=payments[&at=ISO-8601]`: the same answer as
 * `/deploy-window`, for pipelines. 200 when the deploy may go now, 423 when not.
 */
export function deployGateRoutes(deps: DeployDeps, tokens: ApiToken[]): Route[] {
  return [
    {
      path: '/api/v1/deploy-window',
      method: 'GET',
      handler: asyncRoute(deps.log, async (req, res) => {
        const token = authenticate(req, tokens, 'deploy-gate');
        if (!token) {
          deps.log.warn({ path: '/api/v1/deploy-window', remote: req.socket.remoteAddress }, 'deploy gate: missing or invalid token');
          res.setHeader('www-authenticate', 'Bearer realm="warroom"');
          return sendJson(res, 401, { error: 'unauthorized', message: 'Send Authorization: Bearer <token> with a token named in the policy (api_tokens).' });
        }
        const url = new URL(req.url ?? '/', 'http://gate');
        const q = parseQuery(url.searchParams, deps);
        if ('status' in q) return sendJson(res, q.status, q.body);
        const d = await checkDeployWindow(deps, q);
        const { requestId } = d;
        const iso = (t: DateTime | null) => t?.setZone(deps.policy.timezone).toISO({ suppressMilliseconds: true }) ?? null;
        const body = {
          at: iso(d.at),
          session: d.session.kind,
          type: d.type,
          service: q.service,
          allowed: d.allowed,
          approval: d.approval,
          approved_by: d.allowed && d.approvedBy.length ? d.approvedBy : null,
          approval_request: d.allowed && requestId ? `DEP-${requestId}` : null,
          needs_incident_commander: d.needsCommander,
          risk: d.risk,
          reason: d.reason,
          freeze: d.freeze ? { incident: incidentRef(d.freeze.incidentId), severity: d.freeze.severity, channel: d.freeze.channelId } : null,
          window_ends: iso(d.windowEnds),
          next_auto_window: iso(d.nextAutoWindow),
        };
        await deps.deploys.audit({
          actor: `token:${token}`,
          action: 'deploy.gate_queried',
          incidentId: d.freeze?.incidentId ?? null,
          subject: `${q.type}:${q.service}`,
          data: { at: body.at, allowed: d.allowed, approval: d.approval, reason: d.reason },
        });
        sendJson(res, d.allowed ? 200 : 423, body);
      }),
    },
  ];
}

function parseQuery(p: URLSearchParams, deps: DeployDeps): { type: DeployType; service: string; at: DateTime } | ReturnType<typeof badRequest> {
  const type = p.get('type');
  if (!type) return badRequest('type', `type is required: one of ${DEPLOY_TYPES.join(', ')}`);
  if (!(DEPLOY_TYPES as readonly string[]).includes(type)) return badRequest('type', `type "${type}" is not one of ${DEPLOY_TYPES.join(', ')}`);
  const service = p.get('service');
  if (!service) return badRequest('service', 'service is required, e.g. service=payments');
  if (!SERVICE_PATTERN.test(service)) return badRequest('service', `service "${service}" must be lowercase letters, digits, . _ - (at most 64)`);
  const atText = p.get('at');
  let at = DateTime.fromJSDate(deps.clock.now()).setZone(deps.policy.timezone);
  if (atText) {
    // With an offset (or Z) the time keeps it; without one it is ET, like the slash command.
    const hasOffset = /(z|[+-]\d{2}:?\d{2})$/i.test(atText);
    const parsed = hasOffset ? DateTime.fromISO(atText, { setZone: true }) : DateTime.fromISO(atText, { zone: deps.policy.timezone });
    if (!parsed.isValid || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(atText)) return badRequest('at', `at "${atText}" is not an ISO-8601 time like 2026-11-27T13:30:00-05:00`);
    at = parsed;
  }
  return { type: type as DeployType, service, at };
}
