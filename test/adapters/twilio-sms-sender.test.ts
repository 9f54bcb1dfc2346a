import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TwilioSmsSender } from '../../src/adapters/twilio/twilio-sms-sender.js';
import { PermanentError, TransientError } from '../../src/domain/errors.js';
import { countSegments, FakeTwilio } from '../../src/sandbox/fake-twilio.js';
import { Failures } from '../support/failures.js';

const ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
const AUTH_TOKEN = 'authtoken-s3cr3t-do-not-leak-9f8e7d';
const FROM = '+15005550006';
const ALICE = '+12125550101';
const BOB = '+12125550102';

const fake = new FakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
const failures = new Failures();
const thrown = failures.thrown;

function sender(opts: { authToken?: string; apiUrl?: string; timeoutMs?: number } = {}): TwilioSmsSender {
  return new TwilioSmsSender({
    apiUrl: opts.apiUrl ?? fake.apiUrl,
    accountSid: ACCOUNT_SID,
    authToken: opts.authToken ?? AUTH_TOKEN,
    from: FROM,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
}

const failure = (p: Promise<unknown>) => failures.of(p);

beforeAll(() => fake.start());
afterEach(() => fake.reset());
afterAll(async () => {
  await fake.stop();
  expect(thrown.length).toBeGreaterThan(5);
  for (const err of thrown) {
    const text = `${err.message}\n${err.stack ?? ''}`;
    expect(text).not.toContain(AUTH_TOKEN);
    expect(text).not.toContain('wrong-token-also-secret');
    expect(text).not.toContain(Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64'));
  }
});

describe('TwilioSmsSender against the fake Messages API', () => {
  it('sends a message and returns its sid', async () => {
    const { id } = await sender().send(ALICE, 'SEV1 INC-42: order routing failing. Join #inc-42');
    expect(id).toMatch(/^SM[0-9a-f]{32}$/);
    expect(fake.messages()).toEqual([
      expect.objectContaining({ sid: id, to: ALICE, from: FROM, body: 'SEV1 INC-42: order routing failing. Join #inc-42', segments: 1, encoding: 'GSM-7' }),
    ]);
  });

  it('records segments: GSM-7 153 per part, UCS-2 67 per part', async () => {
    const s = sender();
    await s.send(ALICE, 'a'.repeat(200));
    await s.send(BOB, `🚨 ${'b'.repeat(150)}`);
    expect(fake.messages().map((m) => [m.encoding, m.segments])).toEqual([
      ['GSM-7', 2],
      ['UCS-2', 3],
    ]);
  });

  it('counts segments like a handset', () => {
    expect(countSegments('a'.repeat(160))).toEqual({ segments: 1, encoding: 'GSM-7' });
    expect(countSegments('a'.repeat(161)).segments).toBe(2);
    expect(countSegments('a'.repeat(306)).segments).toBe(2);
    expect(countSegments('a'.repeat(307)).segments).toBe(3);
    expect(countSegments('€'.repeat(80)).segments).toBe(1); // extension characters cost two septets
    expect(countSegments('€'.repeat(81)).segments).toBe(2);
    expect(countSegments('é'.repeat(70)).encoding).toBe('GSM-7');
    expect(countSegments('ç'.repeat(70))).toEqual({ segments: 1, encoding: 'UCS-2' });
    expect(countSegments('ç'.repeat(71)).segments).toBe(2);
  });

  it.each([21211, 21610] as const)('maps a %i for one number to PermanentError with that code', async (code) => {
    fake.failNumber(BOB, code);
    const err = await failure(sender().send(BOB, 'page'));
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).code).toBe(String(code));
    expect(err.message).not.toContain(BOB); // phone numbers are masked
    await sender().send(ALICE, 'page'); // others still get through
    expect(fake.messages().map((m) => m.to)).toEqual([ALICE]);
    expect(fake.requests().filter((r) => r.to === BOB)).toHaveLength(1);
  });

  it('rejects a number that is not E.164 with 21211', async () => {
    const err = await failure(sender().send('212-555-0101', 'page'));
    expect((err as PermanentError).code).toBe('21211');
  });

  it('rejects a body over 1600 characters with 21617', async () => {
    const err = await failure(sender().send(ALICE, 'z'.repeat(1601)));
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).code).toBe('21617');
  });

  it('maps 20429 to TransientError, with Retry-After when Twilio sends one', async () => {
    fake.failNext({ code: 20429, status: 429, retryAfter: 2 });
    fake.failNext({ code: 20429, status: 429 });
    const first = await failure(sender().send(ALICE, 'page'));
    expect(first).toBeInstanceOf(TransientError);
    expect((first as TransientError).retryAfterMs).toBe(2000);
    expect(first.message).toContain('20429');
    const second = await failure(sender().send(ALICE, 'page'));
    expect((second as TransientError).retryAfterMs).toBeNull();
    await sender().send(ALICE, 'page');
    expect(fake.messages()).toHaveLength(1);
  });

  it.each([500, 503] as const)('maps %i to TransientError', async (status) => {
    fake.failNext({ status });
    const err = await failure(sender().send(ALICE, 'page'));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toContain(String(status));
  });

  it('maps bad credentials to PermanentError 20003', async () => {
    const err = await failure(sender({ authToken: 'wrong-token-also-secret' }).send(ALICE, 'page'));
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).code).toBe('20003');
    expect(fake.messages()).toHaveLength(0);
  });

  it('maps a refused connection to TransientError', async () => {
    // A port that was just free (fetch refuses "bad ports" such as 1 before connecting).
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const err = await failure(sender({ apiUrl: `http://127.0.0.1:${port}` }).send(ALICE, 'page'));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('times out and throws TransientError', async () => {
    const silent: Server = createServer(() => {}); // accepts and never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    try {
      const started = Date.now();
      const err = await failure(sender({ apiUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, timeoutMs: 200 }).send(ALICE, 'page'));
      expect(err).toBeInstanceOf(TransientError);
      expect(err.message).toMatch(/within 200 ms/);
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });
});
