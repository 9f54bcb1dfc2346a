/**
 * Every error class the code throws for control flow, in one place.
 *
 * - {@link DomainError}: the user caused it or can act on it; `message` is safe to show in Slack.
 *   Retrying it is pointless: a job that throws it fails for good at once.
 * - {@link TransientError}: a vendor or the network failed for now; retry (after `retryAfterMs`).
 * - {@link PermanentError}: a vendor refused for good, or a job cannot run; report to a human.
 * - {@link JobRejectedError}: a job's payload read back from Postgres or Redis is not what its
 *   kind declares; it is never run and never retried.
 */
export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
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

export class TransientError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'TransientError';
  }
}

/**
 * A planned wait, not a failure: come back after `retryAfterMs` (a post gathering what arrives
 * meanwhile, a lock another transaction holds). Handled like a TransientError, logged at debug.
 */
export class Deferral extends TransientError {
  constructor(message: string, retryAfterMs: number) {
    super(message, retryAfterMs);
    this.name = 'Deferral';
  }
}

/**
 * `code` is one of {@link PERMANENT} when the app raises it; a vendor adapter passes the vendor's
 * own code through (Slack's `channel_not_found`, Twilio's `21211`, `pagerduty_400`), because
 * operators and the delivery records read it as the vendor wrote it.
 */
export class PermanentError extends Error {
  constructor(
    readonly code: PermanentCode | VendorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PermanentError';
  }
}

export class JobRejectedError extends PermanentError {
  constructor(
    readonly queue: 'work' | 'timers',
    readonly kind: string,
    /** Where the payload is wrong (paths and zod issue codes, never values). */
    readonly issues: Array<{ path: string; code: string }>,
  ) {
    super('job_rejected', `${queue} job "${kind}" rejected: ${issues.map((i) => `${i.path || '(payload)'} ${i.code}`).join(', ')}`);
    this.name = 'JobRejectedError';
  }
}

/** Is a retry pointless? The queues fail such errors for good on the first attempt. */
export function isPermanent(err: unknown): boolean {
  return err instanceof PermanentError || err instanceof DomainError;
}

/** The codes the app itself raises as permanent failures. */
export const PERMANENT = {
  noWarRoom: 'no_war_room',
  warRoomNotReady: 'war_room_not_ready',
  smsNotConfigured: 'sms_not_configured',
  jobRejected: 'job_rejected',
  unknownPagerService: 'unknown_pagerduty_service',
  unknownIncident: 'unknown_incident',
  noFreeChannelName: 'no_free_channel_name',
} as const;
export type PermanentCode = (typeof PERMANENT)[keyof typeof PERMANENT];
/** A code as a vendor reported it (kept verbatim). */
export type VendorCode = string & { readonly vendor?: never };

/** Free text a command takes; `${what}_required` / `${what}_too_long` codes derive from it. */
export type FreeTextField = 'customer_impact' | 'service' | 'status_update' | 'summary' | 'reason';

/** Every DomainError code: stable for tests, metrics and the audit trail. */
export type DomainErrorCode =
  | 'forbidden'
  | 'bad_declarer'
  | 'not_in_war_room'
  | 'unknown_incident'
  | 'unknown_item'
  | 'unknown_role'
  | 'unknown_severity'
  | 'unknown_subcommand'
  | 'unknown_run'
  | 'unknown_task'
  | 'unknown_request'
  | 'unknown_deploy_type'
  | 'incident_resolved'
  | 'same_severity'
  | 'title_required'
  | 'title_too_long'
  | 'service_too_long'
  | `${FreeTextField}_required`
  | `${FreeTextField}_too_long`
  | 'status_required'
  | 'too_long'
  | 'not_open'
  | 'already_done'
  | 'deploy_forbidden'
  | 'deploy_policy'
  | 'bad_time'
  | 'bad_syntax'
  | 'bad_service'
  | 'bad_duration'
  | 'bad_action'
  | 'in_the_past'
  | 'no_user';

/**
 * An inbound payload (an alert webhook) that is not what its sender documents: answered 400 with
 * `path` (JSON path of the problem, like `$.alerts[2].startsAt`), never retried.
 */
export class InvalidPayloadError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'InvalidPayloadError';
  }
}
