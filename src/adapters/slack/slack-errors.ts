import { ErrorCode, type WebAPICallError } from '@slack/web-api';
import { PermanentError, TransientError } from '../../domain/errors.js';

/** Slack platform errors worth a retry: they are about Slack's state, not our request. */
const TRANSIENT_PLATFORM = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

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
