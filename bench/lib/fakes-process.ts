/**
 * Child process: the fake Slack, PagerDuty and Twilio from src/sandbox, seeded with the policy's
 * users, groups and channels. Run apart from the bot so the "remote" services' CPU and memory are
 * not charged to the bot (see child.ts). Answers at once unless a rate limit is configured.
 */
import { FakeSlack } from '../../src/sandbox/fake-slack.js';
import { FakePagerDuty } from '../../src/sandbox/fake-pagerduty.js';
import { FakeTwilio } from '../../src/sandbox/fake-twilio.js';
import { serve } from './child.js';
import { BOT_TOKEN, TWILIO, seedWorkspace } from './workspace.js';

export interface FakesInfo {
  slackApiUrl: string;
  /** Base for slash commands' response_url (the fake accepts any id under it). */
  responseUrlBase: string;
  generalChannelId: string;
  pagerdutyEventsUrl: string;
  pagerdutyCaPem: string;
  twilioApiUrl: string;
}

export interface PageRecord {
  incident: string | null;
  step: number | null;
  receivedAt: number;
  status: number;
  action: string | null;
}

const slack = new FakeSlack({ botToken: BOT_TOKEN });
const pagerduty = new FakePagerDuty();
const twilio = new FakeTwilio({ accountSid: TWILIO.accountSid, authToken: TWILIO.authToken });

serve(
  {
    async start(): Promise<FakesInfo> {
      await Promise.all([slack.start(), pagerduty.start(), twilio.start()]);
      seedWorkspace(slack);
      return {
        slackApiUrl: slack.apiUrl,
        responseUrlBase: slack.responseUrl(''),
        generalChannelId: slack.channel('general')!.id,
        pagerdutyEventsUrl: pagerduty.eventsUrl,
        pagerdutyCaPem: pagerduty.caPem,
        twilioApiUrl: twilio.apiUrl,
      };
    },
    /** Slack's sliding-window limit on one method (429 + Retry-After beyond it). */
    rateLimit(p: { method: string; limit: number; windowMs: number }) {
      slack.rateLimit(p.method, p.limit, p.windowMs);
      return true;
    },
    /** Counts of one method's calls since `since` (epoch ms). */
    slackCalls(p: { method: string; since: number }) {
      const calls = slack.calls(p.method).filter((c) => c.at >= p.since);
      const ok = calls.filter((c) => c.ok);
      return { total: calls.length, ok: ok.length, rateLimited: calls.filter((c) => c.status === 429).length, lastOkAt: ok.length ? Math.max(...ok.map((c) => c.at)) : null };
    },
    /**
     * Calls since `since` (epoch ms) caused by these incidents: naming one of their channels, or
     * their number (INC-n, a channel name inc-n-…). By method, and the calls made in all.
     */
    slackCallsFor(p: { since: number; channels: string[]; incidents: number[] }) {
      const channels = new Set(p.channels);
      const ids = new Set(p.incidents);
      const calls = slack.calls().filter((c) => c.at >= p.since);
      const byMethod: Record<string, { ok: number; rateLimited: number; other: number }> = {};
      let alertPosts = 0;
      for (const c of calls) {
        const m = /\b(?:INC-|inc-)(\d+)\b/.exec(JSON.stringify(c.args));
        if (!channels.has(String(c.args['channel'])) && !(m && ids.has(Number(m[1])))) continue;
        const row = (byMethod[c.method] ??= { ok: 0, rateLimited: 0, other: 0 });
        if (c.ok) row.ok += 1;
        else if (c.status === 429) row.rateLimited += 1;
        else row.other += 1;
        if (c.method === 'chat.postMessage' && c.ok && /^:rotating_light: \*\d+ alerts?\*/.test(String(c.args['text'] ?? ''))) alertPosts += 1;
      }
      const total = Object.values(byMethod).reduce((n, r) => n + r.ok + r.rateLimited + r.other, 0);
      return { total, all: calls.length, alertPosts, byMethod };
    },
    /** PagerDuty events received since `since` (epoch ms), with the incident and step the bot put in them. */
    pages(p: { since: number }): PageRecord[] {
      return pagerduty
        .events((e) => e.receivedAt.getTime() >= p.since)
        .map((e) => ({
          incident: e.body?.['payload']?.['custom_details']?.['incident'] ?? null,
          step: typeof e.body?.['payload']?.['custom_details']?.['step'] === 'number' ? e.body['payload']['custom_details']['step'] : null,
          receivedAt: e.receivedAt.getTime(),
          status: e.status,
          action: e.body?.['event_action'] ?? null,
        }));
    },
  },
  async () => {
    await Promise.allSettled([slack.stop(), pagerduty.stop(), twilio.stop()]);
  },
);
