import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { IncidentDeps } from '../../../app/deps.js';
import { mention } from '../../../app/messages.js';
import { resolveIncident } from '../../../app/war-room-commands.js';
import { DomainError } from '../../../domain/errors.js';
import { incidentRef } from '../../../domain/incident.js';
import { ACTION, decodeResolve } from '../ids.js';
import { userMessage } from './reply.js';

/** The resolution a **Resolve** click records (the button sits under "Resolved in PagerDuty"). */
export const RESOLVED_FROM_PAGERDUTY = 'Resolved in PagerDuty; confirmed in Slack.';
/** …and the one under "All N alerts of group … have resolved". */
export const RESOLVED_FROM_ALERTS = 'All alerts of the group resolved; confirmed in Slack.';

/**
 * **Resolve** under "Resolved in PagerDuty …" or "All N alerts … have resolved": the normal resolve use case, with its permission
 * check (the IC, the declarer or the policy's groups), as `/incident resolve` in the war room.
 */
export function registerResolveAction(app: App, deps: IncidentDeps): void {
  app.action<BlockAction<ButtonAction>>(ACTION.resolve, async ({ ack, body, action, respond }) => {
    await ack();
    let text: string;
    try {
      const target = decodeResolve(action.value);
      const incident = target === null ? null : await deps.store.get(target.incidentId);
      if (!incident?.channelId) throw new DomainError('bad_action', 'That button is not one of mine any more; use `/incident resolve <summary>` in the war room.');
      await resolveIncident(deps, incident.channelId, body.user.id, target!.reason === 'alerts' ? RESOLVED_FROM_ALERTS : RESOLVED_FROM_PAGERDUTY);
      text = `${incidentRef(incident.id)} resolved. Thank you, ${mention(body.user.id)}.`;
    } catch (err) {
      text = userMessage(err, deps.log, { action: ACTION.resolve, user: body.user.id });
    }
    await respond({ response_type: 'ephemeral', replace_original: false, text }).catch((err: Error) => deps.log.warn({ err: err.message }, 'respond failed'));
  });
}
