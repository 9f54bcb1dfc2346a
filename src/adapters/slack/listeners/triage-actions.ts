import type { App, BlockAction, ButtonAction, StaticSelectAction } from '@slack/bolt';
import type { AlertDeps } from '../../../app/alerts.js';
import { decideTriage, type TriageChoice } from '../../../app/alert-triage.js';
import { DomainError } from '../../../domain/errors.js';
import { ACTION, decodeTriage } from '../ids.js';
import { userMessage } from './reply.js';

/** **Declare**, **Attach to INC-n…** and **Dismiss** on a triage post: acked at once, then decided. */
export function registerTriageActions(app: App, deps: AlertDeps): void {
  const log = deps.incidents.log;
  const decide = async (action: string, triageId: number | null, userId: string, choice: TriageChoice | null, respond: (m: object) => Promise<unknown>) => {
    let text: string;
    try {
      if (triageId === null || choice === null) throw new DomainError('bad_action', 'That control is not one of mine any more.');
      text = await decideTriage(deps, triageId, userId, choice);
    } catch (err) {
      text = userMessage(err, log, { action, user: userId });
    }
    await respond({ response_type: 'ephemeral', replace_original: false, text }).catch((err: Error) => log.warn({ err: err.message }, 'respond failed'));
  };

  app.action<BlockAction<ButtonAction>>(ACTION.triageDeclare, async ({ ack, body, action, respond }) => {
    await ack();
    await decide(ACTION.triageDeclare, decodeTriage(action.value), body.user.id, { kind: 'declare' }, respond);
  });
  app.action<BlockAction<ButtonAction>>(ACTION.triageDismiss, async ({ ack, body, action, respond }) => {
    await ack();
    await decide(ACTION.triageDismiss, decodeTriage(action.value), body.user.id, { kind: 'dismiss' }, respond);
  });
  app.action<BlockAction<StaticSelectAction>>(ACTION.triageAttach, async ({ ack, body, action, respond }) => {
    await ack();
    const incidentId = /^\d{1,9}$/.test(action.selected_option?.value ?? '') ? Number(action.selected_option.value) : null;
    await decide(ACTION.triageAttach, decodeTriage(action.block_id), body.user.id, incidentId === null ? null : { kind: 'attach', incidentId }, respond);
  });
}
