import { describe, expect, it } from 'vitest';
import { FIELD, VIEW } from '../../src/adapters/slack/ids.js';
import { useHarness, USERS } from '../support/harness.js';

const h = useHarness();

/** What Slack sends when the user submits the modal the bot opened. */
function submission(view: any, user: string, values: { title?: string; severity?: string; impact?: string; service?: string; serviceText?: string; private?: boolean }) {
  const state: Record<string, any> = {
    [FIELD.title]: { v: { type: 'plain_text_input', value: values.title ?? null } },
    [FIELD.severity]: { v: { type: 'static_select', selected_option: values.severity ? { value: values.severity } : null } },
    [FIELD.impact]: { v: { type: 'plain_text_input', value: values.impact ?? null } },
    [FIELD.serviceSelect]: { v: { type: 'static_select', selected_option: values.service ? { value: values.service } : null } },
    [FIELD.serviceText]: { v: { type: 'plain_text_input', value: values.serviceText ?? null } },
    [FIELD.private]: { v: { type: 'checkboxes', selected_options: values.private ? [{ value: 'private' }] : [] } },
  };
  return {
    type: 'view_submission',
    team: { id: 'T0001', domain: 'brokerage' },
    user: { id: user, username: 'x', team_id: 'T0001' },
    api_app_id: 'A0WARROOM',
    token: 'legacy',
    trigger_id: `trig-view-${Math.random()}`,
    view: { ...view, state: { values: state }, hash: 'h1', team_id: 'T0001', app_id: 'A0WARROOM', bot_id: 'BBOT' },
  };
}

async function openModal(text: string, user = USERS.bob): Promise<any> {
  const before = h.slack.calls('views.open').length;
  const ack = await h.command('/incident', text, { user });
  expect(ack.status).toBe(200);
  await h.slack.waitFor(() => h.slack.calls('views.open').length > before, 5000, 'views.open');
  const call = h.slack.calls('views.open').at(-1)!;
  const view = typeof call.args['view'] === 'string' ? JSON.parse(call.args['view'] as string) : call.args['view'];
  return { ...view, id: `V${Math.random().toString(36).slice(2, 10).toUpperCase()}` };
}

describe('declaring through the modal', () => {
  it('`/incident` alone opens the form with severities and services from the policy', async () => {
    const view = await openModal('');
    expect(view.callback_id).toBe(VIEW.declare);
    const sev = view.blocks.find((b: any) => b.block_id === FIELD.severity);
    expect(sev.element.options.map((o: any) => o.value)).toEqual(['sev1', 'sev2', 'sev3', 'sev4']);
    expect(sev.element.options[0].description.text).toBe('Complete trading outage, customer funds at risk');
    const svc = view.blocks.find((b: any) => b.block_id === FIELD.serviceSelect);
    expect(svc.element.options.map((o: any) => o.value)).toContain('order-routing');
    expect(view.blocks.find((b: any) => b.block_id === FIELD.title).element.max_length).toBe(150);
  });

  it('`/incident sev2` preselects the severity', async () => {
    const view = await openModal('sev2');
    expect(view.blocks.find((b: any) => b.block_id === FIELD.severity).element.initial_option.value).toBe('sev2');
  });

  it('a submitted form declares a private incident with impact and service; a double submit declares once', async () => {
    const view = await openModal('');
    const payload = submission(view, USERS.carol, { title: 'Payments ACH batch stuck', severity: 'sev2', impact: 'Deposits delayed for ~3k customers', service: 'payments', private: true });
    const [a, b] = await Promise.all([h.interact(payload), h.interact(payload)]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(a.body.response_action).toBe('update');
    expect(JSON.stringify(a.body.view)).toMatch(/Declaring INC-\d+ \(SEV2 High\)/);
    const rows = await h.sql`select id, is_private, customer_impact, service, declared_by from incidents where title = 'Payments ACH batch stuck'`;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ is_private: true, customer_impact: 'Deposits delayed for ~3k customers', service: 'Payments and transfers', declared_by: USERS.carol });
    const room = await h.warRoomReady(rows[0]!['id']);
    const ch = h.slack.channel(room.channel_id)!;
    expect(ch.isPrivate).toBe(true);
    const card = JSON.stringify(ch.messages.find((m) => m.ts === room.header_ts)!.blocks);
    expect(card).toContain('Deposits delayed for ~3k customers');
    expect(card).toContain('Payments and transfers');
  });

  it('free-text service wins over the select', async () => {
    const view = await openModal('');
    await h.interact(submission(view, USERS.bob, { title: 'Vendor FIX gateway flapping', severity: 'sev3', service: 'order-routing', serviceText: 'Vendor FIX gateway' }));
    const [row] = await h.sql`select service from incidents where title = 'Vendor FIX gateway flapping'`;
    expect(row!['service']).toBe('Vendor FIX gateway');
  });

  it('shows field errors on the form and records nothing', async () => {
    const view = await openModal('');
    const long = await h.interact(submission(view, USERS.bob, { title: 'x'.repeat(151), severity: 'sev3' }));
    expect(long.body).toEqual({ response_action: 'errors', errors: { [FIELD.title]: expect.stringContaining('151 characters; keep it to 150') } });
    const blank = await h.interact(submission(view, USERS.bob, { title: '   ', severity: 'sev3' }));
    expect(blank.body.errors[FIELD.title]).toContain('An incident needs a title');
    const noSev = await h.interact(submission(view, USERS.bob, { title: 'Something' }));
    expect(noSev.body.errors[FIELD.severity]).toBe('Pick a severity.');
    const n = (await h.sql`select count(*)::int as n from incidents where declared_by = ${USERS.bob} and title in ('Something', '')`)[0]!['n'];
    expect(n).toBe(0);
  });

  it('a title without a severity opens the form with the title filled in', async () => {
    const view = await openModal('Crypto wallet sync lagging');
    expect(view.blocks.find((b: any) => b.block_id === FIELD.title).element.initial_value).toBe('Crypto wallet sync lagging');
  });
});
