import type { App, ViewSubmitAction } from '@slack/bolt';
import { declareIncident } from '../../../app/declare-incident.js';
import { userDeclarer } from '../../../domain/declarer.js';
import type { IncidentDeps } from '../../../app/deps.js';
import { DomainError } from '../../../domain/errors.js';
import { incidentRef } from '../../../domain/incident.js';
import { severityLabel } from '../../../app/messages.js';
import { FIELD, VIEW } from '../ids.js';
import { userMessage } from './reply.js';

type Values = ViewSubmitAction['view']['state']['values'];
const text = (v: Values, block: string): string => v[block]?.['v']?.value ?? '';
const selected = (v: Values, block: string): string | null => v[block]?.['v']?.selected_option?.value ?? null;

/** Field errors are shown on the form itself; the incident is declared once per view id. */
export function registerDeclareView(app: App, deps: IncidentDeps): void {
  app.view<ViewSubmitAction>(VIEW.declare, async ({ ack, view, body }) => {
    const v = view.state.values;
    const severity = selected(v, FIELD.severity);
    const serviceId = selected(v, FIELD.serviceSelect);
    const service = text(v, FIELD.serviceText).trim() || (serviceId ? (deps.policy.services.find((s) => s.id === serviceId)?.name ?? serviceId) : '');
    const isPrivate = (v[FIELD.private]?.['v']?.selected_options ?? []).some((o) => o.value === 'private');
    let origin: string | null = null;
    try {
      origin = (JSON.parse(view.private_metadata || '{}') as { origin?: string }).origin ?? null;
    } catch {
      origin = null;
    }
    if (!severity) {
      await ack({ response_action: 'errors', errors: { [FIELD.severity]: 'Pick a severity.' } });
      return;
    }
    try {
      const { incident } = await declareIncident(deps, {
        requestKey: `view:${view.id}`,
        severity,
        title: text(v, FIELD.title),
        customerImpact: text(v, FIELD.impact),
        service,
        isPrivate,
        declarer: userDeclarer(body.user.id),
        originChannel: origin,
      });
      await ack({
        response_action: 'update',
        view: {
          type: 'modal',
          title: { type: 'plain_text', text: 'Incident declared' },
          close: { type: 'plain_text', text: 'Close' },
          blocks: [
            { type: 'section', text: { type: 'mrkdwn', text: `:rotating_light: Declaring ${incidentRef(incident.id)} (${severityLabel(deps.policy, incident.severity)}) … its war room is being opened and you will be invited.` } },
          ],
        },
      });
    } catch (err) {
      if (err instanceof DomainError && err.code.startsWith('title')) {
        await ack({ response_action: 'errors', errors: { [FIELD.title]: err.message.replace(/`/g, '') } });
      } else if (err instanceof DomainError && err.code.startsWith('customer_impact')) {
        await ack({ response_action: 'errors', errors: { [FIELD.impact]: err.message } });
      } else if (err instanceof DomainError && err.code.startsWith('service')) {
        await ack({ response_action: 'errors', errors: { [FIELD.serviceText]: err.message } });
      } else {
        await ack({ response_action: 'errors', errors: { [FIELD.title]: userMessage(err, deps.log, { view: VIEW.declare, user: body.user.id }) } });
      }
    }
  });
}
