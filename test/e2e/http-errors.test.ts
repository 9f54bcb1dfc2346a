import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ proxyDatabase: true });
});
afterAll(async () => {
  h?.pgProxy?.restore();
  await h?.stop();
});

describe('HTTP 500', () => {
  it("answers a generic error with an id, never the error's own text; the log line has both", async () => {
    h.pgProxy!.cut();
    const r = await h.api('/api/v1/deploy-window?type=standard&service=payments');
    h.pgProxy!.restore();
    expect(r.status).toBe(500);
    expect(Object.keys(r.body).sort()).toEqual(['error', 'errorId', 'message']);
    expect(r.body.error).toBe('internal_error');
    expect(r.body.errorId).toMatch(/^[0-9a-f-]{36}$/);
    const line = h.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['errorId'] === r.body.errorId);
    expect(line).toMatchObject({ msg: 'HTTP request failed', method: 'GET', path: '/api/v1/deploy-window' });
    const cause = String(line!['err']);
    expect(cause.length).toBeGreaterThan(0);
    expect(JSON.stringify(r.body)).not.toContain(cause);
    expect(r.body.message).not.toMatch(/postgres|connect|ECONN|CONNECTION|select|127\.0\.0\.1/i);
  });
});
