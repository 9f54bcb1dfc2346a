import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';

/** Without PAGERDUTY_WEBHOOK_SECRET the endpoint does not exist for PagerDuty: 404, nothing kept. */
const h = useHarness();

describe('POST /api/v1/alerts/pagerduty without a configured secret', () => {
  it('answers 404 not_configured, signed or not, and keeps nothing', async () => {
    const event = h.pagerduty.webhookEvent('warroom-INC-1', 'incident.acknowledged', { agent: 'Jane Doe' });
    for (const secret of ['any-secret-at-all-0000', 'another-secret-1111']) {
      const sent = await h.pagerduty.sendWebhook(`${h.bot.url}/api/v1/alerts/pagerduty`, secret, event);
      expect(sent).toMatchObject({ status: 404, body: { error: 'not_configured' } });
      expect(sent.body.message).toContain('PAGERDUTY_WEBHOOK_SECRET');
    }
    expect(await h.sql`select 1 from pagerduty_webhooks`).toHaveLength(0);
    expect(await h.sql`select 1 from audit_trail where action = 'pagerduty.webhook_received'`).toHaveLength(0);
  });
});
