import { randomBytes } from 'node:crypto';
import { DomainError } from '../../../domain/errors.js';
import type { Logger } from '../../../app/ports/logger.js';
import { esc } from '../../../app/messages.js';

/**
 * The one place where failures become words for a Slack user: a DomainError's message as-is,
 * anything else a reference that is also in the log, so support can find it.
 */
export function userMessage(err: unknown, log: Logger, context: Record<string, unknown>): string {
  if (err instanceof DomainError) {
    log.info({ ...context, code: err.code }, 'refused');
    // Refusals often quote what the user typed: escape it, so `<!channel>` in bad input pings nobody.
    return `:warning: ${esc(err.message)}`;
  }
  const ref = randomBytes(4).toString('hex');
  if (err instanceof SlowAnswerError) {
    log.error({ ...context, ref }, 'could not answer within Slack\'s deadline (database slow or unreachable?)');
    return `:hourglass: I couldn't confirm this within Slack's 3 seconds (the incident database is slow or unreachable). It may still go through: check in a minute before retrying. (ref ${ref})`;
  }
  const pgDown = isDatabaseUnavailable(err);
  log.error({ ...context, err, ref }, pgDown ? 'database unavailable' : 'unexpected error');
  return pgDown
    ? `:x: I can't record this right now (the incident database is unreachable), so nothing was saved. Try again in a minute; if it's urgent, page the on-call directly. (ref ${ref})`
    : `:x: Something went wrong and nothing was saved (ref ${ref}). Try again; if it keeps failing, tell the warroom maintainers with the ref.`;
}

function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string }; message?: string };
  const code = e?.cause?.code ?? e?.code ?? '';
  return ['ECONNREFUSED', 'ECONNRESET', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', '57P01', '57P03', '08006', '08001'].includes(code);
}

export const ephemeral = (text: string) => ({ response_type: 'ephemeral' as const, text });

/** Slack gives 3 s to answer; past this the user gets a timeout error instead of our words. */
export const ACK_BUDGET_MS = 2500;

export class SlowAnswerError extends Error {
  constructor() {
    super(`no answer within ${ACK_BUDGET_MS} ms`);
    this.name = 'SlowAnswerError';
  }
}

/**
 * Races the work against Slack's deadline. The work is not cancelled: it may still commit, which
 * is why the message says how to check instead of claiming nothing happened.
 */
export async function beforeSlackDeadline<T>(work: Promise<T>, ms = ACK_BUDGET_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new SlowAnswerError()), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
