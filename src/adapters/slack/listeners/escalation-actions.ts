import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { acknowledge } from '../../../app/escalation/ladder.js';
import { completeChecklistItem } from '../../../app/escalation/regulatory-checklist.js';
import type { IncidentDeps } from '../../../app/deps.js';
import { DomainError } from '../../../domain/errors.js';
import { ACTION, decodeAck, decodeChecklistItem } from '../ids.js';
import { userMessage } from './reply.js';

/** "Acknowledge" on the header card and "Done" on the regulatory checklist. */
export function registerEscalationActions(app: App, deps: IncidentDeps): void {
  app.action<BlockAction<ButtonAction>>(ACTION.acknowledge, async ({ ack, body, action, respond }) => {
    await ack();
    let text: string;
    try {
      const id = decodeAck(action.value);
      if (id === null) throw new DomainError('bad_action', 'That button is not one of mine any more; use the pinned header card.');
      text = await acknowledge(deps, { incidentId: id }, body.user.id);
    } catch (err) {
      text = userMessage(err, deps.log, { action: ACTION.acknowledge, user: body.user.id });
    }
    await respond({ response_type: 'ephemeral', replace_original: false, text }).catch((err: Error) => deps.log.warn({ err: err.message }, 'respond failed'));
  });

  app.action<BlockAction<ButtonAction>>(ACTION.checklistDone, async ({ ack, body, action, respond }) => {
    await ack();
    let text: string;
    try {
      const target = decodeChecklistItem(action.value);
      if (!target) throw new DomainError('bad_action', 'That button is not one of mine any more.');
      text = await completeChecklistItem(deps, target.incidentId, target.item, body.user.id);
    } catch (err) {
      text = userMessage(err, deps.log, { action: ACTION.checklistDone, user: body.user.id });
    }
    await respond({ response_type: 'ephemeral', replace_original: false, text }).catch((err: Error) => deps.log.warn({ err: err.message }, 'respond failed'));
  });
}
