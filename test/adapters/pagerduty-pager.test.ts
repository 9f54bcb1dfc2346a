import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PagerDutyPager, PDJS_RETRY_TIMEOUT_MS } from '../../src/adapters/pagerduty/pagerduty-pager.js';
import { nothingMoreWithin } from '../support/quiet.js';
import type { PageEvent } from '../../src/app/ports/pager.js';
import { PermanentError, TransientError } from '../../src/domain/errors.js';
import { FakePagerDuty } from '../../src/sandbox/fake-pagerduty.js';
import { Failures } from '../support/failures.js';

const PAYMENTS_KEY = 'R0UTINGKEYpaymentsAAAAAAAAAAAAAA'; // 32 chars, as PagerDuty requires
const TRADING_KEY = 'R0UTINGKEYtradingBBBBBBBBBBBBBBB';

const fake = new FakePagerDuty();
const pagers: PagerDutyPager[] = [];
/** Every error the pager threw, to check none carries a routing key. */
const failures = new Failures();
const thrown = failures.thrown;

function pager(opts: { timeoutMs?: number; ca?: string | null; eventsUrl?: string } = {}): PagerDutyPager {
  const p = new PagerDutyPager({
    eventsUrl: opts.eventsUrl ?? fake.eventsUrl,
    routingKeys: { payments: PAYMENTS_KEY, trading: TRADING_KEY, broken: 'x'.repeat(31) },
    ...(opts.ca === null ? {} : { ca: opts.ca ?? fake.caPem }),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
  pagers.push(p);
  return p;
}

function page(overrides: Partial<PageEvent> = {}): PageEvent {
  return {
    action: 'trigger',
    service: 'payments',
    dedupKey: 'warroom-INC-42',
    summary: 'SEV1 INC-42: order routing to NYSE failing',
    severity: 'critical',
    source: 'warroom',
    ...overrides,
  };
}

const failure = (p: Promise<unknown>) => failures.of(p);

beforeAll(() => fake.start());
afterEach(() => fake.reset());
afterAll(async () => {
  for (const p of pagers) p.close();
  await fake.stop();
  // Redaction check over every failure of the file.
  for (const err of thrown) {
    expect(err.message).not.toContain(PAYMENTS_KEY);
    expect(err.message).not.toContain(TRADING_KEY);
    expect(err.message).not.toContain('x'.repeat(31));
  }
});

describe('PagerDutyPager against the fake Events API (HTTPS)', () => {
  it('triggers with the full payload, links and the routing key of the service', async () => {
    await pager().send(
      page({
        component: 'order-router',
        customDetails: { incident: 42, commander: 'U123' },
        links: [{ href: 'https://slack.example/archives/C1', text: 'War room' }],
      }),
    );
    const [e] = fake.events();
    expect(e?.status).toBe(202);
    expect(e?.body).toEqual({
      routing_key: PAYMENTS_KEY,
      event_action: 'trigger',
      dedup_key: 'warroom-INC-42',
      payload: {
        summary: 'SEV1 INC-42: order routing to NYSE failing',
        source: 'warroom',
        severity: 'critical',
        component: 'order-router',
        custom_details: { incident: 42, commander: 'U123' },
      },
      links: [{ href: 'https://slack.example/archives/C1', text: 'War room' }],
    });
    expect(fake.alerts().get('warroom-INC-42')).toMatchObject({ status: 'triggered', triggers: 1 });
  });

  it('dedups two triggers into one alert, then acknowledges and resolves it with bare events', async () => {
    const p = pager();
    await p.send(page());
    await p.send(page({ summary: 'SEV1 INC-42: still failing' }));
    expect(fake.alerts().size).toBe(1);
    expect(fake.alerts().get('warroom-INC-42')).toMatchObject({ status: 'triggered', triggers: 2 });

    await p.send(page({ action: 'acknowledge' }));
    expect(fake.alerts().get('warroom-INC-42')?.status).toBe('acknowledged');
    await p.send(page({ action: 'resolve' }));
    expect(fake.alerts().get('warroom-INC-42')?.status).toBe('resolved');

    for (const action of ['acknowledge', 'resolve']) {
      const [e] = fake.events({ action });
      expect(e?.body).toEqual({ routing_key: PAYMENTS_KEY, event_action: action, dedup_key: 'warroom-INC-42' });
    }
    expect(fake.events({ status: 202 })).toHaveLength(4);
  });

  it('uses the routing key of each service', async () => {
    await pager().send(page({ service: 'trading', dedupKey: 'warroom-INC-7' }));
    expect(fake.events({ dedupKey: 'warroom-INC-7' })[0]?.body?.routing_key).toBe(TRADING_KEY);
  });

  it('truncates the summary to 1024 characters with an ellipsis (without splitting a surrogate pair)', async () => {
    const p = pager();
    await p.send(page({ summary: 'x'.repeat(3000) }));
    const summary: string = fake.events()[0]?.body?.payload.summary;
    expect(summary).toHaveLength(1024);
    expect(summary.endsWith('x…')).toBe(true);

    await p.send(page({ dedupKey: 'warroom-INC-43', summary: `${'y'.repeat(1022)}😀tail` }));
    const second: string = fake.events({ dedupKey: 'warroom-INC-43' })[0]?.body?.payload.summary;
    expect(second).toBe(`${'y'.repeat(1022)}…`);
    expect(fake.events({ status: 202 })).toHaveLength(2);
  });

  it('passes every severity through unchanged', async () => {
    const p = pager();
    for (const severity of ['critical', 'error', 'warning', 'info'] as const) {
      await p.send(page({ severity, dedupKey: `warroom-sev-${severity}` }));
      expect(fake.events({ dedupKey: `warroom-sev-${severity}` })[0]?.body?.payload.severity).toBe(severity);
    }
  });

  it('maps an injected 400 to PermanentError without retrying', async () => {
    fake.failNext(400);
    const err = await failure(pager().send(page()));
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).code).toBe('pagerduty_400');
    expect(err.message).toContain('Injected fault');
    expect(fake.events()).toHaveLength(1);
  });

  it("reports PagerDuty's validation errors in a 400 (without the routing key)", async () => {
    const err = await failure(pager().send(page({ service: 'broken' })));
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).code).toBe('pagerduty_400');
    expect(err.message).toContain("'routing_key' is invalid");
    expect(fake.events()).toHaveLength(1);
  });

  it("maps 429 to TransientError at once: pdjs's own 20 s retry never starts", async () => {
    fake.failNext(429, 4); // enough to catch pdjs's 3 retries if they happened
    const started = Date.now();
    const err = await failure(pager().send(page()));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).retryAfterMs).toBeNull();
    expect(err.message).toContain('429');
    // Give a stray retry (pdjs's 3 retries, PDJS_RETRY_TIMEOUT_MS apart) time to show up: exactly one request must have reached PagerDuty.
    await nothingMoreWithin(PDJS_RETRY_TIMEOUT_MS * 4, 'a pdjs retry');
    expect(fake.events()).toHaveLength(1);

    fake.reset();
    await pager().send(page()); // the aborted exchange left nothing broken behind
    expect(fake.events({ status: 202 })).toHaveLength(1);
  });

  it.each([500, 502, 503] as const)('maps %i to TransientError (JSON or a proxy HTML page)', async (status) => {
    fake.failNext(status);
    const err = await failure(pager().send(page()));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toContain(String(status));
    expect(fake.events()).toHaveLength(1);
  });

  it('times out with its AbortSignal and throws TransientError', async () => {
    fake.setLatency(2000);
    const started = Date.now();
    const err = await failure(pager({ timeoutMs: 300 }).send(page()));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toMatch(/within 300 ms/);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  // Chosen: TransientError. A certificate failure is usually configuration, but in production it
  // can also be a passing proxy or rotation problem, and dropping a page is worse than retrying it
  // until the queue gives up; the message names the TLS reason for whoever reads the dead letter.
  it('does not trust the self-signed certificate without `ca` (TransientError naming the reason)', async () => {
    const err = await failure(pager({ ca: null }).send(page()));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toMatch(/self[- ]signed certificate/i);
    expect(fake.events()).toHaveLength(0);
  });

  it('maps a refused connection to TransientError', async () => {
    const err = await failure(pager({ eventsUrl: 'https://127.0.0.1:1/v2/enqueue' }).send(page()));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('throws PermanentError for a service without a routing key, sending nothing', async () => {
    const err = await failure(pager().send(page({ service: 'unknown-desk' })));
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).code).toBe('unknown_pagerduty_service');
    expect(err.message).toContain('unknown-desk');
    expect(fake.events()).toHaveLength(0);
  });

  it('refuses an events URL pdjs cannot honour', () => {
    expect(() => new PagerDutyPager({ eventsUrl: 'http://127.0.0.1:8080/v2/enqueue', routingKeys: {} })).toThrow(/https/);
    expect(() => new PagerDutyPager({ eventsUrl: 'https://events.pagerduty.com/v2/other', routingKeys: {} })).toThrow(/\/v2\/enqueue/);
  });
});
