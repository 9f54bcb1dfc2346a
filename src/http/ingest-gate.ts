import { performance } from 'node:perf_hooks';

/** When the alert endpoints answer 429 (docs/alerts.md, "Answers"). */
export interface IngestLimits {
  /** Ingests holding a Postgres connection at once; more would eat the pool's headroom for acks. */
  maxInFlight: number;
  /** Ingests allowed to wait for a slot; one more is a 429 (bounds the bodies held in memory). */
  maxWaiting: number;
  /** While the oldest waiting ingest has waited longer than this, new ones get a 429. */
  maxWaitMs: number;
  /** The `Retry-After` of a 429, in seconds. */
  retryAfterS: number;
}

export type Rejection = 'backlog_full' | 'backlog_stale';

/** Frees the slot; call it once, whatever the ingest did. */
export type Release = () => void;

/**
 * Admission for alert ingests: a fixed number run, the rest wait in arrival order, and an ingest
 * is turned away only when the bot truly cannot keep up — the waiting line is full, or its oldest
 * member has waited longer than `maxWaitMs` (the line does not drain as fast as it fills).
 */
export class IngestGate {
  private inFlight = 0;
  private readonly waiting: Array<{ since: number; enter: (r: Release) => void }> = [];

  constructor(
    readonly limits: IngestLimits,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A slot (now or once one frees), or why not. */
  admit(): { slot: Promise<Release> } | { rejected: Rejection } {
    if (this.inFlight < this.limits.maxInFlight && this.waiting.length === 0) {
      this.inFlight += 1;
      return { slot: Promise.resolve(this.release()) };
    }
    if (this.waiting.length >= this.limits.maxWaiting) return { rejected: 'backlog_full' };
    const oldest = this.waiting[0];
    if (oldest && this.now() - oldest.since > this.limits.maxWaitMs) return { rejected: 'backlog_stale' };
    return { slot: new Promise<Release>((enter) => this.waiting.push({ since: this.now(), enter })) };
  }

  state(): { inFlight: number; waiting: number; oldestWaitMs: number } {
    const oldest = this.waiting[0];
    return { inFlight: this.inFlight, waiting: this.waiting.length, oldestWaitMs: oldest ? Math.round(this.now() - oldest.since) : 0 };
  }

  private release(): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next in line: inFlight stays the same.
      if (next) next.enter(this.release());
      else this.inFlight -= 1;
    };
  }
}
