import { z } from 'zod';
import { alertSeverityOf, type Alert } from '../../domain/alerts.js';
import type { AlertSource, NormalisedBatch } from '../../app/ports/alert-source.js';
import { isoInstant, parseOr400 } from './payload.js';

const labelSet = z.record(z.string(), z.string());
const instant = z.string().refine(isoInstant, 'must be an RFC 3339 time like 2026-01-28T11:00:00Z');

/** Prometheus Alertmanager `webhook_config`, payload version 4 (notify/webhook/webhook.go). */
const payload = z.object({
  version: z.literal('4', { message: 'only webhook payload version "4" is understood' }),
  groupKey: z.string(),
  truncatedAlerts: z.number().int().nonnegative().default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: labelSet.default({}),
  commonLabels: labelSet.default({}),
  commonAnnotations: labelSet.default({}),
  externalURL: z.string().default(''),
  alerts: z.array(
    z.object({
      status: z.enum(['firing', 'resolved']),
      labels: labelSet,
      annotations: labelSet.default({}),
      startsAt: instant,
      endsAt: z.string().default(''),
      generatorURL: z.string().default(''),
      fingerprint: z.string().min(1).max(255),
    }),
  ),
});

/** Alertmanager writes the zero time for "not ended yet". */
const ended = (s: string): Date | null => (isoInstant(s) && !s.startsWith('0001-') ? new Date(s) : null);
const link = (s: string): string | null => (/^https?:\/\//.test(s) ? s : null);

export const alertmanagerSource: AlertSource = {
  name: 'alertmanager',
  normalise(body: unknown): NormalisedBatch {
    const p = parseOr400(payload, body);
    const { alerts: list, ...envelope } = p;
    const alerts: Alert[] = list.map((a) => {
      const startsAt = new Date(a.startsAt);
      const alertname = a.labels['alertname'];
      const summary = a.annotations['summary'] ?? a.annotations['description'];
      return {
        source: 'alertmanager',
        dedupKey: a.fingerprint,
        // Dedupe on fingerprint + startsAt: a repeat (repeat_interval) or a retry is the same occurrence.
        occurrence: startsAt.toISOString(),
        status: a.status,
        title: (summary && alertname ? `${alertname}: ${summary}` : (summary ?? alertname ?? 'Alertmanager alert')).replace(/\s+/g, ' ').trim() || 'Alertmanager alert',
        severity: alertSeverityOf(a.labels['severity']) ?? 'warning',
        service: a.labels['service'] ?? null,
        labels: a.labels,
        link: link(a.generatorURL) ?? link(envelope.externalURL),
        startsAt,
        endsAt: ended(a.endsAt),
        raw: { envelope, alert: a },
      };
    });
    return { alerts, truncated: p.truncatedAlerts };
  },
};
