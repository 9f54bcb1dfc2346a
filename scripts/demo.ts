/**
 * `npm run demo`: warroom end to end on this machine, without a Slack workspace. Starts the bot
 * against the built-in sandboxes (the fake Slack, PagerDuty and Twilio the tests use), signs
 * requests the way Slack does, and plays a slice of a day on the desk: a Sev1 whose escalation
 * climbs a step because nobody answered, until someone takes command, with releases frozen until
 * it is resolved; meanwhile two compliance deadlines (one done by its job over the HTTP API, one
 * missed and escalated). It prints what people would read in Slack, and every channel at the end.
 *
 * Output: every time shown is the real clock (ET); no colours unless stdout is a terminal and
 * NO_COLOR is unset; each step waits for the state it shows, so the lines come in the same order
 * on every run. Its database and Redis keys are unique to the run and removed at the end, also
 * after a failure or Ctrl-C.
 */
import { createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import { DateTime } from 'luxon';
import { parseEnv } from '../src/config/env.js';
import { createLogger } from '../src/logger.js';
import { migrateDatabase } from '../src/adapters/postgres/database.js';
import { FakeSlack, type FakeMessage } from '../src/sandbox/fake-slack.js';
import { FakePagerDuty, type RecordedPagerDutyEvent } from '../src/sandbox/fake-pagerduty.js';
import { FakeTwilio } from '../src/sandbox/fake-twilio.js';
import { directoryOf, messageLines, mrkdwnToText, renderWorkspace, clockTime, type Directory } from '../src/sandbox/render.js';
import { startWarroom, type Warroom } from '../src/server.js';
import { ACTION, encodeRoleTarget } from '../src/adapters/slack/ids.js';
import { waitForOneDate } from './demo/clock.js';
import { DEMO_LADDER, DEMO_SPAN_MS, DEMO_TASK_CHANNEL, DEMO_TASKS, demoPolicy } from './demo/policy.js';
import { DemoResources } from './demo/resources.js';
import { useColor } from './demo/output.js';

const SECRET = 'demo-signing-secret';
const TOKEN = 'xoxb-demo-token';
const API_TOKEN = 'demo-reporting-job-token';
const TWILIO = { accountSid: `AC${'d'.repeat(32)}`, authToken: 'demo-twilio-auth-token', from: '+12125550000' };
const ZONE = 'America/New_York';
/** How long any one step may take before the demo gives up (it normally takes well under a second). */
const STEP_TIMEOUT_MS = 20_000;

const CAST = {
  alice: { id: 'UALICE01', about: 'SRE on call', phone: '+12125550101' },
  bob: { id: 'UBOB0002', about: 'trading platform engineer', phone: '+12125550102' },
  carol: { id: 'UCAROL03', about: 'communications', phone: '+12125550103' },
  dave: { id: 'UDAVE004', about: 'trading desk and compliance', phone: '+12125550104' },
  erin: { id: 'UERIN005', about: 'SRE manager', phone: '+12125550105' },
  frank: { id: 'UFRANK06', about: 'head of compliance', phone: '+12125550106' },
  heidi: { id: 'UHEIDI08', about: 'CEO', phone: '+12125550108' },
} as const;
type Person = keyof typeof CAST;
const GROUPS: Array<[id: string, handle: string, members: Person[]]> = [
  ['SSREONCALL', 'sre-oncall', ['alice', 'erin']],
  ['STRADINGOC', 'trading-oncall', ['bob']],
  ['SSEV1RESP', 'sev1-responders', ['alice', 'bob', 'erin']],
  ['SEXECS001', 'executives', ['heidi']],
  ['SSREMGRS1', 'sre-managers', ['erin']],
  ['SSENIORLD', 'senior-leadership', ['heidi']],
  ['SCOMPLIAN', 'compliance', ['dave']],
  ['SCMPMGRS1', 'compliance-managers', ['frank']],
  ['SCOMMS001', 'communications', ['carol']],
];

// --- output ------------------------------------------------------------------------------------

const color = useColor(process.stdout, process.env);
const bold = (s: string) => (color ? `\x1b[1m${s}\x1b[22m` : s);
const print = (line = '') => process.stdout.write(`${line}\n`);
const heading = (title: string) => print(`\n${bold(`▶ ${title}`)}`);
const who = (p: Person) => `${p} (${CAST[p].about})`;

// --- lifecycle: everything the demo starts is stopped, everything it creates is removed ---------

const resources = new DemoResources(process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres', process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
const stops: Array<() => Promise<unknown>> = [];
const logs: string[] = [];
let databaseCreated = false;
let teardown: Promise<void> | null = null;
let interrupted = false;

async function bounded(what: string, ms: number, fn: () => Promise<unknown>): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([fn(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer after ${ms} ms`)), ms)))]);
  } catch (err) {
    process.stderr.write(`cleanup: ${what} failed: ${(err as Error).message}\n`);
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

function cleanUp(): Promise<void> {
  teardown ??= (async () => {
    for (const stop of stops.reverse()) await bounded('stopping', 15_000, stop);
    if (databaseCreated) await bounded(`dropping database ${resources.database}`, 15_000, () => resources.dropDatabase());
    const keys = await bounded(`deleting Redis keys ${resources.redisPrefix}:*`, 15_000, () => resources.deleteRedisKeys());
    const what = `${databaseCreated ? `database ${resources.database}` : 'no database'} and ${typeof keys === 'number' ? keys : 'the'} Redis keys under ${resources.redisPrefix}`;
    (interrupted ? process.stderr : process.stdout).write(`\nRemoved the demo's ${what}.\n`);
  })();
  return teardown;
}

let interruptedAt = 0;
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  // `process.on`, not `once`: with no listener left, a second signal would end the process (tsx
  // exits on it) in the middle of the clean-up. One Ctrl-C under `npm run` arrives more than once
  // (the terminal signals the whole process group, and npm and tsx relay it), so a repeat within
  // 2 s is the same Ctrl-C; a later one means "now", and says what is left.
  process.on(signal, () => {
    if (interrupted) {
      if (Date.now() - interruptedAt < 2000) return;
      process.stderr.write(`${signal} again: exiting before the clean-up finished; drop database ${resources.database} and delete the Redis keys ${resources.redisPrefix}:* yourself.\n`);
      process.exit(code);
    }
    interrupted = true;
    interruptedAt = Date.now();
    process.stderr.write(`\n${signal}: stopping the demo and removing its database and Redis keys…\n`);
    void cleanUp().finally(() => process.exit(code));
  });
}

// --- the story ---------------------------------------------------------------------------------

async function main(): Promise<void> {
  print('warroom demo: the bot against Slack, PagerDuty and Twilio sandboxes on this machine (no Slack workspace needed).');
  print(`Sandbox: database ${resources.database} and Redis prefix ${resources.redisPrefix}, both removed at the end.`);
  print(`Demo timing: the Sev1 ladder climbs after ${DEMO_LADDER.step2} s and ${DEMO_LADDER.step3} s without a response (5 and 10 minutes in the policy); two compliance tasks fall due about ${DEMO_TASKS.missed.due} s after the start.`);

  databaseCreated = true; // from here on, cleaning up drops it (if it exists)
  await resources.createDatabase();
  await migrateDatabase(resources.databaseUrl);

  // The compliance tasks are wall-clock times a few seconds from now: keep them on one date.
  for (let wait = waitForOneDate(DateTime.now(), DEMO_SPAN_MS, ZONE); wait > 0; wait = waitForOneDate(DateTime.now(), DEMO_SPAN_MS, ZONE)) {
    print(`It is ${clockTime(Date.now(), ZONE)}: the demo's deadlines, seconds from now, would cross midnight (or a DST change); waiting ${Math.ceil(wait / 1000)} s for it to pass.`);
    await new Promise((r) => setTimeout(r, wait));
  }

  const slack = new FakeSlack({ botToken: TOKEN });
  await slack.start();
  stops.push(() => slack.stop());
  const pagerduty = new FakePagerDuty();
  await pagerduty.start();
  stops.push(() => pagerduty.stop());
  const twilio = new FakeTwilio({ accountSid: TWILIO.accountSid, authToken: TWILIO.authToken });
  await twilio.start();
  stops.push(() => twilio.stop());

  const id = (p: Person) => CAST[p].id;
  for (const [name, p] of Object.entries(CAST)) slack.addUser({ id: p.id, name, realName: `${name} (${p.about})`, phone: p.phone });
  for (const [gid, handle, members] of GROUPS) slack.addUserGroup({ id: gid, handle, users: members.map(id) });
  const everyone = Object.values(CAST).map((p) => p.id);
  for (const name of ['compliance', 'trading-floor', 'incidents', DEMO_TASK_CHANNEL]) slack.addChannel({ name, members: everyone });
  const floor = slack.channel('trading-floor')!.id;
  const compliance = slack.channel('compliance')!;
  const deadlines = slack.channel(DEMO_TASK_CHANNEL)!;
  // Planned now, just before the bot starts: its deadlines are a few seconds from the real clock.
  const { policy, schedule } = demoPolicy(DateTime.now());

  const routingKeys = Object.fromEntries(Object.keys(policy.pagerduty.services).map((s) => [s, s.replace(/[^a-z0-9]/g, '').padEnd(32, '0').slice(0, 32)]));
  const serviceOf = (key: string) => Object.entries(routingKeys).find(([, k]) => k === key)?.[0] ?? key;
  const env = parseEnv({
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.apiUrl,
    DATABASE_URL: resources.databaseUrl,
    PAGERDUTY_EVENTS_URL: pagerduty.eventsUrl,
    REDIS_URL: resources.redisUrl,
    REDIS_PREFIX: resources.redisPrefix,
    PORT: '0',
    LOG_LEVEL: 'warn',
  });
  // The bot's own log is kept aside (and shown if the demo fails): the output is what people see.
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const log = createLogger({ level: 'warn', secrets: [TOKEN, SECRET, API_TOKEN, TWILIO.authToken], destination: sink });
  const starting = startWarroom({
    env,
    policy,
    log,
    // One job at a time: the bot's messages reach Slack in the order they were decided, every run.
    queue: { backoffMs: 200, reconcileEveryMs: 2000, concurrency: 1 },
    routingKeys,
    pagerCa: pagerduty.caPem,
    twilio: { ...TWILIO, apiUrl: twilio.apiUrl },
    apiTokens: [{ name: 'ci', value: API_TOKEN, scopes: ['deploy-gate', 'compliance'] }],
  });
  // Registered before it is up: a Ctrl-C during the start still stops it before the keys go.
  stops.push(async () => (await starting).stop());
  const bot: Warroom = await starting;

  // --- talking to the bot the way Slack does ---
  const signed = async (body: string): Promise<{ text?: string }> => {
    const ts = Math.floor(Date.now() / 1000);
    const sig = `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
    const res = await fetch(`${bot.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': sig }, body });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`the bot answered ${res.status}: ${text}`);
    return text ? (JSON.parse(text) as { text?: string }) : {};
  };
  let n = 0;
  const command = (name: string, user: Person, channel: string, text: string) =>
    signed(new URLSearchParams({ command: name, text, user_id: id(user), channel_id: channel, team_id: 'T0001', trigger_id: `demo-${++n}`, response_url: slack.responseUrl(`demo-${n}`) }).toString());
  const click = (user: Person, channel: string, ts: string, action: Record<string, unknown>) =>
    signed(new URLSearchParams({ payload: JSON.stringify({ type: 'block_actions', user: { id: id(user) }, team: { id: 'T0001' }, channel: { id: channel }, container: { type: 'message', channel_id: channel, message_ts: ts }, message: { ts }, response_url: slack.responseUrl(`demo-a-${++n}`), trigger_id: `demo-${n}`, actions: [action] }) }).toString());

  // --- reading what people see ---
  let dir: Directory = await directoryOf(slack);
  const read = (text: string) => mrkdwnToText(text, dir, ZONE);
  const show = async (where: string, m: FakeMessage) => {
    dir = await directoryOf(slack);
    print(`  ${where}:`);
    for (const l of messageLines(m, dir, ZONE)) print(`    ${l}`);
  };
  const reply = (to: Person, r: { text?: string }) => {
    const [first = '', ...rest] = read(r.text ?? '(no reply)').split('\n');
    print(`  only ${to} sees: ${first}`);
    for (const l of rest) print(`    ${l}`);
  };
  const waitFor = <T>(what: string, probe: () => T | undefined | null | false) => slack.waitFor(probe, STEP_TIMEOUT_MS, what);
  const blocksOf = (m: FakeMessage | undefined) => JSON.stringify(m?.blocks ?? []);
  // The deadlines channel as each message was first posted (cards are edited in place later):
  // the story shows a card as posted even when the bot was quicker than the story.
  const firstSeen = new Map<string, FakeMessage>();
  const recorder = setInterval(() => {
    for (const m of deadlines.messages) if (!firstSeen.has(m.ts)) firstSeen.set(m.ts, structuredClone(m));
  }, 20);
  stops.push(async () => clearInterval(recorder));
  const card = (title: string) => deadlines.messages.find((m) => m.blocks?.[0]?.text?.text?.startsWith(title) && firstSeen.has(m.ts));
  const asPosted = (m: FakeMessage) => firstSeen.get(m.ts) ?? m;
  const where = `#${DEMO_TASK_CHANNEL}`;
  const phoneOwner = (phone: string) => (Object.entries(CAST).find(([, p]) => p.phone === phone)?.[0] ?? phone) as string;
  const sms = (to: Person) => twilio.messages().find((m) => m.to === CAST[to].phone);
  const smsLine = (m: { to: string; body: string; at: Date }) => `  ${clockTime(m.at.getTime(), ZONE)}  SMS to ${phoneOwner(m.to)} (${m.to}): "${m.body}"`;
  const pdLine = (e: RecordedPagerDutyEvent) => {
    const b = e.body ?? {};
    const summary = b['payload']?.['summary'] ? `: ${String(b['payload']['summary'])} (${String(b['payload']['severity'])})` : '';
    return `  ${clockTime(e.receivedAt.getTime(), ZONE)}  PagerDuty ${String(b['event_action'])} ${String(b['dedup_key'])} → ${serviceOf(String(b['routing_key']))}${summary} — HTTP ${e.status}`;
  };
  const pd = (action: string, dedupKey: string) => pagerduty.waitFor(() => pagerduty.events({ action, dedupKey })[0], STEP_TIMEOUT_MS, `PagerDuty ${action} ${dedupKey}`);

  // =============================================================================================
  heading(`${who('bob')} in #trading-floor: /incident sev1 Order routing down for equities`);
  const ack = await command('/incident', 'bob', floor, 'sev1 Order routing down for equities');
  reply('bob', ack);
  const incident = Number(/INC-(\d+)/.exec(ack.text ?? '')?.[1]);
  if (!incident) throw new Error(`no incident number in the reply: ${ack.text}`);
  const room = await waitFor('the war room', () => slack.channels().find((c) => c.name.startsWith(`inc-${incident}-`) && c.pins.size > 0));
  const header = () => room.messages.find((m) => m.ts === [...room.pins][0]);
  const roomMsg = (pred: (text: string) => boolean) => room.messages.find((m) => pred(m.text));
  const stepOne = await waitFor('the first step in the war room', () => roomMsg((t) => t.startsWith(':stopwatch: On declaration')));
  const checklist = await waitFor('the regulatory checklist', () => compliance.messages.find((m) => m.text.startsWith(`Regulatory checklist for INC-${incident}`)));
  const announced = await waitFor('the announcement', () => slack.channel('incidents')!.messages.find((m) => m.text.includes(`INC-${incident}`)));
  const page = await pd('trigger', `warroom-INC-${incident}`);
  const execSms = await waitFor('the SMS to the executives', () => sms('heidi'));
  const execDm = await waitFor('the DM to the executives', () => slack.dms(id('heidi'))[0]);
  heading(`At once: the war room, the announcement, and the ladder's first step (always, for a Sev1)`);
  await show(`#${room.name}, the pinned card`, header()!);
  await show('#incidents', announced);
  print(pdLine(page));
  print(smsLine(execSms));
  await show('DM to heidi (@executives)', execDm);
  await show('#compliance', checklist);
  await show(`#${room.name}`, stepOne);

  heading(`Nobody responds within ${DEMO_LADDER.respondWithin} s: the ladder climbs a step`);
  const stepTwo = await waitFor('the second step', () => roomMsg((t) => t.startsWith(':stopwatch:') && t.includes('without a response')));
  const managerSms = await waitFor('the SMS to the SRE managers', () => sms('erin'));
  print(smsLine(managerSms));
  await show(`#${room.name}`, stepTwo);

  heading(`${who('alice')} presses "Take" on Incident Commander: that is the response, the ladder stops`);
  const role = (r: string) => encodeRoleTarget(incident, r);
  await click('alice', room.id, header()!.ts, { action_id: ACTION.roleTake, type: 'button', value: role('incident_commander') });
  const stopped = await waitFor('the response noted', () => roomMsg((t) => t.includes('the response clock stopped')));
  const ic = await waitFor('the IC noted', () => roomMsg((t) => t.startsWith(`<@${id('alice')}> is now Incident Commander`)));
  const pdAck = await pd('acknowledge', `warroom-INC-${incident}`);
  await show(`#${room.name}`, stopped);
  await show(`#${room.name}`, ic);
  print(pdLine(pdAck));

  heading('alice assigns Technical Lead → bob, Communications Lead → carol, Business Lead → dave');
  for (const [r, label, person] of [['technical_lead', 'Technical Lead', 'bob'], ['communications_lead', 'Communications Lead', 'carol'], ['business_lead', 'Business Lead', 'dave']] as const) {
    await click('alice', room.id, header()!.ts, { action_id: ACTION.roleAssign, type: 'users_select', block_id: role(r), selected_user: id(person) });
    await show(`#${room.name}`, await waitFor(label, () => roomMsg((t) => t.startsWith(`<@${id(person)}> is now ${label}`))));
  }

  heading(`${who('bob')}, mid-incident: /deploy-window standard`);
  reply('bob', await command('/deploy-window', 'bob', floor, 'standard'));

  heading('alice: /incident status Failing over order router to DC2; equities orders queued');
  await command('/incident', 'alice', room.id, 'status Failing over order router to DC2; equities orders queued');
  await show(`#${room.name}`, await waitFor('the status update', () => roomMsg((t) => t.includes('Status update'))));

  heading('alice: /incident resolve Routing restored on DC2; queued orders released');
  reply('alice', await command('/incident', 'alice', room.id, 'resolve Routing restored on DC2; queued orders released'));
  const resolved = await waitFor('the resolution', () => roomMsg((t) => t.includes('*Resolved* by')));
  await waitFor('the topic', () => room.topic.includes('RESOLVED'));
  await waitFor('the card', () => blocksOf(header()).includes('RESOLVED'));
  await waitFor('the announcement', () => announced.text.includes('Resolved'));
  const pdResolve = await pd('resolve', `warroom-INC-${incident}`);
  await show(`#${room.name}`, resolved);
  print(pdLine(pdResolve));

  heading(`${who('bob')} asks again now that INC-${incident} is resolved: /deploy-window`);
  reply('bob', await command('/deploy-window', 'bob', floor, ''));

  heading('alice: /incident timeline');
  reply('alice', await command('/incident', 'alice', room.id, 'timeline'));

  // =============================================================================================
  const { missed, done } = DEMO_TASKS;
  const hms = (s: number) => `${schedule.at(s).toFormat('HH:mm:ss')} ET`;
  heading(`Meanwhile, two compliance deadlines today, ${schedule.date} (demo tasks, due seconds after the start)`);
  print(`  ${missed.title}: opens ${hms(missed.opens)}, warning ${hms(missed.due - missed.warnBefore)}, due ${hms(missed.due)}`);
  print(`  ${done.title}: opens ${hms(done.opens)}, due ${hms(done.due)}; its reporting job confirms over the HTTP API`);
  const missedCard = await waitFor(`${missed.title} card`, () => card(missed.title));
  await show(where, asPosted(missedCard));
  const doneCard = await waitFor(`${done.title} card`, () => card(done.title));
  await show(where, asPosted(doneCard));

  heading(`The FINRA CAT job finishes and says so: POST /api/v1/compliance/tasks/${done.id}/runs/${schedule.date}/complete`);
  const res = await fetch(`${bot.url}/api/v1/compliance/tasks/${done.id}/runs/${schedule.date}/complete`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ evidence: `s3://reports/${schedule.date}/cat-ack.json`, note: 'CAT ack received' }),
  });
  const api = (await res.json()) as { status?: string; done_by?: string; late?: boolean; done_at?: string };
  print(`  HTTP ${res.status}: ${api.status}, by ${api.done_by}${api.done_at ? ` at ${clockTime(Date.parse(api.done_at), ZONE)}` : ''}, ${api.late ? 'late' : 'on time'}`);
  await waitFor('the card done', () => blocksOf(doneCard).includes('*Done*'));
  await show(`the card in ${where} now`, doneCard);

  heading(`Nobody files the ${missed.title}`);
  const warning = await waitFor('the warning in the thread', () => missedCard.replies.find((r) => r.text.includes('is not done yet')));
  await show(`${missed.warnBefore} s before the deadline, in the card's thread`, warning);
  const missedPage = await pd('trigger', `warroom-CMP-${missed.id}-${schedule.date}`);
  const told = await waitFor('the miss told in the channel', () => deadlines.messages.find((m) => m.text.includes('missed its')));
  await waitFor('the card overdue', () => blocksOf(missedCard).includes('*Overdue*'));
  const managerDm = await waitFor('the compliance managers told', () => slack.dms(id('frank')).find((m) => m.text.includes(missed.title)));
  await show(`${where}, at the deadline`, told);
  await show(`the card in ${where} now`, missedCard);
  print(pdLine(missedPage));
  await show('DM to frank (@compliance-managers)', managerDm);

  heading('What Slack shows now');
  dir = await directoryOf(slack);
  for (const l of renderWorkspace(slack, dir, { zone: ZONE, order: ['trading-floor', 'incidents', room.name, 'compliance', DEMO_TASK_CHANNEL], botUserId: slack.botUserId })) print(l);
}

void main().then(
  async () => {
    await cleanUp();
    process.exit(interrupted ? 130 : 0);
  },
  async (err: unknown) => {
    if (interrupted) return; // the signal handler cleans up and exits
    process.stderr.write(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    if (logs.length) process.stderr.write(`the bot's last log lines:\n${logs.slice(-20).join('')}`);
    await cleanUp();
    process.exit(1);
  },
);
