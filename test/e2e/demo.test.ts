import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_URL, REDIS_URL, withAdmin } from '../support/databases.js';
import { useColor } from '../../scripts/demo/output.js';

/**
 * `npm run demo` as a user runs it, in a child process with its output piped (not a terminal):
 * what it prints, and what it leaves behind. Two runs go side by side (each has its own database
 * and Redis prefix), which also shows that they do not disturb each other.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ET = 'America/New_York';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  startedAt: DateTime;
  endedAt: DateTime;
}

function runDemo(opts: { interruptWhen?: (stdout: string) => boolean } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: ADMIN_URL, REDIS_URL };
  delete env['NO_COLOR'];
  delete env['FORCE_COLOR'];
  const startedAt = DateTime.now().setZone(ET);
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let interrupted = false;
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (opts.interruptWhen && !interrupted && opts.interruptWhen(stdout)) {
      interrupted = true;
      // One Ctrl-C under `npm run demo` reaches the demo more than once (the terminal signals
      // the process group; npm and tsx relay it): the clean-up must survive the repeat.
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGINT'), 100);
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, startedAt, endedAt: DateTime.now().setZone(ET) }));
  });
}

/** The run's database and Redis prefix, as it announces them. */
function sandboxOf(run: Run): { database: string; prefix: string } {
  const m = /^Sandbox: database (\S+) and Redis prefix (\S+), both removed at the end\.$/m.exec(run.stdout);
  if (!m) throw new Error(`no sandbox line in:\n${run.stdout.slice(0, 500)}`);
  return { database: m[1]!, prefix: m[2]! };
}

async function leftovers(run: Run): Promise<{ databases: number; keys: number }> {
  const { database, prefix } = sandboxOf(run);
  const rows = await withAdmin((sql) => sql`select 1 from pg_database where datname = ${database}`);
  const redis = new Redis(REDIS_URL);
  try {
    return { databases: rows.length, keys: (await redis.keys(`${prefix}:*`)).length };
  } finally {
    redis.disconnect();
  }
}

/** Each line's index, failing with the output when it is missing. */
function indexOf(lines: string[], pattern: RegExp, from = 0): number {
  const i = lines.findIndex((l, n) => n >= from && pattern.test(l));
  if (i < 0) throw new Error(`no line matching ${pattern} after line ${from} in:\n${lines.join('\n')}`);
  return i;
}

/**
 * The output with what legitimately differs between two runs masked: times, dates, durations and
 * counts (digits), the run's id. What `/deploy-window` says depends on the market session of the
 * moment (a run may straddle 09:30), so its answers are checked on their own, not compared; the
 * timeline's events of one second are recorded by concurrent workers, so they are compared as a set;
 * a timer's "fired 2 s late" note depends on the machine's load.
 */
function comparable(out: string): string[] {
  const lines = out
    .split('\n')
    .filter((l) => !l.startsWith('It is '))
    .map((l) =>
      l
        .replace(/warroom[_-]demo[_-][a-z0-9_]+/g, 'ID')
        // How late a timer fired on a busy machine is a time too.
        .replace(/ — ⚠ (fired|delivered) .*$/, '')
        .replace(/\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d+ (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b/g, 'DAY')
        .replace(/\d/g, '#'),
    );
  const result: string[] = [];
  let skipping = false;
  let timeline: string[] = [];
  for (const l of lines) {
    if (l.startsWith('▶ ')) {
      skipping = l.includes('/deploy-window');
      result.push(...timeline.sort());
      timeline = [];
    }
    if (skipping && !l.startsWith('▶ ')) continue;
    if (/^ {4}• DAY/.test(l)) timeline.push(l);
    else result.push(l);
  }
  return [...result, ...timeline.sort()];
}

describe('npm run demo', () => {
  let runs: Run[] = [];
  beforeAll(async () => {
    runs = await Promise.all([runDemo(), runDemo()]);
  }, 240_000);

  it('finishes with exit 0, says nothing on stderr, and prints no colour codes when not on a terminal', () => {
    for (const run of runs) {
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).not.toContain("\u001b[");
      expect(run.stdout).toMatch(/^Removed the demo's database warroom_demo_\S+ and \d+ Redis keys under \{warroom-demo-\S+\}\.$/m);
    }
    expect(useColor({ isTTY: true }, {})).toBe(true);
    expect(useColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(useColor({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(useColor({ isTTY: false }, {})).toBe(false);
    expect(useColor({}, {})).toBe(false);
  });

  it('reads as a person reads Slack: no raw mentions, markup, emoji codes or message timestamps', () => {
    const out = runs[0]!.stdout;
    expect(out).not.toMatch(/<@U|<#C|<!subteam|<!here|<!channel|<https?:/);
    expect(out).not.toMatch(/:[a-z0-9_+-]*[a-z][a-z0-9_+-]*:/); // :rotating_light:
    expect(out).not.toMatch(/\b\d{10}\.\d{6}\b/); // 1764255725.004100
    expect(out).not.toMatch(/(^|[\s(])[*_~][A-Za-z`][^\n]*?[A-Za-z.:`)][*_~]($|[\s).,:;])/m); // *bold* _italic_ ~strike~
    expect(out).not.toMatch(/&(amp|lt|gt);/);
    expect(out).not.toMatch(/\b(incident_commander|technical_lead|communications_lead|business_lead)\b/);
    expect(out).toContain('Incident Commander → @alice');
    // The card shows the response once.
    expect(out.match(/Responded: @alice in \d+ s/g)).toHaveLength(1);
    expect(out).not.toMatch(/Response: @alice after/);
  });

  it('shows only real times: every message time lies within the run, in ET', () => {
    for (const run of runs) {
      const stamps = [...run.stdout.matchAll(/^\s*(?:↳ )?(\d\d):(\d\d):(\d\d) ET {2}(?:@|PagerDuty|SMS)/gm)];
      expect(stamps.length).toBeGreaterThan(20);
      for (const [line, h, m, s] of stamps) {
        const candidates = [run.startedAt, run.endedAt].map((d) => d.set({ hour: Number(h), minute: Number(m), second: Number(s), millisecond: 0 }));
        const inside = candidates.some((t) => t >= run.startedAt.minus({ seconds: 1 }).startOf('second') && t <= run.endedAt.plus({ seconds: 1 }));
        expect(inside, `${line.trim()} is not between ${run.startedAt.toFormat('HH:mm:ss')} and ${run.endedAt.toFormat('HH:mm:ss')} ET`).toBe(true);
      }
    }
  });

  it('tells the compliance story in order: cards, the job done over HTTP, the warning, the miss escalated', () => {
    const lines = runs[0]!.stdout.split('\n');
    const nscc = indexOf(lines, /@warroom: NSCC settlement file · /);
    const finra = indexOf(lines, /@warroom: FINRA CAT reporting · /, nscc);
    const api = indexOf(lines, /^ {2}HTTP 200: done, by token:ci at \d\d:\d\d:\d\d ET, on time$/, finra);
    const done = indexOf(lines, /│ ✓ Done by the job \(token:ci\) at \d\d:\d\d:\d\d ET$/, api);
    const warning = indexOf(lines, /@warroom: @compliance NSCC settlement file for \d{4}-\d\d-\d\d is due at \d\d:\d\d:\d\d ET \(in 2 s\) and is not done yet\.$/, done);
    const missed = indexOf(lines, /@warroom: @compliance NSCC settlement file for \S+ missed its \d\d:\d\d:\d\d ET deadline\. Escalating \(paging clearing-oncall\)\.$/, warning);
    const overdue = indexOf(lines, /│ Overdue since \d\d:\d\d:\d\d ET$/, missed);
    const page = indexOf(lines, /PagerDuty trigger warroom-CMP-nscc-settlement-\S+ → clearing-oncall: .* — HTTP 202$/, overdue);
    indexOf(lines, /@warroom: NSCC settlement file for \S+ missed its .* deadline\. See #regulatory-reporting\.$/, page);
  });

  it('shows the Sev1 ladder climbing a step when nobody answers, and stopping when alice takes command', () => {
    const lines = runs[0]!.stdout.split('\n');
    const declared = indexOf(lines, /^▶ bob .* in #trading-floor: \/incident sev1 Order routing down for equities$/);
    const first = indexOf(lines, /@warroom: On declaration: page trading-oncall \(1 sent\) · SMS to @executives \(1 sent\) · notify @executives \(1 sent\) · regulatory checklist in #compliance/, declared);
    const climbs = indexOf(lines, /^▶ Nobody responds within 5 s: the ladder climbs a step$/, first);
    indexOf(lines, /SMS to erin \(\+12125550105\): "warroom SEV1 INC-1: Order routing down for equities - no response for 5 s\./, climbs);
    const second = indexOf(lines, /@warroom: 5 s without a response: SMS to @sre-managers \(1 sent\)$/, climbs);
    const stopped = indexOf(lines, /@warroom: ✓ @alice took Incident Commander after \d+ s — the response clock stopped; 1 pending escalation step cancelled\.$/, second);
    indexOf(lines, /PagerDuty acknowledge warroom-INC-1 → trading-oncall — HTTP 202$/, stopped);
    // The third step (senior leadership) never comes.
    expect(runs[0]!.stdout).not.toMatch(/@warroom: 20 s without a response|SMS to heidi .*no response/);
  });

  it('refuses /deploy-window during the Sev1 freeze and answers without it once resolved', () => {
    const lines = runs[0]!.stdout.split('\n');
    const asked = indexOf(lines, /^▶ bob .*, mid-incident: \/deploy-window standard$/);
    const refused = indexOf(lines, /^ {2}only bob sees: standard at .* ET: forbidden — Freeze: INC-1 \(SEV1\) is open; standard releases are forbidden until it is resolved\./, asked);
    indexOf(lines, /It can be requested once INC-1 is resolved\.$/, refused);
    const resolved = indexOf(lines, /@warroom: ✓ Resolved by @alice at .*: Routing restored on DC2; queued orders released$/, refused);
    const again = indexOf(lines, /^▶ bob .* asks again now that INC-1 is resolved: \/deploy-window$/, resolved);
    const next = indexOf(lines, /^▶ /, again + 1);
    const answer = lines.slice(again, next).join('\n');
    expect(answer).toContain('Freeze: none');
    // Whatever the session, some release is allowed or says which approval it needs.
    expect(answer).toMatch(/• (non-critical|standard|emergency): (✓ auto-approved|needs (CTO|engineering-lead) approval)/);
  });

  it('prints every channel at the end, readable', () => {
    const out = runs[0]!.stdout;
    const end = out.slice(out.indexOf('▶ What Slack shows now'));
    for (const title of ['#trading-floor', '#incidents', '#inc-1-order-routing-down-for-equities', '#compliance', '#regulatory-reporting', 'DM with @frank', 'DM with @heidi']) expect(end).toContain(`\n${title}\n`);
    expect(end).toMatch(/ {2}pinned:\n {4}\d\d:\d\d:\d\d ET {2}@warroom: INC-1 · SEV1 Critical · RESOLVED {2}\(edited\)/);
  });

  it('prints the same lines on every run, once times, ids and counts are masked', () => {
    expect(comparable(runs[1]!.stdout)).toEqual(comparable(runs[0]!.stdout));
  });

  it('leaves nothing behind: its database and its Redis keys are gone', async () => {
    for (const run of runs) expect(await leftovers(run)).toEqual({ databases: 0, keys: 0 });
  });

  it('on Ctrl-C (relayed twice, as npm does), stops and still removes its database and Redis keys', async () => {
    const run = await runDemo({ interruptWhen: (out) => out.includes('▶ Nobody responds within') });
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('SIGINT: stopping the demo and removing its database and Redis keys');
    expect(run.stderr).toMatch(/Removed the demo's database warroom_demo_\S+ and \d+ Redis keys/);
    expect(run.stderr).not.toContain('demo failed');
    expect(await leftovers(run)).toEqual({ databases: 0, keys: 0 });
  }, 180_000);
});
