import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GATE_TOKEN, useHarness } from '../support/harness.js';

/**
 * 429 with Retry-After when the ingest cannot keep up: a bot whose alert ingest runs one at a
 * time with one waiting, while Postgres is held (the alerts table locked by the test), so the
 * ingests pile up. The third request is turned away, nothing of it is recorded, and the sender's
 * retry succeeds once Postgres moves again.
 */
const TOKEN = 'alerts-token-for-throttle-tests-0d5e';
const h = useHarness({
  bot: {
    apiTokens: [
      { name: 'ci', value: GATE_TOKEN, scopes: ['deploy-gate', 'compliance'] },
      { name: 'alertmanager', value: TOKEN, scopes: ['alerts'] },
    ],
    alertIngest: { maxInFlight: 1, maxWaiting: 1, maxWaitMs: 60_000, retryAfterS: 2 },
  },
});

async function post(path: string, body: unknown) {
  const res = await fetch(`${h.bot.url}/api/v1/alerts/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: text ? JSON.parse(text) : null };
}

const generic = (key: string) => ({ source: 'nightly-batch', dedup_key: key, status: 'firing', title: `Recon ${key}`, severity: 'warning', service: 'clearing' });
const amBatch = (keys: string[]) => ({
  version: '4',
  groupKey: '{}:{alertname="Throttled"}',
  truncatedAlerts: 0,
  status: 'firing',
  receiver: 'warroom',
  groupLabels: {},
  commonLabels: {},
  commonAnnotations: {},
  externalURL: 'http://alertmanager:9093',
  alerts: keys.map((fingerprint) => ({ status: 'firing', labels: { alertname: 'Throttled', severity: 'warning' }, annotations: {}, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint })),
});

const metrics = async () => (await fetch(`${h.bot.url}/metrics`)).text();
const gauge = async (state: string) => Number(new RegExp(`warroom_alert_ingests\\{state="${state}"\\} (\\d+)`).exec(await metrics())?.[1] ?? NaN);
const recorded = async (keys: string[]) => (await h.sql`select count(*)::int as n from alerts where dedup_key in ${h.sql(keys)}`)[0]!['n'] as number;

describe('alert ingest overload', () => {
  it('answers 429 with Retry-After once the line is full, records nothing of it, counts and logs it once, and the retry succeeds', async () => {
    const run = randomUUID().slice(0, 8);
    const [a, b] = [`a-${run}`, `b-${run}`];
    const batch = [1, 2, 3].map((i) => `c${i}-${run}`);
    const extra = `d-${run}`;
    // Normal rate first: admitted at once.
    expect((await post('generic', generic(`warm-${run}`))).status).toBe(202);

    let unlock!: () => void;
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holding = h.sql.begin(async (tx) => {
      await tx`lock table alerts in share row exclusive mode`;
      locked();
      await new Promise<void>((r) => (unlock = r));
    });
    await isLocked;
    try {
      const first = post('generic', generic(a));
      await h.slack.waitFor(async () => (await gauge('in_flight')) === 1, 5000, 'the first ingest running (blocked on the table)');
      const second = post('generic', generic(b));
      await h.slack.waitFor(async () => (await gauge('waiting')) === 1, 5000, 'the second ingest waiting for a slot');

      const third = await post('alertmanager', amBatch(batch));
      expect(third.status).toBe(429);
      expect(third.retryAfter).toBe('2');
      expect(third.body).toMatchObject({ error: 'too_many_requests' });
      const fourth = await post('generic', generic(extra));
      expect(fourth.status).toBe(429);
      // Nothing of a 429'd request is recorded, nor audited.
      expect(await recorded([...batch, extra])).toBe(0);
      const m = await metrics();
      expect(m).toMatch(/warroom_alert_requests_throttled_total\{sender="alertmanager",reason="backlog_full"\} 1\b/);
      expect(m).toMatch(/warroom_alert_requests_throttled_total\{sender="generic",reason="backlog_full"\} 1\b/);
      // Logged once for the interval (THROTTLE_LOG_EVERY_MS), not once per request.
      expect(h.logs.filter((l) => l.includes('answering 429'))).toHaveLength(1);

      unlock();
      expect(await first).toMatchObject({ status: 202, body: { accepted: 1 } });
      expect(await second).toMatchObject({ status: 202, body: { accepted: 1 } });
    } finally {
      unlock();
      await holding;
    }
    // The senders retry (Alertmanager and Datadog do on 429): recorded once, as if sent once.
    expect(await post('alertmanager', amBatch(batch))).toMatchObject({ status: 202, body: { accepted: 3, duplicates: 0 } });
    expect(await post('generic', generic(extra))).toMatchObject({ status: 202, body: { accepted: 1, duplicates: 0 } });
    expect(await recorded([a, b, ...batch, extra])).toBe(6);
    const audited = await h.sql`select count(*)::int as n from audit_trail where action = 'alert.received' and subject in ${h.sql(batch.map((k) => `alertmanager:${k}`))}`;
    expect(audited[0]!['n']).toBe(3);
    expect(await gauge('in_flight')).toBe(0);
  });
});
