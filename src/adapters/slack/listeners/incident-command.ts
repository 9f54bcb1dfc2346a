import type { App, SlashCommand } from '@slack/bolt';
import { declareIncident } from '../../../app/declare-incident.js';
import { userDeclarer } from '../../../domain/declarer.js';
import type { IncidentDeps } from '../../../app/deps.js';
import { changeSeverity, incidentTimeline, postStatus, resolveIncident } from '../../../app/war-room-commands.js';
import { incidentRef } from '../../../domain/incident.js';
import { incidentHelp, parseIncidentCommand } from '../../../domain/incident-command.js';
import { declareModal } from '../blocks.js';
import { acknowledge } from '../../../app/escalation/ladder.js';
import { beforeSlackDeadline, ephemeral, userMessage } from './reply.js';
import { mention, severityLabel } from '../../../app/messages.js';

/**
 * `/incident`. Validates and records within Slack's 3 seconds, then acks with the answer; the war
 * room itself is built by a queued job. Only the modal is opened after the ack (the trigger id is
 * good for 3 s, and opening it is the only work left).
 */
export function registerIncidentCommand(app: App, deps: IncidentDeps): void {
  app.command('/incident', async ({ command, ack, client, context, respond }) => {
    const ctx = { command: '/incident', user: command.user_id, channel: command.channel_id };
    let openModal: { severity: string | null; title: string | null } | null = null;
    let reply: string;
    try {
      reply = await beforeSlackDeadline(
        (async () => {
          const warRoom = await deps.store.findByChannel(command.channel_id);
          const parsed = parseIncidentCommand(deps.policy, command.text ?? '', warRoom !== null);
          return runCommand(deps, command, parsed, (m) => (openModal = m));
        })(),
      );
    } catch (err) {
      reply = userMessage(err, deps.log, ctx);
    }
    await ack(reply ? ephemeral(reply) : undefined);
    deps.metrics.ack('/incident', performance.now() - Number(context['receivedAt'] ?? performance.now()));
    if (openModal) {
      const m: { severity: string | null; title: string | null } = openModal;
      try {
        await client.views.open({ trigger_id: command.trigger_id, view: declareModal(deps.policy, { ...m, originChannel: command.channel_id }) as never });
      } catch (err) {
        deps.log.warn({ ...ctx, err: (err as Error).message }, 'views.open failed');
        // Through the command's response_url: chat.postEphemeral fails in channels the bot is not in.
        await respond({ response_type: 'ephemeral', text: ':warning: I could not open the declaration form. Declare directly: `/incident sev2 <title>`.' }).catch(
          (e: Error) => deps.log.warn({ ...ctx, err: e.message }, 'respond failed'),
        );
      }
    }
  });
}

async function runCommand(
  deps: IncidentDeps,
  command: SlashCommand,
  parsed: ReturnType<typeof parseIncidentCommand>,
  openModal: (m: { severity: string | null; title: string | null }) => void,
): Promise<string> {
  const user = command.user_id;
  const channel = command.channel_id;
  switch (parsed.kind) {
    case 'help':
      return incidentHelp(deps.policy);
    case 'open-modal':
      openModal({ severity: parsed.severity, title: parsed.title });
      return '';
    case 'declare': {
      const { incident } = await declareIncident(deps, {
        // trigger_id is unique per invocation and repeated by a retried request.
        requestKey: `cmd:${command.trigger_id}`,
        severity: parsed.severity,
        title: parsed.title,
        declarer: userDeclarer(user),
        originChannel: channel,
      });
      return `:rotating_light: Declaring ${incidentRef(incident.id)} (${severityLabel(deps.policy, incident.severity)}) … opening its war room and inviting you and the responders.`;
    }
    case 'status':
      await postStatus(deps, channel, user, parsed.text);
      return 'Status update posted.';
    case 'severity': {
      const { incident, previous } = await changeSeverity(deps, channel, user, parsed.severity, parsed.reason);
      return `${incidentRef(incident.id)} changed from ${previous.toUpperCase()} to ${severityLabel(deps.policy, incident.severity)}.`;
    }
    case 'resolve': {
      const incident = await resolveIncident(deps, channel, user, parsed.summary);
      return `${incidentRef(incident.id)} resolved. Thank you, ${mention(user)}.`;
    }
    case 'timeline':
      return incidentTimeline(deps, channel);
    case 'ack':
      return acknowledge(deps, { channelId: channel }, user);
  }
}
