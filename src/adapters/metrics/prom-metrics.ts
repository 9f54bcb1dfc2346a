import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Metrics } from '../../app/ports/metrics.js';
import type { TimerSpec } from '../../app/jobs/catalog.js';

/** Prometheus metrics on a registry of its own (several bots in one test process must not collide). */
export class PromMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly lateness = new Histogram({
    name: 'warroom_timer_lateness_seconds',
    help: 'Fire time minus due time of escalation steps, nudges and reminders',
    labelNames: ['kind'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300],
    registers: [this.registry],
  });
  private readonly pages = new Counter({ name: 'warroom_pages_total', help: 'PagerDuty triggers by result', labelNames: ['result'], registers: [this.registry] });
  private readonly smsCount = new Counter({ name: 'warroom_sms_total', help: 'SMS by result', labelNames: ['result'], registers: [this.registry] });
  private readonly nudges = new Counter({ name: 'warroom_status_nudges_total', help: 'Status-update reminders posted', registers: [this.registry] });
  private readonly failures = new Counter({ name: 'warroom_failures_total', help: 'Failures shown to humans, by kind', labelNames: ['kind'], registers: [this.registry] });
  private readonly ackHistogram = new Histogram({
    name: 'warroom_ack_seconds',
    help: 'Time from receiving a Slack request to acknowledging it, by command or interaction',
    labelNames: ['kind'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3],
    registers: [this.registry],
  });
  private readonly alertCount = new Counter({ name: 'warroom_alerts_total', help: 'Inbound alerts by endpoint and outcome (declared, joined, attached, dropped, resolved, resolved_unmatched, duplicate)', labelNames: ['sender', 'outcome'], registers: [this.registry] });
  private readonly sealedCount = new Counter({ name: 'warroom_audit_sealed_total', help: 'Audit events chained by this replica\'s sealer', registers: [this.registry] });
  private readonly sealRounds = new Histogram({
    name: 'warroom_audit_seal_round_seconds',
    help: 'Time one sealing round took (read the inbox, chain, insert, delete)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly throttled = new Counter({ name: 'warroom_alert_requests_throttled_total', help: 'Alert requests answered 429 because the ingest could not keep up, by endpoint and reason (backlog_full, backlog_stale)', labelNames: ['sender', 'reason'], registers: [this.registry] });
  readonly slackCalls = new Counter({ name: 'warroom_slack_api_calls_total', help: 'Slack Web API calls by method and result', labelNames: ['method', 'result'], registers: [this.registry] });

  /** Gauges read at scrape time (queue depth, compliance runs by state). */
  gauge(name: string, help: string, labelNames: string[], collect: () => Promise<Array<[Record<string, string>, number]>>): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [labels, value] of await collect()) this.set(labels, value);
      },
    });
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'warroom_' });
  }

  timerLateness(kind: TimerSpec['kind'], ms: number): void {
    this.lateness.observe({ kind }, ms / 1000);
  }
  page(result: 'sent' | 'failed' | 'retried'): void {
    this.pages.inc({ result });
  }
  sms(result: 'sent' | 'failed' | 'retried'): void {
    this.smsCount.inc({ result });
  }
  alerts(sender: string, outcome: string, n: number): void {
    if (n > 0) this.alertCount.inc({ sender, outcome }, n);
  }
  alertsThrottled(sender: string, reason: string): void {
    this.throttled.inc({ sender, reason });
  }
  nudge(): void {
    this.nudges.inc();
  }
  failure(kind: string): void {
    this.failures.inc({ kind });
  }
  auditSealed(events: number, ms: number): void {
    this.sealedCount.inc(events);
    this.sealRounds.observe(ms / 1000);
  }
  ack(kind: string, ms: number): void {
    this.ackHistogram.observe({ kind }, ms / 1000);
  }
}
