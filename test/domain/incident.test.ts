import { describe, expect, it } from 'vitest';
import { channelNameFor, cleanText, parseIncidentRef, validateFreeText, validateTitle } from '../../src/domain/incident.js';
import { parseIncidentCommand } from '../../src/domain/incident-command.js';
import { parseDuration, formatDuration } from '../../src/domain/duration.js';
import { loadPolicy } from '../../src/config/policy-schema.js';
import { esc } from '../../src/app/messages.js';

const policy = loadPolicy(undefined);

describe('channel names follow Slack rules', () => {
  it.each([
    [42, 'Order routing down for equities', 1, 'inc-42-order-routing-down-for-equities'],
    [7, 'Café API: 50% errors!!', 1, 'inc-7-cafe-api-50-errors'],
    [7, 'Café API: 50% errors!!', 3, 'inc-7-cafe-api-50-errors-3'],
    [9, '🔥🔥🔥', 1, 'inc-9'],
    [9, '🔥🔥🔥', 2, 'inc-9-2'],
    [1, '<!channel> DROP TABLE incidents;--', 1, 'inc-1-channel-drop-table-incidents'],
  ])('#%s "%s" (try %s) → %s', (id, title, suffix, expected) => {
    expect(channelNameFor(id, title, suffix)).toBe(expected);
  });

  it('never exceeds 80 characters, cuts at a word, and keeps the suffix', () => {
    const title = 'Equities order routing to NYSE Arca and Nasdaq rejected with stale session sequence numbers after failover';
    for (const suffix of [1, 2, 17]) {
      const name = channelNameFor(123456, title, suffix);
      expect(name.length).toBeLessThanOrEqual(80);
      expect(name).toMatch(/^[a-z0-9_-]+$/);
      expect(name).not.toMatch(/--|-$/);
      if (suffix > 1) expect(name.endsWith(`-${suffix}`)).toBe(true);
    }
  });
});

describe('text validation', () => {
  it('titles: required, ≤ 150 characters (not UTF-16 units), one line', () => {
    expect(() => validateTitle('   ')).toThrow(/needs a title/);
    expect(validateTitle('a\nb\tc\u0000d')).toBe('a b c d');
    expect(validateTitle('€'.repeat(150))).toHaveLength(150);
    expect(validateTitle('😀'.repeat(150))).toBe('😀'.repeat(150));
    expect(() => validateTitle('x'.repeat(151))).toThrow(/151 characters/);
  });
  it('free text keeps newlines but drops NUL and other control characters', () => {
    expect(validateFreeText('line 1\r\nline 2\u0000\u0007', 'status_update', true)).toBe('line 1\nline 2');
    expect(() => validateFreeText('', 'summary', true)).toThrow(/add the summary/);
    expect(validateFreeText('  ', 'customer_impact', false)).toBeNull();
  });
  it('cleanText collapses whitespace', () => expect(cleanText('  a \u2028 b  ')).toBe('a b'));
  it('parses incident refs', () => {
    expect(parseIncidentRef('INC-42')).toBe(42);
    expect(parseIncidentRef('inc-7')).toBe(7);
    expect(parseIncidentRef('INC-')).toBeNull();
  });
  it('escapes mrkdwn control characters and nothing else', () => {
    expect(esc('<!here> & <@U1> *bold* _it_')).toBe('&lt;!here&gt; &amp; &lt;@U1&gt; *bold* _it_');
  });
});

describe('/incident parsing', () => {
  const parse = (text: string, inWarRoom = false) => parseIncidentCommand(policy, text, inWarRoom);
  it.each([
    ['', false, { kind: 'open-modal', severity: null, title: null }],
    ['sev2', false, { kind: 'open-modal', severity: 'sev2', title: null }],
    ['SEV1 Order routing down', false, { kind: 'declare', severity: 'sev1', title: 'Order routing down' }],
    ['Quotes stale', false, { kind: 'open-modal', severity: null, title: 'Quotes stale' }],
    ['help', false, { kind: 'help' }],
    ['', true, { kind: 'help' }],
    ['status DC2 failover started', true, { kind: 'status', text: 'DC2 failover started' }],
    ['sev2 impact is partial', true, { kind: 'severity', severity: 'sev2', reason: 'impact is partial' }],
    ['resolve fixed by rollback', true, { kind: 'resolve', summary: 'fixed by rollback' }],
    ['timeline', true, { kind: 'timeline' }],
  ])('"%s" (war room: %s)', (text, inWarRoom, expected) => {
    expect(parse(text, inWarRoom)).toEqual(expected);
  });
  it.each([
    ['sev9 x', false, 'unknown_severity'],
    ['sev', false, 'unknown_severity'],
    ['status x', false, 'not_in_war_room'],
    ['status', true, 'status_required'],
    ['resolve', true, 'summary_required'],
    ['sev2', true, 'reason_required'],
    ['page everyone', true, 'unknown_subcommand'],
  ])('"%s" (war room: %s) → %s', (text, inWarRoom, code) => {
    expect(() => parse(text, inWarRoom)).toThrow(expect.objectContaining({ code }));
  });
});

describe('durations', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['4h', 14_400_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
  ])('%s = %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
  it.each(['', '5', '5 minutes', 'm5', '-5m', '5m30'])('rejects "%s"', (text) => {
    expect(() => parseDuration(text)).toThrow(/not a duration/);
  });
});
