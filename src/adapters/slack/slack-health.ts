import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../app/ports/logger.js';
import { AUTH_CODES as AUTH_ERRORS, slackErrorCode } from './slack-errors.js';

/** Slack errors that mean the token no longer works: nothing will succeed until a human acts. */
export { AUTH_ERRORS };

/**
 * Whether the bot's token works. A revoked token is not a reason to crash (a crash loop helps
 * nobody): the process stays up, `/readyz` says 503 with the reason, the log says it loudly, and
 * `auth.test` is retried until the token works again.
 */
export class SlackHealth {
  private error: string | null = 'not checked yet';
  botUserId = '';
  botId = '';
  private timer: NodeJS.Timeout | null = null;
  static readonly FIRST_RECHECK_MS = 1000;
  static readonly MAX_RECHECK_MS = 15_000;
  /** Rechecks back off from 1 s to 15 s: a fixed token is noticed at once, a dead one costs 4 calls a minute. */
  private recheckMs = SlackHealth.FIRST_RECHECK_MS;

  constructor(
    private readonly client: WebClient,
    private readonly log: Logger,
  ) {}

  get problem(): string | null {
    return this.error;
  }

  /** Called by the Slack adapter on every auth-type error it sees. */
  failed(code: string): void {
    if (this.error !== code) this.log.error({ slack_error: code }, 'Slack rejects the bot token: the bot cannot post until SLACK_BOT_TOKEN is fixed');
    this.error = code;
    this.scheduleRecheck();
  }

  async check(): Promise<boolean> {
    try {
      const auth = (await this.client.auth.test()) as { user_id: string; bot_id: string; team_id: string };
      this.botUserId = auth.user_id;
      this.botId = auth.bot_id;
      if (this.error) this.log.info({ team: auth.team_id, bot: auth.user_id }, 'connected to Slack');
      this.error = null;
      this.recheckMs = SlackHealth.FIRST_RECHECK_MS;
      return true;
    } catch (err) {
      const code = slackErrorCode(err) ?? (err as Error).message;
      if (AUTH_ERRORS.has(code)) this.failed(code);
      else {
        this.error = `auth.test failed: ${code}`;
        this.log.warn({ err: code }, 'could not reach Slack; retrying');
        this.scheduleRecheck();
      }
      return false;
    }
  }

  private scheduleRecheck(): void {
    if (this.timer) return;
    const delay = this.recheckMs;
    this.recheckMs = Math.min(SlackHealth.MAX_RECHECK_MS, this.recheckMs * 2);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.check();
    }, delay);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
