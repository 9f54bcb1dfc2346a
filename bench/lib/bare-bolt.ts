/**
 * The floor for everything that starts with a slash command: a bare Bolt app (same version, same
 * HTTP receiver, same request signing) whose `/incident` handler only acks. With `inlineSetup` it
 * then makes the same Slack calls a war-room setup makes (create, topic, group lookups, invite,
 * header card, pin, announcement), back to back with a bare WebClient: no Postgres, no queue.
 * That is as fast as a declaration can become ready against the same fake Slack.
 */
import { App, LogLevel } from '@slack/bolt';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunContext } from './bot.js';
import type { Recipe } from './load-process.js';
import { BOT_TOKEN, SIGNING_SECRET, USERS } from './workspace.js';

export interface BareBolt {
  url: string;
  recipe(tag: string): Recipe;
  /** trigger id → epoch ms when the inline setup finished. */
  completions: Map<string, number>;
  failures: string[];
  stop(): Promise<void>;
}

const card = (title: string) => [
  { type: 'header', text: { type: 'plain_text', text: `SEV1 ${title}`.slice(0, 150) } },
  { type: 'section', text: { type: 'mrkdwn', text: `*Status:* open · declared by <@${USERS.alice}>` } },
  ...['Incident Commander', 'Technical Lead', 'Communications Lead', 'Business Lead'].map((role, i) => ({
    type: 'section',
    block_id: `role-${i}`,
    text: { type: 'mrkdwn', text: `*${role}:* _unassigned_` },
    accessory: { type: 'button', action_id: `take-${i}`, text: { type: 'plain_text', text: 'Take' }, value: `r${i}` },
  })),
  { type: 'context', elements: [{ type: 'mrkdwn', text: 'Respond within 5 minutes' }] },
];

export async function startBareBolt(ctx: RunContext, opts: { inlineSetup: boolean }): Promise<BareBolt> {
  const app = new App({
    signingSecret: SIGNING_SECRET,
    token: BOT_TOKEN,
    botId: 'BBOT',
    botUserId: 'UBOT',
    clientOptions: { slackApiUrl: ctx.fakes.slackApiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: 5000 },
    logLevel: LogLevel.ERROR,
  });
  const completions = new Map<string, number>();
  const failures: string[] = [];
  let announceChannel: string | null = null;
  let n = 0;
  app.command('/incident', async ({ ack, command, client }) => {
    await ack({ response_type: 'ephemeral', text: ':rotating_light: Declaring (bare floor)' });
    if (!opts.inlineSetup) return;
    try {
      n += 1;
      const call = (method: string, args: Record<string, unknown>) => client.apiCall(method, args) as Promise<Record<string, any>>;
      // The bot caches the announcement channel's id and the group ids too.
      if (!announceChannel) {
        const list = await call('conversations.list', { types: 'public_channel', limit: 1000 });
        announceChannel = (list['channels'] as Array<{ id: string; name: string }>).find((c) => c.name === 'incidents')!.id;
        await call('usergroups.list', {});
      }
      const created = await call('conversations.create', { name: `inc-floor-${ctx.id}-${n}`, is_private: false });
      const channel = created['channel']['id'] as string;
      await call('conversations.setTopic', { channel, topic: `SEV1 · ${command.text} · IC: unassigned` });
      const members = new Set<string>([command.user_id]);
      for (const group of ['SSREONCALL', 'STRADINGOC']) for (const u of (await call('usergroups.users.list', { usergroup: group }))['users'] as string[]) members.add(u);
      await call('conversations.invite', { channel, users: [...members].join(','), force: true });
      const header = await call('chat.postMessage', { channel, text: command.text, blocks: card(command.text), metadata: { event_type: 'warroom_post', event_payload: { key: `header-${n}` } } });
      await call('pins.add', { channel, timestamp: header['ts'] });
      await call('chat.postMessage', { channel: announceChannel, text: `<!subteam^SSEV1RESP> ${command.text}`, blocks: card(command.text), metadata: { event_type: 'warroom_post', event_payload: { key: `announce-${n}` } } });
      completions.set(command.trigger_id, Date.now());
    } catch (err) {
      failures.push((err as Error).message);
    }
  });
  const server = (await app.start(0)) as Server;
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const stop = ctx.cleanup.add('stop bare Bolt app', () => app.stop());
  return {
    url,
    completions,
    failures,
    recipe: (tag) => ({
      kind: 'slash',
      url: `${url}/slack/events`,
      secret: SIGNING_SECRET,
      command: '/incident',
      text: 'sev1 Bare floor {n}',
      channel: ctx.fakes.generalChannelId,
      user: USERS.alice,
      responseUrlBase: ctx.fakes.responseUrlBase,
      tag: `bare-${tag}`,
      expect: 'Declaring',
    }),
    stop,
  };
}
