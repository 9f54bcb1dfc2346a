import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parsePagerDutyWebhook, warroomIncidentOf } from '../../src/app/pagerduty-webhook.js';
import { verifyPagerDutySignature } from '../../src/http/pagerduty-webhook.js';

/** The incident.priority_updated example of PagerDuty's webhook v3 documentation, trimmed. */
const documented = () => ({
  event: {
    id: '5ac64822-4adc-4fda-ade0-410becf0de4f',
    event_type: 'incident.priority_updated',
    resource_type: 'incident',
    occurred_at: '2020-10-02T18:45:22.169Z',
    agent: { html_url: 'https://acme.pagerduty.com/users/PLH1HKV', id: 'PLH1HKV', self: 'https://api.pagerduty.com/users/PLH1HKV', summary: 'Tenex Engineer', type: 'user_reference' },
    client: { name: 'PagerDuty' },
    data: {
      id: 'PGR0VU2',
      type: 'incident',
      self: 'https://api.pagerduty.com/incidents/PGR0VU2',
      html_url: 'https://acme.pagerduty.com/incidents/PGR0VU2',
      number: 2,
      status: 'triggered',
      incident_key: 'd3640fbd41094207a1c11e58e46b1662',
      created_at: '2020-04-09T15:16:27Z',
      title: 'A little bump in the road',
      service: { html_url: 'https://acme.pagerduty.com/services/PF9KMXH', id: 'PF9KMXH', self: 'https://api.pagerduty.com/services/PF9KMXH', summary: 'API Service', type: 'service_reference' },
      assignees: [{ html_url: 'https://acme.pagerduty.com/users/PTUXL6G', id: 'PTUXL6G', self: 'https://api.pagerduty.com/users/PTUXL6G', summary: 'User 123', type: 'user_reference' }],
      escalation_policy: { html_url: 'https://acme.pagerduty.com/escalation_policies/PUS0KTE', id: 'PUS0KTE', summary: 'Default', type: 'escalation_policy_reference' },
      teams: [],
      priority: { id: 'PSO75BM', summary: 'P1', type: 'priority_reference' },
      urgency: 'high',
      conference_bridge: { conference_number: '+1 1234123412,,987654321#', conference_url: 'https://example.com' },
      resolve_reason: null,
    },
  },
});

describe('the PagerDuty webhook v3 envelope', () => {
  it("reads PagerDuty's documented example", () => {
    const parsed = parsePagerDutyWebhook(documented());
    expect(parsed).toMatchObject({ ok: true, event: { type: 'incident.priority_updated', agent: { id: 'PLH1HKV', name: 'Tenex Engineer' }, incident: { id: 'PGR0VU2', number: 2, incident_key: 'd3640fbd41094207a1c11e58e46b1662' } } });
  });

  it('takes a service event (no incident) and a null agent', () => {
    const ev = { event: { id: '01BRB6ZP4M6T8ZG4X6BP63ZB9O', event_type: 'service.updated', resource_type: 'service', occurred_at: '2021-03-02T13:35:11.682Z', agent: null, client: null, data: { id: 'PF9KMXH', type: 'service' } } };
    expect(parsePagerDutyWebhook(ev)).toMatchObject({ ok: true, event: { incident: null, agent: { id: null, name: null } } });
  });

  it('names the JSON path of the first problem', () => {
    const cases: Array<[(b: any) => void, string]> = [
      [(b) => delete b.event, '$.event'],
      [(b) => (b.event.occurred_at = 'yesterday'), '$.event.occurred_at'],
      [(b) => (b.event.event_type = 'Incident Acknowledged'), '$.event.event_type'],
      [(b) => (b.event.data = []), '$.event.data'],
      [(b) => (b.event.data.number = '2'), '$.event.data.number'],
      [(b) => (b.event.data.assignees[0].summary = 7), '$.event.data.assignees[0].summary'],
    ];
    for (const [mutate, path] of cases) {
      const body = documented();
      mutate(body);
      expect(parsePagerDutyWebhook(body)).toMatchObject({ ok: false, path });
    }
    expect(parsePagerDutyWebhook(null)).toMatchObject({ ok: false, path: '$' });
  });

  it('an acknowledged event must carry an incident', () => {
    const body: any = documented();
    body.event.event_type = 'incident.acknowledged';
    body.event.data = { type: 'incident_note', id: 'P2LA89X' };
    expect(parsePagerDutyWebhook(body)).toMatchObject({ ok: false, path: '$.event.data.type' });
  });

  it('matches only the incident keys warroom pages with', () => {
    expect(warroomIncidentOf('warroom-INC-42')).toBe(42);
    for (const k of ['warroom-INC-', 'warroom-INC-42-x', 'xwarroom-INC-42', 'warroom-inc-42', 'warroom-INC-1234567890', null, undefined]) expect(warroomIncidentOf(k)).toBeNull();
  });
});

describe('X-PagerDuty-Signature', () => {
  const raw = Buffer.from(JSON.stringify(documented()));
  const sig = (secret: string, body: Buffer = raw) => `v1=${createHmac('sha256', secret).update(body).digest('hex')}`;

  it('accepts any one matching v1 signature among several (rotation), in either case of hex', () => {
    expect(verifyPagerDutySignature(sig('s3cret-new'), raw, 's3cret-new')).toBe(true);
    expect(verifyPagerDutySignature(`${sig('s3cret-old')},${sig('s3cret-new')}`, raw, 's3cret-new')).toBe(true);
    expect(verifyPagerDutySignature(`${sig('s3cret-new')}, ${sig('s3cret-old')}`, raw, 's3cret-new')).toBe(true);
    expect(verifyPagerDutySignature(sig('s3cret-new').toUpperCase().replace('V1=', 'v1='), raw, 's3cret-new')).toBe(true);
  });

  it('refuses other secrets, other bodies, other versions and malformed values', () => {
    expect(verifyPagerDutySignature(sig('s3cret-old'), raw, 's3cret-new')).toBe(false);
    expect(verifyPagerDutySignature(sig('s3cret-new', Buffer.from(`${raw.toString()} `)), raw, 's3cret-new')).toBe(false);
    expect(verifyPagerDutySignature(sig('s3cret-new').replace('v1=', 'v2='), raw, 's3cret-new')).toBe(false);
    expect(verifyPagerDutySignature(sig('s3cret-new').slice(0, -2), raw, 's3cret-new')).toBe(false);
    expect(verifyPagerDutySignature('', raw, 's3cret-new')).toBe(false);
  });
});
