import { ErrorCode, type WebAPICallError } from '@slack/web-api';
import { PermanentError, TransientError } from '../../domain/errors.js';

/** Slack platform errors worth a retry: they are about Slack's state, not our request. */
const TRANSIENT_PLATFORM = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);
/**
 * The token is not accepted. Nothing succeeds until a human fixes it (SlackHealth says so loudly
 * and /readyz turns 503), but that is about our credentials, not the request: the work is
 * retried with the queue's backoff, so what was owed meanwhile (a war room, a report) goes out
 * once the token works again instead of being dropped as a permanent failure.
 */
export const AUTH_CODES = new Set(['invalid_auth', 'not_authed', 'token_revoked', 'token_expired', 'account_inactive']);

/**
 * Maps a WebClient failure onto the two things a caller can do about it: retry (after
 * Retry-After when Slack gives one) or tell a human.
 */
export function classifySlackError(method: string, err: unknown): TransientError | PermanentError {
  const e = err as WebAPICallError & { retryAfter?: number; statusCode?: number; data?: { error?: string } };
  switch (e?.code) {
    case ErrorCode.RateLimitedError:
      return new TransientError(`${method}: rate limited by Slack`, Math.max(1, e.retryAfter ?? 1) * 1000);
    case ErrorCode.HTTPError:
      return (e.statusCode ?? 500) >= 500 || e.statusCode === 429
        ? new TransientError(`${method}: Slack answered HTTP ${e.statusCode}`)
        : new PermanentError(`http_${e.statusCode}`, `${method}: Slack answered HTTP ${e.statusCode}`);
    case ErrorCode.RequestError:
      return new TransientError(`${method}: could not reach Slack (${(e as Error).message})`);
    case ErrorCode.PlatformError: {
      const code = e.data?.error ?? 'unknown_error';
      if (AUTH_CODES.has(code)) return new TransientError(`${method}: ${code} (the bot token is not accepted; retrying)`);
      return TRANSIENT_PLATFORM.has(code) ? new TransientError(`${method}: ${code}`) : new PermanentError(code, `${method}: ${code}`);
    }
    default:
      return new TransientError(`${method}: ${(err as Error)?.message ?? String(err)}`);
  }
}

export function slackErrorCode(err: unknown): string | null {
  const e = err as { code?: string; data?: { error?: string } };
  return e?.code === ErrorCode.PlatformError ? (e.data?.error ?? null) : null;
}
