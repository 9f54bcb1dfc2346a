import type { App, BlockAction, ButtonAction, ViewSubmitAction } from '@slack/bolt';
import { completeRun, historyText, reportProblem, taskOf, todayText, type ComplianceDeps } from '../../../app/compliance.js';
import { DomainError } from '../../../domain/errors.js';
import { complianceModal } from '../blocks.js';
import { ACTION, VIEW, decodeRun } from '../ids.js';
import { beforeSlackDeadline, ephemeral, userMessage } from './reply.js';

/** `/compliance`, the card's buttons and their modals. */
export function registerCompliance(app: App, deps: ComplianceDeps): void {
  app.command('/compliance', async ({ command, ack, context }) => {
    let reply: string;
    try {
      const arg = (command.text ?? '').trim().toLowerCase();
      if (arg === 'help') reply = '*`/compliance`* — today\'s tasks and their states · *`/compliance <task-id>`* — the last 10 runs of one task';
      else if (/\s/.test(arg)) throw new DomainError('bad_syntax', 'Usage: `/compliance` or `/compliance <task-id>`, e.g. `/compliance finra-cat`.');
      else reply = await beforeSlackDeadline(arg ? historyText(deps, arg) : todayText(deps));
    } catch (err) {
      reply = userMessage(err, deps.log, { command: '/compliance', user: command.user_id });
    }
    await ack(ephemeral(reply!));
    deps.metrics.ack('/compliance', performance.now() - Number(context['receivedAt'] ?? performance.now()));
  });

  for (const [actionId, kind] of [[ACTION.complianceDone, 'done'], [ACTION.complianceProblem, 'problem']] as const) {
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, client, respond }) => {
      await ack();
      try {
        const runId = decodeRun(action.value);
        const run = runId === null ? null : await deps.store.get(runId);
        const task = run && taskOf(deps, run.taskId);
        if (!run || !task) throw new DomainError('bad_action', 'That button is not one of mine any more.');
        if (run.status === 'done') throw new DomainError('already_done', `${task.title} for ${run.date} is already done.`);
        await client.views.open({ trigger_id: body.trigger_id, view: complianceModal(kind, run.id, `${task.title} — ${run.date}`) as never });
      } catch (err) {
        await respond({ response_type: 'ephemeral', replace_original: false, text: userMessage(err, deps.log, { action: actionId, user: body.user.id }) }).catch(() => undefined);
      }
    });
  }

  const runIdOf = (view: ViewSubmitAction['view']): number => Number((JSON.parse(view.private_metadata || '{}') as { runId?: number }).runId);
  const value = (view: ViewSubmitAction['view'], block: string) => view.state.values[block]?.['v']?.value ?? '';

  app.view<ViewSubmitAction>(VIEW.complianceDone, async ({ ack, view, body }) => {
    try {
      await completeRun(deps, runIdOf(view), { user: body.user.id }, { note: value(view, 'note'), evidence: value(view, 'evidence') });
      await ack();
    } catch (err) {
      await ack({ response_action: 'errors', errors: { evidence: userMessage(err, deps.log, { view: VIEW.complianceDone, user: body.user.id }) } });
    }
  });

  app.view<ViewSubmitAction>(VIEW.complianceProblem, async ({ ack, view, body }) => {
    try {
      await reportProblem(deps, runIdOf(view), { user: body.user.id }, value(view, 'note'), false);
      await ack();
    } catch (err) {
      await ack({ response_action: 'errors', errors: { note: userMessage(err, deps.log, { view: VIEW.complianceProblem, user: body.user.id }) } });
    }
  });
}
