import type { TimerSpec } from '../jobs/catalog.js';

/** What operators graph (Prometheus in production). */
export interface Metrics {
  timerLateness(kind: TimerSpec['kind'], ms: number): void;
  page(result: 'sent' | 'failed' | 'retried'): void;
  sms(result: 'sent' | 'failed' | 'retried'): void;
  nudge(): void;
  failure(kind: string): void;
  /** Inbound alerts by endpoint (`alertmanager`, `generic`) and what was done (or `duplicate`), once committed. */
  alerts(sender: string, outcome: string, n: number): void;
  /** An alert request answered 429 (the ingest could not keep up), by endpoint and reason. */
  alertsThrottled(sender: string, reason: string): void;
  /** Time from receiving a Slack request to acknowledging it. */
  ack(kind: string, ms: number): void;
}
