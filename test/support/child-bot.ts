import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakePagerDuty } from '../../src/sandbox/fake-pagerduty.js';
import type { FakeSlack } from '../../src/sandbox/fake-slack.js';
import type { FakeTwilio } from '../../src/sandbox/fake-twilio.js';
import { BOT_TOKEN, GATE_TOKEN, routingKeyFor, SIGNING_SECRET, TWILIO } from './harness.js';
import { REDIS_URL } from './databases.js';

/** A port nothing listens on right now (bound, read, released). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** The recovery settings the child bots run with (short, so a killed process's work is taken over in seconds). */
export const CHILD_TIMING = { reconcileEveryMs: 1000, staleClaimAfterMs: 3000, retryBackoffMs: 200 };
/** Past this, work a child could still redo (a stale claim, a lost wake-up) has been redone. */
export const CHILD_GRACE_MS = CHILD_TIMING.staleClaimAfterMs + CHILD_TIMING.reconcileEveryMs + CHILD_TIMING.retryBackoffMs * 2;

export interface ChildBotOptions {
  dbUrl: string;
  redisPrefix: string;
  slack: FakeSlack;
  pagerduty: FakePagerDuty;
  twilio: FakeTwilio;
  policyYaml: string;
  pdServices: string[];
  /** Overrides (e.g. a REDIS_URL or DATABASE_URL where nothing answers). */
  env?: Record<string, string>;
}

/** The bot as production runs it: compiled (`dist/main.js`, built by the global setup) on plain Node, configured only by environment. */
export class ChildBot {
  private proc: ChildProcess | null = null;
  port = 0;
  output = '';
  stdout = '';
  stderr = '';
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> = Promise.resolve({ code: null, signal: null });

  constructor(private readonly opts: ChildBotOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the process and waits until it is ready (`/readyz` 200), or only listening (`/healthz` 200). */
  async start(opts: { until?: 'ready' | 'listening' } = {}): Promise<void> {
    this.port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'warroom-child-'));
    writeFileSync(join(dir, 'policy.yml'), this.opts.policyYaml);
    writeFileSync(join(dir, 'pd-ca.pem'), this.opts.pagerduty.caPem);
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '/tmp',
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: this.opts.slack.apiUrl,
      DATABASE_URL: this.opts.dbUrl,
      REDIS_URL,
      REDIS_PREFIX: this.opts.redisPrefix,
      PORT: String(this.port),
      WARROOM_POLICY: join(dir, 'policy.yml'),
      PAGERDUTY_EVENTS_URL: this.opts.pagerduty.eventsUrl,
      PAGERDUTY_CA_FILE: join(dir, 'pd-ca.pem'),
      TWILIO_ACCOUNT_SID: TWILIO.accountSid,
      TWILIO_AUTH_TOKEN: TWILIO.authToken,
      TWILIO_FROM: TWILIO.from,
      TWILIO_API_URL: this.opts.twilio.apiUrl,
      DEPLOY_GATE_TOKEN: GATE_TOKEN,
      WARROOM_RECONCILE_EVERY: `${CHILD_TIMING.reconcileEveryMs}ms`,
      WARROOM_STALE_CLAIM_AFTER: `${CHILD_TIMING.staleClaimAfterMs}ms`,
      WARROOM_RETRY_BACKOFF: `${CHILD_TIMING.retryBackoffMs}ms`,
      LOG_LEVEL: 'info',
    };
    const keys: Record<string, string> = { 'trading-oncall': 'PD_KEY_TRADING', 'tech-lead-oncall': 'PD_KEY_TECH_LEAD', 'clearing-oncall': 'PD_KEY_CLEARING', 'payments-oncall': 'PD_KEY_PAYMENTS', 'sre-oncall': 'PD_KEY_SRE' };
    for (const s of this.opts.pdServices) env[keys[s]!] = routingKeyFor(s);
    Object.assign(env, this.opts.env);
    this.output = '';
    this.stdout = '';
    this.stderr = '';
    const proc = spawn(process.execPath, ['dist/main.js'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    proc.stdout!.on('data', (d: Buffer) => {
      this.output += d.toString();
      this.stdout += d.toString();
    });
    proc.stderr!.on('data', (d: Buffer) => {
      this.output += d.toString();
      this.stderr += d.toString();
    });
    this.exit = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        if ((await fetch(`${this.url}${opts.until === 'listening' ? '/healthz' : '/readyz'}`)).status === 200) return;
      } catch {
        // not listening yet
      }
      if (proc.exitCode !== null) throw new Error(`bot exited during startup:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`bot not ready after 20 s:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** kill -9: no cleanup, no goodbye. */
  async kill9(): Promise<void> {
    this.proc?.kill('SIGKILL');
    await this.exit;
  }

  /** A rolling restart's SIGTERM; resolves with the exit code and how long it took. */
  async terminate(): Promise<{ code: number | null; ms: number }> {
    const started = Date.now();
    this.proc?.kill('SIGTERM');
    const { code } = await this.exit;
    return { code, ms: Date.now() - started };
  }
}
