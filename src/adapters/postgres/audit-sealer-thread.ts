/**
 * The audit sealer's own thread (see SealerThread in audit-sealer.ts): its rounds run on an event
 * loop that the bot's requests cannot keep busy, on connections of their own.
 */
import { parentPort, workerData } from 'node:worker_threads';
import postgres from 'postgres';
import { AuditSealer, type SealerThreadData, type SealerThreadMessage } from './audit-sealer.js';

const data = workerData as SealerThreadData;
const post = (m: SealerThreadMessage) => parentPort!.postMessage(m);
const logAt =
  (level: 'debug' | 'info' | 'warn' | 'error') =>
  (obj: object, msg?: string): void =>
    post({ kind: 'log', level, obj, msg: msg ?? '' });
// postgres.js directly (not database.ts, which loads drizzle and the schema): a thread's memory is its own.
const connectOne = () => postgres(data.url, { max: 1, connect_timeout: 2, idle_timeout: 0, onnotice: () => {}, fetch_types: false, connection: { application_name: 'warroom-sealer' } });
const sql = connectOne();
const lock = connectOne();
const sealer = new AuditSealer(sql, lock, {
  log: { debug: logAt('debug'), info: logAt('info'), warn: logAt('warn'), error: logAt('error') },
  everyMs: data.everyMs,
  ...(data.electEveryMs ? { electEveryMs: data.electEveryMs } : {}),
  onSealed: (n, ms) => post({ kind: 'sealed', n, ms }),
});
sealer.start();
parentPort!.on('message', (m: string) => {
  if (m !== 'stop') return;
  void (async () => {
    await sealer.stop();
    await Promise.all([sql.end({ timeout: 5 }), lock.end({ timeout: 5 })]);
    post({ kind: 'stopped' });
    parentPort!.close();
  })();
});
