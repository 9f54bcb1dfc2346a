/**
 * A worker thread of `verifyAuditChain` (audit-verify.ts): verifies the ranges it is given, one at
 * a time, on a connection of its own, in the snapshot the main thread exported.
 */
import { once } from 'node:events';
import { parentPort, workerData } from 'node:worker_threads';
import postgres from 'postgres';
import { prepareSession, verifyRange, type FromWorker, type ToWorker } from './audit-verify-range.js';

const { url, snapshot } = workerData as { url: string; snapshot: string };
const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m);
const sql = postgres(url, { max: 1, onnotice: () => {}, fetch_types: false, connect_timeout: 10, connection: { application_name: 'warroom-audit-verify' } });
try {
  await sql.begin('isolation level repeatable read read only', async (tx) => {
    await tx.unsafe(`set transaction snapshot '${snapshot}'`);
    await prepareSession(tx);
    for (;;) {
      // Listening before asking: the answer cannot arrive unheard.
      const answer = once(port, 'message') as Promise<[ToWorker]>;
      post({ ready: true });
      const [m] = await answer;
      if ('done' in m) return;
      const { report, drained } = await verifyRange(tx, m.range);
      post({ index: m.index, report });
      await drained;
    }
  });
} catch (err) {
  post({ error: (err as Error).message });
} finally {
  await sql.end({ timeout: 5 });
}
