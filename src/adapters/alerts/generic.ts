import { z } from 'zod';
import { alertSeverityOf, type Alert } from '../../domain/alerts.js';
import type { AlertSource, NormalisedBatch } from '../../app/ports/alert-source.js';
import { isoInstant, parseOr400 } from './payload.js';

/** The generic alert (docs/alerts.md, "Generic JSON"): anything that can POST JSON. */
const payload = z.strictObject({
  source: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be lowercase letters, digits, . _ - (at most 64), like nightly-batch'),
  dedup_key: z.string().min(1).max(255),
  status: z.enum(['firing', 'resolved']),
  title: z.string().trim().min(1).max(1024),
  severity: z.string().refine((s) => alertSeverityOf(s) !== null, 'must be sev1–sev4 or critical, error, warning, info'),
  service: z.string().min(1).max(100).optional(),
  labels: z.record(z.string(), z.string()).default({}),
  link: z.string().regex(/^https?:\/\/\S+$/, 'must be an http(s) URL').max(2000).optional(),
  started_at: z.string().refine(isoInstant, 'must be an RFC 3339 time like 2026-01-28T11:00:00Z').optional(),
});

export const genericSource: AlertSource = {
  name: 'generic',
  normalise(body: unknown, receivedAt: Date): NormalisedBatch {
    const p = parseOr400(payload, body);
    const alert: Alert = {
      source: p.source,
      dedupKey: p.dedup_key,
      // Without started_at a dedup key fires once: a resend, even after its resolve, is a no-op.
      occurrence: p.started_at ? new Date(p.started_at).toISOString() : '',
      status: p.status,
      title: p.title.replace(/\s+/g, ' '),
      severity: alertSeverityOf(p.severity)!,
      service: p.service ?? p.labels['service'] ?? null,
      labels: p.labels,
      link: p.link ?? null,
      startsAt: p.started_at ? new Date(p.started_at) : receivedAt,
      endsAt: p.status === 'resolved' ? receivedAt : null,
      raw: body,
    };
    return { alerts: [alert], truncated: 0 };
  },
};
