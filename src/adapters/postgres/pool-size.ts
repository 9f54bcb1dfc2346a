/**
 * How many Postgres connections one bot process needs so that the pool can never run dry.
 *
 * Every queue job holds at most ONE connection at a time: a store transaction or an `exclusive`
 * section (which may stay open across Slack calls) runs every store query made inside it on
 * its own connection (scoped-db.ts). So the workers together hold at most
 * `work + channels + timers` connections, whatever Slack's latency; the HTTP side (slash-command
 * and button acks, the deploy-gate and compliance APIs, health, metrics) and the periodic
 * reconcilers get `headroom` more, so an ack never queues behind slow jobs.
 */
export interface WorkerConcurrency {
  /** Concurrency of the general work queue. */
  work: number;
  /** The ordered channel-creation lane (1). */
  channels: number;
  /** Concurrency of the timer queue. */
  timers: number;
}

/** Default concurrencies (the queues' own defaults are set from these in server.ts). */
export const DEFAULT_CONCURRENCY: WorkerConcurrency = { work: 8, channels: 1, timers: 16 };

/** Connections kept free for the HTTP ack path, health/metrics and the reconcilers. */
export const HTTP_HEADROOM = 8;

export function poolSizeFor(c: WorkerConcurrency, headroom = HTTP_HEADROOM): number {
  return c.work + c.channels + c.timers + headroom;
}

/**
 * When the alert endpoints answer 429, from the pool the bot runs with. An ingest holds one
 * connection for its transaction; the ingests share the HTTP headroom with the acks, so they get
 * half of it (an ingest is several queries on the bot's one JavaScript thread: more at once only
 * holds more connections). Up to twice the pool may wait (a bound on the bodies held in memory); a line
 * whose oldest has waited 10 s is not draining (a burst of first alerts, each declaring, drains
 * within a few seconds), and holding senders longer only brings their timeouts and resends;
 * Alertmanager and Datadog retry a 429.
 */
export function alertIngestLimits(poolMax: number, headroom = HTTP_HEADROOM): { maxInFlight: number; maxWaiting: number; maxWaitMs: number; retryAfterS: number } {
  return { maxInFlight: Math.max(1, Math.min(Math.floor(headroom / 2), poolMax - 1)), maxWaiting: 2 * poolMax, maxWaitMs: 10_000, retryAfterS: 5 };
}
