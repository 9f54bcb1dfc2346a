import { z } from 'zod';
import { ALERT_SEVERITIES, DEFAULT_GROUP_KEY, templateFields } from '../domain/alerts.js';
import { channelName, duration, responders, slug } from './schema-parts.js';

/** The policy's `alerts` section (docs/alerts.md, "Routing and grouping"); cross-checks are in policy-schema.ts. */
const labelMatch = z.union([
  z.strictObject({ equals: z.string() }),
  z.strictObject({
    regex: z.string().refine((r) => {
      try {
        new RegExp(r);
        return true;
      } catch {
        return false;
      }
    }, 'is not a valid regular expression'),
  }),
  z.strictObject({ exists: z.boolean() }),
]);

/** One alert route (docs/alerts.md, "Routing and grouping"). */
const alertRoute = z
  .strictObject({
    name: slug.max(64),
    match: z
      .strictObject({
        source: z.array(z.string().min(1)).default([]),
        severity: z.array(z.enum(ALERT_SEVERITIES)).default([]),
        labels: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'must be a label name'), labelMatch).default({}),
      })
      .optional(),
    action: z.enum(['declare', 'triage', 'attach', 'drop']),
    severity: z.string().regex(/^sev[1-9]$/, 'severity ids are sev1 … sev9').optional(),
    service: slug.optional(),
    responders: responders.default({ users: [], groups: [] }),
    fallback: z.enum(['triage', 'declare', 'drop']).default('triage'),
    /** triage (and attach falling back to it): the triage channel, else `alerts.triage_channel`. */
    channel: channelName.optional(),
    group_key: z
      .string()
      .min(1)
      .max(200)
      .refine((t) => templateFields(t).every((f) => /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(f)), 'placeholders are {source}, {service}, {severity} or {<label name>}')
      .default(DEFAULT_GROUP_KEY),
    group_window: duration.default(30 * 60_000),
    auto_resolve: z.boolean().default(false),
  })
  .superRefine((r, ctx) => {
    const needsSeverity = r.action === 'declare' || r.action === 'triage' || (r.action === 'attach' && r.fallback !== 'drop');
    const what = r.action === 'triage' ? ' (what its Declare button declares)' : r.action === 'attach' ? ` with fallback: ${r.fallback}` : '';
    if (needsSeverity && !r.severity) ctx.addIssue({ code: 'custom', path: ['severity'], message: `a${r.action === 'attach' ? 'n' : ''} ${r.action} route${what} needs a severity` });
  });

export const alertsSchema = z.strictObject({
  /** Where `triage` routes post, unless a route names its own `channel`. */
  triage_channel: channelName.default('alerts-triage'),
  routes: z.array(alertRoute).min(1, 'define at least the default route').default([{ name: 'default', action: 'drop' } as never]),
});
