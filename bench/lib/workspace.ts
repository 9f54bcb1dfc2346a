/**
 * The Slack workspace, credentials and request shapes the benchmark uses: the same cast and
 * policy groups as the test harness (test/support/harness.ts), copied here because the harness
 * depends on vitest's `inject`.
 */
import { createHmac } from 'node:crypto';
import type { FakeSlack } from '../../src/sandbox/fake-slack.js';

export const SIGNING_SECRET = 'bench-signing-secret-4b7e21';
export const BOT_TOKEN = 'xoxb-bench-token-90c3d1';
export const GATE_TOKEN = 'gate-token-for-bench-7d2e5f';
export const TWILIO = { accountSid: `AC${'0'.repeat(31)}2`, authToken: 'twilio-auth-token-for-bench-1c4d', from: '+12125550000' };

/** A 32-character routing key per PagerDuty service in the policy (as the tests make them). */
export const routingKeyFor = (service: string): string => `R${service.replace(/[^a-z0-9]/g, '').padEnd(31, '0').slice(0, 31)}`;

export const USERS = {
  alice: 'UALICE01',
  bob: 'UBOB0002',
  carol: 'UCAROL03',
  dave: 'UDAVE004',
  erin: 'UERIN005',
  frank: 'UFRANK06',
  grace: 'UGRACE07',
  heidi: 'UHEIDI08',
  ivan: 'UIVAN009',
} as const;

/** Every user and user group the default policy names, and its channels. */
export function seedWorkspace(slack: FakeSlack): void {
  const people: Array<[string, string, string]> = [
    [USERS.alice, 'alice', 'Alice Ng'],
    [USERS.bob, 'bob', 'Bob Osei'],
    [USERS.carol, 'carol', 'Carol Diaz'],
    [USERS.dave, 'dave', 'Dave Kim'],
    [USERS.erin, 'erin', 'Erin Walsh'],
    [USERS.frank, 'frank', 'Frank Moss'],
    [USERS.grace, 'grace', 'Grace Liu'],
    [USERS.heidi, 'heidi', 'Heidi Park (CEO)'],
    [USERS.ivan, 'ivan', 'Ivan Petrov (COO)'],
  ];
  people.forEach(([id, name, realName], i) => slack.addUser({ id, name, realName, phone: `+121255501${String(i + 1).padStart(2, '0')}` }));
  const groups: Array<[string, string, string[]]> = [
    ['SENGLEADS', 'eng-leads', [USERS.frank, USERS.grace]],
    ['SCTO00001', 'cto', [USERS.grace]],
    ['SEXECS001', 'executives', [USERS.heidi, USERS.ivan]],
    ['SSREMGRS1', 'sre-managers', [USERS.erin]],
    ['SSENIORLD', 'senior-leadership', [USERS.heidi, USERS.grace]],
    ['SCOMPLIAN', 'compliance', [USERS.dave]],
    ['SCMPMGRS1', 'compliance-managers', [USERS.grace]],
    ['SRISK0001', 'risk', [USERS.frank]],
    ['SOPS00001', 'operations', [USERS.carol]],
    ['SCOMMS001', 'communications', [USERS.carol]],
    ['SSREONCALL', 'sre-oncall', [USERS.alice, USERS.erin]],
    ['STRADINGOC', 'trading-oncall', [USERS.bob]],
    ['SSEV1RESP', 'sev1-responders', [USERS.alice, USERS.bob, USERS.erin]],
  ];
  for (const [id, handle, users] of groups) slack.addUserGroup({ id, handle, users });
  for (const name of ['incidents', 'compliance', 'deploy-approvals', 'general']) slack.addChannel({ name, members: Object.values(USERS) });
}

/** Slack's v0 request signature (HMAC-SHA256 of `v0:<timestamp>:<body>`). */
export function signSlack(body: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const sig = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': sig };
}

/** A slash command's form body as Slack posts it. */
export function slashCommandBody(o: { command: string; text: string; channel: string; user: string; triggerId: string; responseUrl: string }): string {
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: 'T0001',
    team_domain: 'brokerage',
    channel_id: o.channel,
    channel_name: 'general',
    user_id: o.user,
    user_name: 'someone',
    command: o.command,
    text: o.text,
    api_app_id: 'A0WARROOM',
    response_url: o.responseUrl,
    trigger_id: o.triggerId,
  }).toString();
}
