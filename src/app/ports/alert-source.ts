import type { Alert } from '../../domain/alerts.js';

export type { Alert };

/**
 * A sender of alerts (Alertmanager, the generic schema, …): normalises one inbound payload,
 * already authenticated by the HTTP layer, into the alerts it carries (a batch may carry several).
 */
export interface AlertSource {
  /** The endpoint's name: `/api/v1/alerts/<name>`. */
  readonly name: string;
  /**
   * A payload that is not what the sender documents throws `InvalidPayloadError` (domain/errors.ts)
   * with the JSON path of the problem: it is answered 400, not retried.
   */
  normalise(payload: unknown, receivedAt: Date): NormalisedBatch;
}

export interface NormalisedBatch {
  alerts: Alert[];
  /** Alerts the sender left out (Alertmanager's `truncatedAlerts`, over its `max_alerts`). */
  truncated: number;
}
