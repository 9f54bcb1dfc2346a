import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';

/**
 * When the declaration form cannot be opened (the trigger_id expired: Slack gives 3 s), the user
 * is told how to declare directly. #general is a public channel the bot is not in, where
 * chat.postEphemeral fails (not_in_channel): the answer goes through the command's response_url.
 */
const h = useHarness();

describe('/incident when the form cannot be opened', () => {
  it('answers through the response_url with the direct command', async () => {
    expect(h.slack.channel('general')!.members.has(h.slack.botUserId)).toBe(false);
    const ack = await h.command('/incident', '', { triggerId: h.slack.issueTrigger({ ageMs: 3_500 }) });
    expect(ack.status).toBe(200);
    await h.slack.waitFor(() => h.slack.calls('views.open').some((c) => c.error === 'expired_trigger_id'), 5000, 'views.open refused');
    const answer = await h.slack.waitFor(() => h.slack.responses().find((r) => String(r.body?.text ?? '').includes('I could not open the declaration form')), 5000, 'the fallback answer');
    expect(answer.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('`/incident sev2 <title>`') });
    expect(h.slack.calls('chat.postEphemeral')).toEqual([]);
  });
});
