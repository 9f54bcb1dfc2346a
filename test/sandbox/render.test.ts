import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { FakeSlack } from '../../src/sandbox/fake-slack.js';
import { blockLines, clockTime, directoryOf, messageBody, mrkdwnToText, renderWorkspace, tsTime, type Directory } from '../../src/sandbox/render.js';
import { announcement, complianceCard, headerCard } from '../../src/adapters/slack/blocks.js';
import { parsePolicy } from '../../src/config/policy-schema.js';
import { readFileSync } from 'node:fs';
import { DEFAULT_POLICY_PATH } from '../../src/config/policy-schema.js';

const dir: Directory = {
  users: new Map([
    ['UALICE01', 'alice'],
    ['UBOT', 'warroom'],
  ]),
  channels: new Map([['C0ROOM001', 'inc-1-order-routing']]),
  groups: new Map([['SCOMPLIAN', 'compliance']]),
};
const text = (s: string) => mrkdwnToText(s, dir);
const ET = 'America/New_York';

describe('mrkdwn → what a person reads', () => {
  it('resolves user, channel and user-group mentions to names, with or without a label', () => {
    expect(text('<@UALICE01> took it')).toBe('@alice took it');
    expect(text('<@UALICE01|someone-else>')).toBe('@alice');
    expect(text('<@UNKNOWN9|carol>')).toBe('@carol');
    expect(text('<@UNKNOWN9>')).toBe('@UNKNOWN9');
    expect(text('war room <#C0ROOM001>')).toBe('war room #inc-1-order-routing');
    expect(text('<#CUNKNOWN|general>')).toBe('#general');
    expect(text('<!subteam^SCOMPLIAN> is due')).toBe('@compliance is due');
    expect(text('<!subteam^SXYZ|@risk>')).toBe('@risk');
    expect(text('<!here> and <!channel>')).toBe('@here and @channel');
  });

  it('shows links as "label (url)", a bare link as its url, and a date token by its fallback', () => {
    expect(text('see <https://status.example.com/x?a=1&amp;b=2|the status page>')).toBe('see the status page (https://status.example.com/x?a=1&b=2)');
    expect(text('<https://example.com>')).toBe('https://example.com');
    expect(text('<https://example.com|example.com>')).toBe('example.com');
    expect(text('<mailto:ops@example.com|ops@example.com>')).toBe('ops@example.com');
    expect(text('<!date^1392734382^{date_short}|Feb 18, 2014>')).toBe('Feb 18, 2014');
  });

  it('unescapes &amp; &lt; &gt; once, after the markup is read (escaped text is never a mention)', () => {
    expect(text('P&amp;L &lt; 0 &amp;&amp; x &gt; 1')).toBe('P&L < 0 && x > 1');
    expect(text('&lt;@UALICE01&gt; is literal')).toBe('<@UALICE01> is literal');
    expect(text('&amp;lt;')).toBe('&lt;');
  });

  it('drops decorative emoji and keeps the few that mean something, never touching clock times', () => {
    expect(text(':rotating_light: Declaring INC-1 (SEV1 Critical)')).toBe('Declaring INC-1 (SEV1 Critical)');
    expect(text('Notified :loudspeaker: @exec')).toBe('Notified @exec');
    expect(text('done :tada:')).toBe('done');
    expect(text(':white_check_mark: *Done*')).toBe('✓ Done');
    expect(text(':black_square_button: *Assess impact*')).toBe('☐ Assess impact');
    expect(text(':warning: Posted late')).toBe('⚠ Posted late');
    expect(text(':x: Denied')).toBe('✗ Denied');
    expect(text('restored at 10:42:05 ET')).toBe('restored at 10:42:05 ET');
    expect(text('at 10:42; queued')).toBe('at 10:42; queued');
  });

  it('removes *bold*, _italic_ and ~strike~ markers but not stars, underscores or tildes inside words', () => {
    expect(text('*Resolved* by <@UALICE01>')).toBe('Resolved by @alice');
    expect(text('_unassigned — needed_')).toBe('unassigned — needed');
    expect(text('~Assess impact~ — done')).toBe('Assess impact — done');
    expect(text('*Timeline of INC-1* (3 events)')).toBe('Timeline of INC-1 (3 events)');
    expect(text('_*both*_')).toBe('both');
    expect(text('incident_commander and 2*3*4 and ~/path')).toBe('incident_commander and 2*3*4 and ~/path');
    expect(text('a * b * c')).toBe('a * b * c');
  });

  it('never reads a name as formatting, and keeps code verbatim without its backticks', () => {
    const d: Directory = { ...dir, users: new Map([['UU1', 'snake_case_name']]) };
    expect(mrkdwnToText('_<@UU1>_ and <@UU1>', d)).toBe('@snake_case_name and @snake_case_name');
    expect(text('run `/deploy-window request standard <service>` now')).toBe('run /deploy-window request standard <service> now');
    expect(text('the job (`token:ci`) *done*')).toBe('the job (token:ci) done');
    expect(text('*`standard` at Wed 2 Dec 10:42 ET:* :no_entry: forbidden')).toBe('standard at Wed 2 Dec 10:42 ET: forbidden');
    expect(text('`*a*` and *`b`*')).toBe('*a* and b');
    expect(text('```\n*not bold* <@UALICE01>\n```')).toBe('*not bold* <@UALICE01>\n');
  });

  it('keeps lines and trims what dropped emoji leave at their ends', () => {
    expect(text('*Freeze:* :no_entry: INC-1 is open\nNext: today 20:00 ET :hourglass:')).toBe('Freeze: INC-1 is open\nNext: today 20:00 ET');
  });
});

describe('Block Kit → lines', () => {
  it('renders a header, fields as "Label: value", context, buttons and selects', () => {
    const blocks = [
      { type: 'header', text: { type: 'plain_text', text: 'NSCC settlement file · Wed 2 Dec', emoji: true } },
      { type: 'section', fields: [{ type: 'mrkdwn', text: '*Covers*\n2026-12-02' }, { type: 'mrkdwn', text: '*Owner*\n<!subteam^SCOMPLIAN>' }] },
      { type: 'section', text: { type: 'mrkdwn', text: ':large_blue_circle: Open — due 10:42:05 ET' } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'Response: <@UALICE01>' }, { type: 'plain_text', text: 'after 6 s' }] },
      { type: 'divider' },
      { type: 'section', text: { type: 'mrkdwn', text: ':black_square_button: *Assess*' }, accessory: { type: 'button', text: { type: 'plain_text', text: 'Done' } } },
      { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Take' } }, { type: 'users_select', placeholder: { type: 'plain_text', text: 'Assign…' } }] },
    ];
    expect(blocks.flatMap((b) => blockLines(b, dir))).toEqual([
      'NSCC settlement file · Wed 2 Dec',
      'Covers: 2026-12-02',
      'Owner: @compliance',
      'Open — due 10:42:05 ET',
      'Response: @alice · after 6 s',
      '────────',
      '☐ Assess  [Done]',
      '[Take] [Assign…]',
    ]);
  });

  it('treats plain_text as plain: markers and entities stay, emoji still render', () => {
    expect(blockLines({ type: 'header', text: { type: 'plain_text', text: ':rotating_light: *P&L* <b>' } })).toEqual(['*P&L* <b>']);
  });

  it("reads the bot's real cards with no markup left", () => {
    const policy = parsePolicy(readFileSync(DEFAULT_POLICY_PATH, 'utf8'));
    const declaredAt = new Date();
    const incident = {
      id: 7,
      title: 'Order routing <down> & out',
      severity: 'sev1',
      status: 'open',
      declarer: { kind: 'user', userId: 'UALICE01' },
      declaredAt,
      acknowledgedAt: declaredAt,
      acknowledgedBy: 'UALICE01',
      responseMs: 6000,
      roles: { incident_commander: { userId: 'UALICE01' } },
      lastStatus: 'Failing *over*',
    } as never;
    const cards = [headerCard(policy, { incident, ref: 'INC-7', channelId: 'C0ROOM001' } as never), announcement(policy, { incident, ref: 'INC-7', channelId: 'C0ROOM001' } as never, ['<!subteam^SCOMPLIAN>'])];
    for (const card of cards) {
      const lines = messageBody(card, dir).join('\n');
      expect(lines).not.toMatch(/<[@#!]|:[a-z_]+:|&(amp|lt|gt);|\*[A-Z]/);
      expect(lines).toContain('Order routing <down> & out');
    }
    const header = messageBody(cards[0]!, dir);
    expect(header).toContain('Responded: @alice in 6 s');
    // The response is on the card once: the field, not a second line repeating it.
    expect(header.filter((l) => l.includes('@alice') && /6 s/.test(l))).toHaveLength(1);
    expect(header).toContain('Incident Commander: @alice');
    const run = { id: 1, taskId: 'nscc', date: '2026-12-02', status: 'open', opensAt: declaredAt, dueAt: declaredAt } as never;
    const card = complianceCard({ run, task: { title: 'NSCC settlement file', kind: 'automated' }, zone: ET, ownerMention: '<!subteam^SCOMPLIAN>', postedLateMs: 0 } as never);
    expect(messageBody(card, dir)).toEqual(expect.arrayContaining(['Owner: @compliance', 'Kind: automated', '[Mark done] [Report a problem]']));
  });
});

describe('times', () => {
  it('formats message timestamps and instants as ET clock times', () => {
    const at = DateTime.fromISO('2026-07-01T14:42:05.250Z');
    expect(clockTime(at.toMillis(), ET)).toBe('10:42:05 ET');
    expect(tsTime(`${Math.floor(at.toMillis() / 1000)}.250100`, ET)).toBe('10:42:05 ET');
    // Winter: UTC-5.
    expect(tsTime(`${DateTime.fromISO('2026-12-02T15:42:05Z').toSeconds()}.000100`, ET)).toBe('10:42:05 ET');
  });
});

describe('a fake Slack workspace as people read it', () => {
  const slack = new FakeSlack({ botToken: 'xoxb-render-test' });
  beforeAll(async () => {
    await slack.start();
    slack.addUser({ id: 'UALICE01', name: 'alice' });
    slack.addUser({ id: 'UBOB0002', name: 'bob' });
    slack.addUserGroup({ id: 'SCOMPLIAN', handle: 'compliance', users: ['UBOB0002'] });
  });
  afterAll(async () => {
    await slack.stop();
  });

  it('names come from the sandbox; channels print in the given order, messages by timestamp, threads under them', async () => {
    const zulu = slack.addChannel({ name: 'zulu', members: ['UBOB0002', 'UALICE01'] });
    const general = slack.addChannel({ name: 'general', members: ['UALICE01'] });
    const first = slack.addMessage(general, { user: 'UALICE01', text: 'hello <#' + zulu + '> :wave:' });
    slack.addMessage(zulu, { user: 'UBOB0002', text: '*bold* <!subteam^SCOMPLIAN>' });
    slack.addMessage(general, { user: 'UBOB0002', text: 'reply', thread_ts: first.ts });
    const second = slack.addMessage(general, { user: 'UBOB0002', text: 'second' });
    // Out of order in the array: the render still sorts by ts. A pinned message comes first.
    const ch = slack.channel('general')!;
    ch.messages.reverse();
    const pin = slack.addMessage(zulu, { user: 'UALICE01', text: 'the card' });
    slack.channel('zulu')!.pins.add(pin.ts);
    const dir = await directoryOf(slack);
    const lines = renderWorkspace(slack, dir, { order: ['zulu'], botUserId: slack.botUserId });
    const t = (ts: string) => tsTime(ts, ET);
    expect(lines).toEqual([
      '#zulu',
      '  members: @alice, @bob',
      '  pinned:',
      `    ${t(pin.ts)}  @alice: the card`,
      expect.stringMatching(/^ {2}\d\d:\d\d:\d\d ET {2}@bob: bold @compliance$/),
      '#general',
      '  members: @alice',
      `  ${t(first.ts)}  @alice: hello #zulu`,
      expect.stringMatching(/^ {6}↳ \d\d:\d\d:\d\d ET {2}@bob: reply$/),
      `  ${t(second.ts)}  @bob: second`,
    ]);
    expect(lines.join('\n')).not.toMatch(/<[@#!]|:[a-z_]+:|\d{10}\.\d{6}/);
  });
});
