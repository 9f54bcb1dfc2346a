/**
 * The alert storm of issue 11, shared by test/load/alert-storm.test.ts and bench/alerts.ts: 40
 * group keys, half from Alertmanager (a group's alerts in batches, one webhook at a time per
 * group, as its aggregation groups notify) and half from a single-alert sender (one alert per
 * request: Datadog's shape). Each group's deliveries are 80 % new firing alerts, 10 % resends of
 * one sent three before (duplicates for the bot) and 10 % resolves of one sent three before.
 *
 * The single-alert sender posts to the generic endpoint; once `POST /api/v1/alerts/datadog`
 * exists, a Datadog sender replaces {@link SENDERS}`.single` (its path and its body) and nothing else.
 */

export interface StormAlert {
  group: number;
  seq: number;
  status: 'firing' | 'resolved';
  /** A resend of an alert already sent. */
  resend: boolean;
}

export interface StormRequest {
  /** When to send it, ms after the storm's start (a stream also waits for its previous answer). */
  at: number;
  path: string;
  body: string;
  alerts: number;
  resends: number;
}

/** One sender's stream for one group: requests sent in order, each after the previous answer. */
export interface StormStream {
  group: number;
  sender: keyof typeof SENDERS;
  requests: StormRequest[];
}

export interface StormShape {
  groups: number;
  perGroup: number;
  spanMs: number;
  /** Alertmanager webhooks per group over the span. */
  amTicks: number;
  /** Makes every dedup key of this storm new (several storms against one bot). */
  tag: string;
}

/** The routes of the storm's policy: a quarter of the groups declare a Sev1, the rest a Sev2. */
export const STORM_ROUTES = [
  { name: 'storm-sev1', match: { labels: { tier: { equals: 'sev1' } } }, action: 'declare', severity: 'sev1', service: 'clearing', group_window: '30m' },
  { name: 'storm-sev2', match: { labels: { tier: { equals: 'sev2' } } }, action: 'declare', severity: 'sev2', group_window: '30m' },
  { name: 'default', action: 'drop' },
];

export const tierOf = (group: number): 'sev1' | 'sev2' => (group % 4 === 0 ? 'sev1' : 'sev2');
export const monitorOf = (group: number): string => `Storm${String(group).padStart(2, '0')}`;

const startsAt = new Date(Date.now() - 60_000).toISOString();

/** Prometheus Alertmanager's webhook (payload version 4) with a group's alerts. */
function alertmanagerBody(alerts: StormAlert[], tag: string): unknown {
  const g = alerts[0]!.group;
  return {
    version: '4',
    groupKey: `{}:{alertname="${monitorOf(g)}"}`,
    truncatedAlerts: 0,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: 'warroom',
    groupLabels: { alertname: monitorOf(g) },
    commonLabels: { alertname: monitorOf(g), tier: tierOf(g) },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts: alerts.map((a) => ({
      status: a.status,
      labels: { alertname: monitorOf(g), severity: 'critical', service: 'clearing', tier: tierOf(g), instance: `gw-${a.seq}` },
      annotations: { summary: `Collateral demand over threshold on gw-${a.seq}` },
      startsAt,
      endsAt: a.status === 'firing' ? '0001-01-01T00:00:00Z' : new Date().toISOString(),
      generatorURL: `http://prometheus:9090/graph?g0.expr=${monitorOf(g)}`,
      fingerprint: `${tag}-${g}-${a.seq}`,
    })),
  };
}

/** The generic endpoint's schema, one alert per request (standing in for Datadog). */
function genericBody(a: StormAlert, tag: string): unknown {
  return {
    source: 'storm-monitor',
    dedup_key: `${tag}-${a.group}-${a.seq}`,
    status: a.status,
    title: `${monitorOf(a.group)} on host-${a.seq}`,
    severity: 'critical',
    service: 'market-data',
    labels: { alertname: monitorOf(a.group), tier: tierOf(a.group), host: `host-${a.seq}` },
    link: `https://monitors.example/${monitorOf(a.group)}`,
  };
}

/** The senders: an endpoint path, how many alerts one request carries (0: as many as a tick has), the body. */
export const SENDERS = {
  alertmanager: { path: 'alertmanager', batched: true, body: (alerts: StormAlert[], tag: string) => alertmanagerBody(alerts, tag) },
  single: { path: 'generic', batched: false, body: (alerts: StormAlert[], tag: string) => genericBody(alerts[0]!, tag) },
} as const;

/** A group's deliveries in order (see the file's comment for the mix). */
export function deliveries(group: number, n: number): StormAlert[] {
  const out: StormAlert[] = [];
  for (let seq = 0; out.length < n; seq++) {
    out.push({ group, seq, status: 'firing', resend: false });
    if (seq % 8 === 7 && out.length < n) out.push({ group, seq: seq - 3, status: 'firing', resend: true });
    if (seq % 8 === 3 && out.length < n) out.push({ group, seq: seq - 3, status: 'resolved', resend: false });
  }
  return out;
}

/** Every stream of the storm: groups [0, groups/2) from Alertmanager, the rest from the single-alert sender. */
export function stormPlan(shape: StormShape): StormStream[] {
  return Array.from({ length: shape.groups }, (_, group) => {
    const sender: keyof typeof SENDERS = group < shape.groups / 2 ? 'alertmanager' : 'single';
    const s = SENDERS[sender];
    const all = deliveries(group, shape.perGroup);
    // Groups start apart, so requests do not all land on the same millisecond.
    const offset = ((group * 97) % 1000) * (shape.spanMs / 60_000);
    const chunks: StormAlert[][] = [];
    if (s.batched) {
      const per = Math.ceil(all.length / shape.amTicks);
      for (let i = 0; i < all.length; i += per) chunks.push(all.slice(i, i + per));
    } else {
      for (const a of all) chunks.push([a]);
    }
    const requests = chunks.map((alerts, i) => ({
      at: (i * shape.spanMs) / chunks.length + offset,
      path: s.path,
      body: JSON.stringify(s.body(alerts, shape.tag)),
      alerts: alerts.length,
      resends: alerts.filter((a) => a.resend).length,
    }));
    return { group, sender, requests };
  });
}

/** Slack's per-minute tiers scaled 30× down (per 2 s), as test/load/storm.test.ts does for Tier 2. */
export const SLACK_WINDOW_MS = 2000;
export const SLACK_LIMITS: Record<string, number> = {
  'conversations.create': 20, // Tier 2
  'conversations.invite': 50, // Tier 3
  'pins.add': 20, // Tier 2
  'chat.postMessage': 50, // special tier (about one a second per channel); kept global here
  'chat.update': 50, // Tier 3
};
