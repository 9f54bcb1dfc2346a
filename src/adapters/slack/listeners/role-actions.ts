import type { App, BlockAction, ButtonAction, UsersSelectAction } from '@slack/bolt';
import { assignRole } from '../../../app/assign-role.js';
import type { IncidentDeps } from '../../../app/deps.js';
import { DomainError } from '../../../domain/errors.js';
import { roleLabel } from '../../../app/messages.js';
import { ACTION, decodeRoleTarget } from '../ids.js';
import { userMessage } from './reply.js';

/** "Take" and "Assign…" on the header card. Ack at once; the card is re-rendered by a job. */
export function registerRoleActions(app: App, deps: IncidentDeps): void {
  app.action<BlockAction<ButtonAction>>(ACTION.roleTake, async ({ ack, body, action, respond, context }) => {
    await ack();
    deps.metrics.ack(ACTION.roleTake, performance.now() - Number(context['receivedAt'] ?? performance.now()));
    await apply(deps, respond, body.user.id, body.user.id, action.value);
  });

  app.action<BlockAction<UsersSelectAction>>(ACTION.roleAssign, async ({ ack, body, action, respond }) => {
    await ack();
    await apply(deps, respond, body.user.id, action.selected_user ?? '', action.block_id);
  });
}

async function apply(deps: IncidentDeps, respond: (m: { response_type: 'ephemeral'; replace_original: false; text: string }) => Promise<unknown>, by: string, userId: string, target: string | undefined) {
  let text: string | null = null;
  try {
    const decoded = decodeRoleTarget(target);
    if (!decoded) throw new DomainError('bad_action', 'That button is not one of mine any more; use the pinned header card.');
    if (!/^[UW][A-Z0-9]+$/.test(userId)) throw new DomainError('no_user', 'Pick a person to assign the role to.');
    const { changed } = await assignRole(deps, { incidentId: decoded.incidentId, role: decoded.role, userId, by });
    if (!changed) text = `${userId === by ? 'You already are' : `<@${userId}> already is`} ${roleLabel(deps.policy, decoded.role)}.`;
  } catch (err) {
    text = userMessage(err, deps.log, { action: 'role', user: by, target });
  }
  if (text) await respond({ response_type: 'ephemeral', replace_original: false, text }).catch((err: Error) => deps.log.warn({ err: err.message }, 'respond failed'));
}
