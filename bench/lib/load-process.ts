/**
 * Child process: the HTTP load generator. Stands for Slack (signed slash commands) and CI
 * pipelines (deploy-gate GETs). Kept out of the bot's process so building, signing and timing
 * requests does not queue behind the server on one event loop (see child.ts).
 *
 * Closed loop: `concurrency` virtual clients, each sending its next request when the previous
 * answer arrived (latency and throughput under a fixed number in flight). Open loop: one request
 * every `intervalMs` whatever the answers (a storm arrives at its own pace).
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { serve } from './child.js';
import { signSlack, slashCommandBody } from './workspace.js';
import { stormPlan, type StormRequest, type StormShape } from './alert-storm.js';

export type Recipe =
  | {
      kind: 'slash';
      url: string;
      secret: string;
      command: string;
      /** `{n}` is replaced by a per-request counter (unique titles). */
      text: string;
      channel: string;
      user: string;
      responseUrlBase: string;
      /** Trigger ids are `<tag>-<n>`: unique per request, as Slack's are. */
      tag: string;
      /** The ack must contain this text to count as a success. */
      expect?: string;
    }
  | { kind: 'get'; url: string; headers?: Record<string, string>; okStatus: number[] };

export interface Sample {
  /** Wall clock when the request was sent (epoch ms), to compare with timestamps others wrote. */
  start: number;
  /** Send → last byte of the answer (monotonic clock). */
  ms: number;
  status: number;
  ok: boolean;
  triggerId?: string;
  incidentId?: number;
  error?: string;
}

export interface LoadResult {
  samples: Sample[];
  elapsedMs: number;
  errors: number;
  firstError?: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });
let counter = 0;

interface Prepared {
  url: URL;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  triggerId?: string;
}

function prepare(r: Recipe): Prepared {
  if (r.kind === 'get') return { url: new URL(r.url), method: 'GET', headers: { ...(r.headers ?? {}) } };
  counter += 1;
  const triggerId = `${r.tag}-${counter}`;
  const body = slashCommandBody({
    command: r.command,
    text: r.text.replaceAll('{n}', String(counter)),
    channel: r.channel,
    user: r.user,
    triggerId,
    responseUrl: `${r.responseUrlBase}${triggerId}`,
  });
  return {
    url: new URL(r.url),
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)), ...signSlack(body, r.secret) },
    body,
    triggerId,
  };
}

/** Sends one request; the clock starts after the body is built and signed. */
function send(r: Recipe): Promise<Sample> {
  const p = prepare(r);
  return new Promise<Sample>((resolve) => {
    const start = Date.now();
    const t0 = performance.now();
    const done = (status: number, text: string, error?: string) => {
      const ms = performance.now() - t0;
      const s: Sample = { start, ms, status, ok: false };
      if (p.triggerId) s.triggerId = p.triggerId;
      if (error) s.error = error;
      else if (r.kind === 'get') s.ok = r.okStatus.includes(status);
      else {
        s.ok = status === 200 && (!r.expect || text.includes(r.expect));
        const m = /INC-(\d+)/.exec(text);
        if (m) s.incidentId = Number(m[1]);
        if (!s.ok) s.error = `HTTP ${status}: ${text.slice(0, 200)}`;
      }
      if (!s.ok && !s.error) s.error = `HTTP ${status}`;
      resolve(s);
    };
    const req = request(p.url, { method: p.method, headers: p.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
      res.on('error', (err) => done(res.statusCode ?? 0, '', err.message));
    });
    req.setTimeout(30_000, () => req.destroy(new Error('timed out after 30 s')));
    req.on('error', (err) => done(0, '', err.message));
    req.end(p.body);
  });
}

export interface AlertSample {
  group: number;
  /** Wall clock when sent (epoch ms). */
  start: number;
  ms: number;
  status: number;
  alerts: number;
  resends: number;
  accepted: number;
  duplicates: number;
  /** 429s answered before the 202 (the storm's senders wait Retry-After and send again). */
  throttled: number;
  retryAfterS?: number;
  error?: string;
}

/** POSTs one storm request with the bearer token; the clock starts once the body exists. */
function sendAlert(baseUrl: string, token: string, group: number, r: StormRequest): Promise<AlertSample> {
  return new Promise<AlertSample>((resolve) => {
    const start = Date.now();
    const t0 = performance.now();
    const done = (status: number, text: string, error?: string, retryAfter?: string) => {
      const s: AlertSample = { group, start, ms: performance.now() - t0, status, alerts: r.alerts, resends: r.resends, accepted: 0, duplicates: 0, throttled: 0 };
      if (retryAfter) s.retryAfterS = Number(retryAfter);
      if (error) s.error = error;
      else if (status === 202) {
        try {
          const b = JSON.parse(text) as { accepted?: number; duplicates?: number };
          s.accepted = b.accepted ?? 0;
          s.duplicates = b.duplicates ?? 0;
        } catch {
          // a floor server answers without a body
        }
      } else s.error = `HTTP ${status}: ${text.slice(0, 200)}`;
      resolve(s);
    };
    const req = request(new URL(`${baseUrl}/api/v1/alerts/${r.path}`), { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(r.body)), authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), undefined, res.headers['retry-after']));
      res.on('error', (err) => done(res.statusCode ?? 0, '', err.message));
    });
    req.setTimeout(30_000, () => req.destroy(new Error('timed out after 30 s')));
    req.on('error', (err) => done(0, '', err.message));
    req.end(r.body);
  });
}

/** As Alertmanager and Datadog do: a 429 is sent again after its Retry-After. The sample spans first send → final answer. */
async function deliverAlert(baseUrl: string, token: string, group: number, r: StormRequest): Promise<AlertSample> {
  const start = Date.now();
  const t0 = performance.now();
  let throttled = 0;
  for (;;) {
    const s = await sendAlert(baseUrl, token, group, r);
    if (s.status !== 429) return { ...s, start, ms: performance.now() - t0, throttled };
    throttled += 1;
    await new Promise((res) => setTimeout(res, (s.retryAfterS ?? 1) * 1000));
  }
}

function result(samples: Sample[], elapsedMs: number): LoadResult {
  const failed = samples.filter((s) => !s.ok);
  const out: LoadResult = { samples, elapsedMs, errors: failed.length };
  if (failed[0]?.error) out.firstError = failed[0].error;
  return out;
}

serve(
  {
    one: (p: { recipe: Recipe }) => send(p.recipe),

    /** `concurrency` clients until `count` requests are done or `durationMs` has passed. */
    async closedLoop(p: { recipe: Recipe; concurrency: number; count?: number; durationMs?: number }): Promise<LoadResult> {
      const samples: Sample[] = [];
      const t0 = performance.now();
      const deadline = p.durationMs ? t0 + p.durationMs : Infinity;
      let issued = 0;
      const client = async () => {
        while ((p.count === undefined || issued < p.count) && performance.now() < deadline) {
          issued += 1;
          samples.push(await send(p.recipe));
        }
      };
      await Promise.all(Array.from({ length: p.concurrency }, client));
      return result(samples, performance.now() - t0);
    },

    /**
     * The alert storm (alert-storm.ts): every stream at once, each request at its time or after
     * the stream's previous answer, whichever is later (a sender's group notifies one at a time).
     */
    async alertStorm(p: { baseUrl: string; token: string; shape: StormShape }): Promise<{ samples: AlertSample[]; elapsedMs: number }> {
      const streams = stormPlan(p.shape);
      const samples: AlertSample[] = [];
      const t0 = performance.now();
      await Promise.all(
        streams.map(async (s) => {
          for (const r of s.requests) {
            const wait = t0 + r.at - performance.now();
            if (wait > 0) await new Promise((res) => setTimeout(res, wait));
            samples.push(await deliverAlert(p.baseUrl, p.token, s.group, r));
          }
        }),
      );
      return { samples, elapsedMs: performance.now() - t0 };
    },

    /** The storm's requests in time order as fast as `concurrency` senders go (throughput). */
    async alertClosedLoop(p: { baseUrl: string; token: string; shape: StormShape; concurrency: number }): Promise<{ samples: AlertSample[]; elapsedMs: number }> {
      const queue = stormPlan(p.shape)
        .flatMap((s) => s.requests.map((r) => ({ group: s.group, r })))
        .sort((a, b) => a.r.at - b.r.at);
      const samples: AlertSample[] = [];
      const t0 = performance.now();
      let next = 0;
      const client = async () => {
        while (next < queue.length) {
          const { group, r } = queue[next++]!;
          samples.push(await sendAlert(p.baseUrl, p.token, group, r));
        }
      };
      await Promise.all(Array.from({ length: p.concurrency }, client));
      return { samples, elapsedMs: performance.now() - t0 };
    },

    /** `count` requests, one every `intervalMs`, not waiting for answers. */
    async openLoop(p: { recipe: Recipe; count: number; intervalMs: number }): Promise<LoadResult> {
      const t0 = performance.now();
      const inflight: Array<Promise<Sample>> = [];
      for (let i = 0; i < p.count; i++) {
        // Schedule against the start so timer drift does not accumulate.
        const wait = t0 + i * p.intervalMs - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        inflight.push(send(p.recipe));
      }
      const samples = await Promise.all(inflight);
      return result(samples, performance.now() - t0);
    },
  },
  async () => {
    agent.destroy();
  },
);
