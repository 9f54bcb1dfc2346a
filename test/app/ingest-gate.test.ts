import { describe, expect, it } from 'vitest';
import { IngestGate, type Release } from '../../src/http/ingest-gate.js';
import { alertIngestLimits, DEFAULT_CONCURRENCY, HTTP_HEADROOM, poolSizeFor } from '../../src/adapters/postgres/pool-size.js';

/** The alert endpoints' admission (no I/O): its clock is its own, so a test may move it. */
function gate(limits: { maxInFlight: number; maxWaiting: number; maxWaitMs: number }) {
  let t = 0;
  const g = new IngestGate({ ...limits, retryAfterS: 5 }, () => t);
  return { g, advance: (ms: number) => (t += ms) };
}

const slotOf = (a: ReturnType<IngestGate['admit']>): Promise<Release> => {
  if ('rejected' in a) throw new Error(`rejected: ${a.rejected}`);
  return a.slot;
};

describe('IngestGate', () => {
  it('runs maxInFlight at once, lets the rest wait in arrival order, and turns one more away when the line is full', async () => {
    const { g } = gate({ maxInFlight: 2, maxWaiting: 2, maxWaitMs: 1000 });
    const a = await slotOf(g.admit());
    const b = await slotOf(g.admit());
    const order: string[] = [];
    const c = slotOf(g.admit()).then((r) => (order.push('c'), r));
    const d = slotOf(g.admit()).then((r) => (order.push('d'), r));
    expect(g.admit()).toEqual({ rejected: 'backlog_full' });
    expect(g.state()).toMatchObject({ inFlight: 2, waiting: 2 });
    a();
    a(); // twice is once
    const rc = await c;
    expect(order).toEqual(['c']);
    expect(g.state()).toMatchObject({ inFlight: 2, waiting: 1 });
    b();
    const rd = await d;
    expect(order).toEqual(['c', 'd']);
    rc();
    rd();
    expect(g.state()).toEqual({ inFlight: 0, waiting: 0, oldestWaitMs: 0 });
    // Drained: admitted again at once.
    (await slotOf(g.admit()))();
  });

  it('turns new ingests away while the oldest waiting one has waited longer than maxWaitMs, and admits again once the line moves', async () => {
    const { g, advance } = gate({ maxInFlight: 1, maxWaiting: 100, maxWaitMs: 1000 });
    const a = await slotOf(g.admit());
    const waiting = slotOf(g.admit());
    advance(1000);
    const next = slotOf(g.admit()); // at the bound: still waits
    advance(1);
    expect(g.admit()).toEqual({ rejected: 'backlog_stale' });
    expect(g.state()).toMatchObject({ inFlight: 1, waiting: 2, oldestWaitMs: 1001 });
    a();
    (await waiting)();
    // The oldest now waited 1 ms: not stale.
    const r = await next;
    const later = slotOf(g.admit());
    r();
    (await later)();
  });

  it('from the pool: half the HTTP headroom runs at once, twice the pool may wait', () => {
    const pool = poolSizeFor(DEFAULT_CONCURRENCY);
    expect(alertIngestLimits(pool)).toEqual({ maxInFlight: HTTP_HEADROOM / 2, maxWaiting: 2 * pool, maxWaitMs: 10_000, retryAfterS: 5 });
    // A tiny pool still keeps a connection for everything else.
    expect(alertIngestLimits(2).maxInFlight).toBe(1);
  });
});
