/**
 * A failure the user caused or can act on. `message` is safe to show in Slack as-is;
 * `code` is stable for tests, metrics and the audit trail.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** Someone tried something the policy does not allow them to do. */
export class ForbiddenError extends DomainError {
  constructor(message: string) {
    super('forbidden', message);
    this.name = 'ForbiddenError';
  }
}
