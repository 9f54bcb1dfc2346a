/**
 * `npm run demo`: warroom end to end on this machine, without a Slack workspace. Starts the bot
 * against the built-in Slack sandbox (the fake Slack the tests use), signs requests the way Slack
 * does, and plays a Sev1 from declaration through the four roles to resolution, printing what
 * each channel shows.
 */
import { createHmac } from 'node:crypto';
import postgres from 'postgres';
import { parseEnv } from '../src/config/env.js';
import { loadPolicy } from '../src/config/policy-schema.js';
import { createLogger } from '../src/logger.js';
import { FakeSlack } from '../src/sandbox/fake-slack.js';
import { FakePagerDuty } from '../src/sandbox/fake-pagerduty.js';
import { FakeTwilio } from '../src/sandbox/fake-twilio.js';
import { startWarroom } from '../src/server.js';
import { ACTION, encodeRoleTarget } from '../src/adapters/slack/ids.js';

const SECRET = 'demo-signing-secret';
const TOKEN = 'xoxb-demo-token';
const adminUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = 'warroom_demo';
const dbUrl = (() => {
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  return u.toString();
})();

const people = { alice: 'UALICE01', bob: 'UBOB0002', carol: 'UCAROL03', dave: 'UDAVE004', erin: 'UERIN005', heidi: 'UHEIDI08' };
const names: Record<string, string> = { UALICE01: 'alice (SRE)', UBOB0002: 'bob (trading eng)', UCAROL03: 'carol (comms)', UDAVE004: 'dave (desk)', UERIN005: 'erin (SRE mgr)', UHEIDI08: 'heidi (CEO)' };

const step = (title: string) => console.log(`\n\x1b[1m▶ ${title}\x1b[0m`);
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  // A fresh demo database each run, so the story starts at INC-1.
  const admin = postgres(adminUrl.replace(/\/[^/]*$/, '/postgres'), { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${dbName} with (force)`);
  await admin.unsafe(`create database ${dbName}`);
  await admin.end();

  const slack = new FakeSlack({ botToken: TOKEN });
  await slack.start();
  // PagerDuty and Twilio sandboxes too: the Sev1 pages and texts people, nowhere real.
  const pagerduty = new FakePagerDuty();
  await pagerduty.start();
  const twilio = new FakeTwilio({ accountSid: `AC${'d'.repeat(32)}`, authToken: 'demo-twilio-auth-token' });
  await twilio.start();
  for (const [key, id] of Object.entries(people)) slack.addUser({ id, name: key, realName: names[id]!, phone: `+1212555${id.slice(-4).replace(/\D/g, '0')}` });
  slack.addUserGroup({ id: 'SEXECS001', handle: 'executives', users: [people.heidi] });
  slack.addUserGroup({ id: 'SSREMGRS1', handle: 'sre-managers', users: [people.erin] });
  slack.addUserGroup({ id: 'SSENIORLD', handle: 'senior-leadership', users: [people.heidi] });
  slack.addUserGroup({ id: 'SCOMPLIAN', handle: 'compliance', users: [people.dave] });
  slack.addUserGroup({ id: 'SCOMMS001', handle: 'communications', users: [people.carol] });
  slack.addChannel({ name: 'compliance', members: Object.values(people) });
  slack.addUserGroup({ id: 'SSREONCALL', handle: 'sre-oncall', users: [people.alice, people.erin] });
  slack.addUserGroup({ id: 'STRADINGOC', handle: 'trading-oncall', users: [people.bob] });
  slack.addUserGroup({ id: 'SSEV1RESP', handle: 'sev1-responders', users: [people.alice, people.bob, people.erin] });
  const general = slack.addChannel({ name: 'trading-floor', members: Object.values(people) });
  slack.addChannel({ name: 'incidents', members: Object.values(people) });

  const env = parseEnv({
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.apiUrl,
    DATABASE_URL: dbUrl,
    PAGERDUTY_EVENTS_URL: pagerduty.eventsUrl,
    REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: `{warroom-demo-${process.pid}}`,
    PORT: '0',
    LOG_LEVEL: 'warn',
  });
  const log = createLogger({ level: 'warn', secrets: [TOKEN, SECRET] });
  const policy = loadPolicy(process.env['WARROOM_POLICY']);
  const bot = await startWarroom({
    env,
    policy,
    log,
    queue: { backoffMs: 200, reconcileEveryMs: 2000 },
    routingKeys: Object.fromEntries(Object.keys(policy.pagerduty.services).map((s) => [s, s.replace(/[^a-z0-9]/g, '').padEnd(32, '0').slice(0, 32)])),
    pagerCa: pagerduty.caPem,
    twilio: { accountSid: `AC${'d'.repeat(32)}`, authToken: 'demo-twilio-auth-token', from: '+12125550000', apiUrl: twilio.apiUrl },
  });
  console.log(`warroom listening on ${bot.url} (Slack sandbox at ${slack.baseUrl})`);

  const signed = async (body: string) => {
    const ts = Math.floor(Date.now() / 1000);
    const sig = `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
    const res = await fetch(`${bot.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': sig }, body });
    const text = await res.text();
    return text ? (JSON.parse(text) as { text?: string }) : {};
  };
  let n = 0;
  const command = (user: string, channel: string, text: string) =>
    signed(new URLSearchParams({ command: '/incident', text, user_id: user, channel_id: channel, team_id: 'T0001', trigger_id: `demo-${++n}`, response_url: slack.responseUrl(`demo-${n}`) }).toString());
  const click = (user: string, channel: string, ts: string, action: Record<string, unknown>) =>
    signed(new URLSearchParams({ payload: JSON.stringify({ type: 'block_actions', user: { id: user }, team: { id: 'T0001' }, channel: { id: channel }, container: { type: 'message', channel_id: channel, message_ts: ts }, message: { ts }, response_url: slack.responseUrl(`demo-a-${++n}`), trigger_id: `demo-${n}`, actions: [action] }) }).toString());

  try {
    step(`${names[people.bob]} in #trading-floor: /incident sev1 Order routing down for equities`);
    const ack = await command(people.bob, general, 'sev1 Order routing down for equities');
    console.log(`  (ephemeral to bob) ${ack.text}`);
    const id = Number(/INC-(\d+)/.exec(ack.text ?? '')?.[1]);
    const room = await slack.waitFor(() => slack.channels().find((c) => c.name.startsWith(`inc-${id}-`) && c.pins.size > 0), 10_000, 'war room');
    const header = [...room.pins][0]!;
    const role = (r: string) => encodeRoleTarget(id, r);

    await pagerduty.waitFor(() => pagerduty.events({ action: 'trigger' }).length > 0, 10_000, 'page');
    await twilio.waitFor(() => twilio.messages().length > 0, 10_000, 'sms');
    step('On declaration the Sev1 ladder fired: PagerDuty and SMS (sandboxes)');
    for (const e of pagerduty.events()) console.log(`  PagerDuty ${e.body?.['event_action']} ${e.body?.['dedup_key']}: ${e.body?.['payload']?.['summary'] ?? ''} (${e.body?.['payload']?.['severity'] ?? ''}) → HTTP ${e.status}`);
    for (const m of twilio.messages()) console.log(`  SMS to ${m.to}: "${m.body}" (${m.segments} segment${m.segments > 1 ? 's' : ''})`);

    step(`${names[people.alice]} presses "Take" on Incident Commander (the response: escalation stops)`);
    await click(people.alice, room.id, header, { action_id: ACTION.roleTake, type: 'button', value: role('incident_commander') });
    step('alice assigns Technical Lead → bob, Communications Lead → carol, Business Lead → dave');
    await click(people.alice, room.id, header, { action_id: ACTION.roleAssign, type: 'users_select', block_id: role('technical_lead'), selected_user: people.bob });
    await click(people.alice, room.id, header, { action_id: ACTION.roleAssign, type: 'users_select', block_id: role('communications_lead'), selected_user: people.carol });
    await click(people.alice, room.id, header, { action_id: ACTION.roleAssign, type: 'users_select', block_id: role('business_lead'), selected_user: people.dave });
    await slack.waitFor(() => room.members.has(people.carol) && room.messages.filter((m) => m.text.includes(' is now ')).length === 4, 10_000, 'roles');

    step('bob, mid-incident: /deploy-window standard (the Sev1 freezes releases)');
    const dw = await signed(new URLSearchParams({ command: '/deploy-window', text: 'standard', user_id: people.bob, channel_id: general, team_id: 'T0001', trigger_id: `demo-${++n}`, response_url: slack.responseUrl(`demo-${n}`) }).toString());
    console.log(dw.text?.replace(/^/gm, '  '));

    step('alice: /incident status Failing over order router to DC2; equities orders queued');
    await command(people.alice, room.id, 'status Failing over order router to DC2; equities orders queued');
    step('alice: /incident resolve Routing restored on DC2 at 10:42; queued orders released');
    console.log(`  (ephemeral) ${(await command(people.alice, room.id, 'resolve Routing restored on DC2 at 10:42; queued orders released')).text}`);
    await slack.waitFor(() => room.topic.includes('RESOLVED'), 10_000, 'resolved topic');
    await wait(300);
    step('alice: /incident timeline');
    console.log((await command(people.alice, room.id, 'timeline')).text?.replace(/^/gm, '  '));

    await pagerduty.waitFor(() => pagerduty.events({ action: 'resolve' }).length > 0, 10_000, 'PD resolve');
    step('PagerDuty after the response and the resolution');
    for (const e of pagerduty.events().filter((x) => x.body?.['event_action'] !== 'trigger')) console.log(`  PagerDuty ${e.body?.['event_action']} ${e.body?.['dedup_key']} → HTTP ${e.status}`);

    step('What Slack shows now');
    console.log(slack.render());
  } finally {
    await bot.stop();
    await slack.stop();
    await pagerduty.stop();
    await twilio.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('demo failed:', err);
    process.exit(1);
  },
);
