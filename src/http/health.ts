import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../app/deps.js';

export type RouteRequest = IncomingMessage & { params?: { [key: string]: string } };

/** A route as Bolt's `customRoutes` (and the Socket Mode receiver) take it. */
export interface Route {
  path: string;
  method: string | string[];
  handler: (req: RouteRequest, res: ServerResponse) => void;
}

/**
 * Bolt does not await route handlers: a rejected promise must become a 500 here. The answer
 * never carries the error's text (SQL, hosts, internals); it carries an id that the log line
 * with the whole error also carries, so a report can be matched to its cause.
 */
export function asyncRoute(log: Logger, fn: (req: RouteRequest, res: ServerResponse) => Promise<void>): Route['handler'] {
  return (req, res) => {
    fn(req, res).catch((err: unknown) => {
      const errorId = randomUUID();
      log.error({ err: err instanceof Error ? err.message : String(err), errorId, method: req.method, path: req.url?.split('?')[0] }, 'HTTP request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal_error', message: 'Something went wrong on our side. Quote the error id when reporting it.', errorId });
      else res.end();
    });
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

export type Probe = () => Promise<void>;

async function within(ms: number, probe: Probe): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([probe(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]);
    return 'ok';
  } catch (err) {
    return (err as Error).message || 'unreachable';
  } finally {
    clearTimeout(timer);
  }
}

/** `/healthz`: the process answers. `/readyz`: it can do its job (each dependency answers). */
export function healthRoutes(probes: Record<string, Probe>, log: Logger): Route[] {
  return [
    { path: '/healthz', method: 'GET', handler: (_req, res) => sendJson(res, 200, { status: 'ok' }) },
    {
      path: '/readyz',
      method: 'GET',
      handler: asyncRoute(log, async (_req, res) => {
        const names = Object.keys(probes);
        const results = await Promise.all(names.map((n) => within(1500, probes[n]!)));
        const checks = Object.fromEntries(names.map((n, i) => [n, results[i]]));
        const ready = results.every((r) => r === 'ok');
        sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks });
      }),
    },
  ];
}
