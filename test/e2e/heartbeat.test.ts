import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { nothingMoreWithin, TIMER_GRACE_MS } from '../support/quiet.js';

let h: Harness;
let server: Server;
const pings: number[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/ping/warroom') pings.push(Date.now());
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  h = await startHarness({ env: { HEARTBEAT_URL: `http://127.0.0.1:${port}/ping/warroom` } });
});
afterAll(async () => {
  await h?.stop();
  await new Promise((r) => server.close(r));
});

describe('dead-man heartbeat', () => {
  it('is pinged after every reconciliation, so a monitor notices when escalations stop being checked', async () => {
    await h.slack.waitFor(() => pings.length >= 2, 5000, 'two heartbeats');
    // Stop the bot: the pings stop too.
    await h.restartBot({ workers: false });
    const before = pings.length;
    await nothingMoreWithin(TIMER_GRACE_MS, 'a heartbeat with no reconciler running');
    expect(pings.length).toBe(before);
  });
});
