import type { IncomingMessage } from 'node:http';
import { DateTime } from 'luxon';
import { completeRun, reportProblem, taskOf, type ComplianceDeps } from '../app/compliance.js';
import { DomainError } from '../domain/errors.js';
import { planRuns } from '../domain/compliance-schedule.js';
import { authenticate, type ApiToken } from './deploy-gate.js';
import { asyncRoute, sendJson, type Route } from './health.js';

const MAX_BODY = 16 * 1024;

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk as Buffer);
  }
  const raw = Buffer.concat(chunks).toString('utf8').trim();
  if (!raw) return {};
  try {
    const v = JSON.parse(raw) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * `POST /api/v1/compliance/tasks/<task-id>/runs/<date>/complete|fail`, for the jobs that do the
 * work. Idempotent; 404 for an unknown task or a date it does not run on; 409 for a run that does
 * not exist yet (not planned, or not open) or a manual task.
 */
export function complianceApiRoutes(deps: ComplianceDeps, tokens: ApiToken[]): Route[] {
  return (['complete', 'fail'] as const).map((action) => ({
    path: `/api/v1/compliance/tasks/:taskId/runs/:date/${action}`,
    method: 'POST',
    handler: asyncRoute(deps.log, async (req, res) => {
      const token = authenticate(req, tokens, 'compliance');
      if (!token) {
        deps.log.warn({ path: req.url }, 'compliance API: missing or invalid token');
        return sendJson(res, 401, { error: 'unauthorized', message: 'Send Authorization: Bearer <token> with a token named in the policy (api_tokens).' });
      }
      const { taskId = '', date = '' } = req.params ?? {};
      const task = taskOf(deps, taskId);
      if (!task) return sendJson(res, 404, { error: 'unknown_task', message: `No task "${taskId}"`, tasks: deps.policy.compliance.tasks.map((t) => t.id) });
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || !DateTime.fromISO(date).isValid) return sendJson(res, 404, { error: 'unknown_date', message: `"${date}" is not a date (YYYY-MM-DD)` });
      if (planRuns([task], deps.calendar, deps.policy.timezone, date, 1).length === 0) {
        return sendJson(res, 404, { error: 'no_run_that_day', message: `${task.title} does not run on ${date} (${task.days})` });
      }
      if (task.kind !== 'automated') return sendJson(res, 409, { error: 'manual_task', message: `${task.title} is a manual task: complete it in Slack` });
      const body = await readJson(req);
      if (body === null) return sendJson(res, 400, { error: 'bad_request', message: 'The body must be a JSON object (at most 16 KiB): {"evidence": "...", "note": "..."}' });
      for (const f of ['evidence', 'note'] as const) {
        if (body[f] !== undefined && body[f] !== null && typeof body[f] !== 'string') return sendJson(res, 400, { error: 'bad_request', field: f, message: `${f} must be a string` });
      }
      const run = await deps.store.find(taskId, date);
      if (!run || run.status === 'scheduled') {
        return sendJson(res, 409, { error: 'run_not_open', message: `The run of ${task.title} for ${date} does not exist yet${run ? ` (it opens at ${run.opensAt.toISOString()})` : ''}` });
      }
      try {
        if (action === 'complete') {
          const { run: done, changed } = await completeRun(deps, run.id, { token }, { evidence: body['evidence'] as string | undefined, note: body['note'] as string | undefined });
          return sendJson(res, 200, { task: taskId, date, status: done.status, done_at: done.doneAt?.toISOString() ?? null, done_by: done.doneBy, late: done.doneAt! > done.dueAt, changed });
        }
        const failed = await reportProblem(deps, run.id, { token }, String(body['note'] ?? body['evidence'] ?? ''), true);
        return sendJson(res, 200, { task: taskId, date, status: failed.status, problem_at: failed.problemAt?.toISOString() ?? null });
      } catch (err) {
        if (err instanceof DomainError) return sendJson(res, 409, { error: err.code, message: err.message });
        throw err;
      }
    }),
  }));
}
