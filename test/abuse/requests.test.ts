import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { sign, SIGNING_SECRET, useHarness, USERS } from '../support/harness.js';

const h = useHarness();

const command = (text: string, trigger: string) =>
  new URLSearchParams({ command: '/incident', text, user_id: USERS.alice, channel_id: h.slack.channel('general')!.id, trigger_id: trigger, response_url: h.slack.responseUrl(trigger) }).toString();
const send = (body: string, headers: Record<string, string>) =>
  fetch(`${h.bot.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
const incidents = async () => (await h.sql`select count(*)::int as n from incidents`)[0]!['n'] as number;

describe('requests that are not from Slack', () => {
  it('forged, unsigned and replayed requests are rejected, logged and never processed', async () => {
    const before = await incidents();
    const body = command('sev1 forged outage', 'trig-forged');
    const forged = await send(body, sign(body, 'a-guessed-secret'));
    const unsigned = await send(body, {});
    // A captured request replayed six minutes later: the signature is valid for its old timestamp.
    const old = Math.floor(Date.now() / 1000) - 360;
    const replayed = await send(body, { 'x-slack-request-timestamp': String(old), 'x-slack-signature': `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${old}:${body}`).digest('hex')}` });
    // A valid signature over a different body (tampered in transit).
    const tampered = await send(command('sev1 tampered', 'trig-tampered'), sign(body));
    expect([forged.status, unsigned.status, replayed.status, tampered.status]).toEqual([401, 401, 401, 401]);
    expect(await incidents()).toBe(before);
    const logs = h.logs.join('');
    expect(logs).toMatch(/signature mismatch|Failed to verify/);
    expect(logs).toMatch(/stale|too old|x-slack-request-timestamp/i);
  });

  it('an oversized request is refused without being processed', async () => {
    const before = await incidents();
    const body = command(`sev1 ${'x'.repeat(5 * 1024 * 1024)}`, 'trig-huge');
    // Its own connection: the server answers before reading it all and then drops the socket.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${h.bot.url}/slack/events`, { method: 'POST', agent: false, headers: { 'content-type': 'application/x-www-form-urlencoded', ...sign(body) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'EPIPE' || (err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)));
      req.end(body);
    });
    expect(status).toBe(413);
    expect(await incidents()).toBe(before);
  });

  it('malformed interaction payloads get a 4xx; unknown action ids a polite ephemeral', async () => {
    const junk = 'payload=%7Bnot-json';
    const r = await send(junk, sign(junk));
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    const before = h.slack.responses().length;
    const unknown = await h.interact({
      type: 'block_actions',
      user: { id: USERS.bob },
      team: { id: 'T0001' },
      trigger_id: 'trig-x',
      response_url: h.slack.responseUrl('unknown-action'),
      container: { type: 'message' },
      actions: [{ action_id: 'legacy_escalate_now', block_id: 'b', type: 'button', value: 'x' }],
    });
    expect(unknown.status).toBe(200);
    await h.slack.waitFor(() => h.slack.responses().slice(before).some((x) => x.body?.text?.includes('That button is not one of mine')), 5000, 'polite answer');
  });
});
