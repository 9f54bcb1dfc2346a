import { randomBytes } from 'node:crypto';
import { DomainError } from '../../../domain/errors.js';
import type { Logger } from '../../../app/deps.js';
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
