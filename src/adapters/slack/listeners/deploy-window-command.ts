import type { App } from '@slack/bolt';
import { DateTime } from 'luxon';
import { decideDeploy, deployCheckText, deployOverview, requestDeploy, type DeployDeps } from '../../../app/deploy-window.js';
import { DEPLOY_WINDOW_HELP, parseDeployWindowCommand } from '../../../domain/deploy-command.js';
import { DomainError } from '../../../domain/errors.js';
import { ACTION, decodeDeployRequest } from '../ids.js';
import { beforeSlackDeadline, ephemeral, userMessage } from './reply.js';

/** `/deploy-window` and the Approve / Deny buttons on approval cards. */
export function registerDeployWindow(app: App, deps: DeployDeps): void {
  app.command('/deploy-window', async ({ command, ack, context }) => {
    let reply: string;
    try {
      const now = DateTime.fromJSDate(deps.clock.now()).setZone(deps.policy.timezone);
      const c = parseDeployWindowCommand(command.text ?? '', now, deps.policy.timezone);
      reply = await beforeSlackDeadline(
        (async () => {
          switch (c.kind) {
            case 'help':
              return DEPLOY_WINDOW_HELP;
            case 'overview':
              return deployOverview(deps, c.at, c.explicitTime);
            case 'check':
              return deployCheckText(deps, c.type, c.at);
            case 'request':
              return (await requestDeploy(deps, { type: c.type, service: c.service, at: c.at, summary: c.summary, requestedBy: command.user_id })).message;
          }
        })(),
      );
    } catch (err) {
      reply = userMessage(err, deps.log, { command: '/deploy-window', user: command.user_id });
    }
    await ack(ephemeral(reply));
    deps.metrics.ack('/deploy-window', performance.now() - Number(context['receivedAt'] ?? performance.now()));
  });

  for (const [actionId, approve] of [[ACTION.deployApprove, true], [ACTION.deployDeny, false]] as const) {
    app.action(actionId, async ({ ack, body, action, respond }) => {
      await ack();
      let text: string;
      try {
        const id = decodeDeployRequest((action as { value?: string }).value);
        if (id === null) throw new DomainError('bad_action', 'That button is not one of mine.');
        text = await decideDeploy(deps, { requestId: id, approve, by: body.user.id });
      } catch (err) {
        text = userMessage(err, deps.log, { action: actionId, user: body.user.id });
      }
      await respond({ response_type: 'ephemeral', replace_original: false, text }).catch((err: Error) => deps.log.warn({ err: err.message }, 'respond failed'));
    });
  }
}
