import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';

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
    const deadline = Date.now() + 5000;
    while (pings.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(pings.length).toBeGreaterThanOrEqual(2);
    // Stop the bot: the pings stop too.
    await h.restartBot({ workers: false });
    const before = pings.length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(pings.length).toBe(before);
  });
});
