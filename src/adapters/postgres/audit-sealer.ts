import { chain, GENESIS_HASH, type ChainedAuditRecord } from '../../domain/audit-chain.js';
import type { Logger } from '../../app/ports/logger.js';
import type { Worker } from 'node:worker_threads';
import type { Sql } from './database.js';
import { startThread } from './threads.js';

/** Held (per transaction) by whoever extends the chain: one chain, however many sealers run. */
const CHAIN_HEAD_LOCK = 7_461_007_002;
/** Held (per session) by the elected sealer; another replica takes over when its session ends. */
const SEALER_LOCK = 7_461_007_003;
/**
 * Held shared by every transaction from numbering its audit events (migration 0011's deferred
 * trigger) until its commit is done; taken exclusively by the sealer for a moment before it reads.
 */
const COMMIT_ORDER_LOCK = 7_461_007_004;
/** Events chained per transaction (9 parameters each, under Postgres's 65,535). */
export const SEAL_BATCH = 2000;

/** Read as plain values, whatever parsers the client has (drizzle makes timestamps strings). */
interface InboxRow {
  id: string;
  occurred_ms: number;
  actor: string;
  action: string;
  incident_id: number | null;
  subject: string;
  data: string | null;
}

/**
 * Chains what the audit inbox holds, once, in commit order (`ord`, numbered at commit by migration
 * 0011's deferred trigger). Before reading, the sealer waits until no transaction is between
 * numbering its events and finishing its commit (the commit-order lock, exclusively, released at
 * once): everything numbered so far is then committed or rolled back, and whatever is numbered
 * later sorts after it. So an event whose transaction commits late is neither skipped nor sealed
 * out of order. Moving an event (insert into the chain, delete from the inbox) is one
 * transaction, so a reader sees it in exactly one of the two.
 *
 * Returns how many events were sealed. Safe to call from several places at once: the chain-head
 * lock serialises them and each reads the head and the inbox after taking it.
 */
export async function sealBatch(sql: Sql, batch = SEAL_BATCH): Promise<number> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${CHAIN_HEAD_LOCK})`;
    const [head] = await tx<Array<{ seq: string; hash: string }>>`select seq, hash from audit_events order by seq desc limit 1`;
    // A session lock, taken and released around nothing: it only waits out the commits in flight.
    await tx`select pg_advisory_lock(${COMMIT_ORDER_LOCK}), pg_advisory_unlock(${COMMIT_ORDER_LOCK})`;
    const rows = await tx<InboxRow[]>`
      select id::text, (extract(epoch from occurred_at) * 1000)::float8 as occurred_ms, actor, action, incident_id, subject, data::text as data
      from audit_inbox where ord is not null
      order by ord limit ${batch}`;
    if (rows.length === 0) return 0;
    let seq = Number(head?.seq ?? 0);
    let prev = head?.hash ?? GENESIS_HASH;
    const links = rows.map((r) => {
      const data = r.data === null ? null : (JSON.parse(r.data) as unknown);
      const rec: ChainedAuditRecord = chain({ seq: ++seq, occurredAt: new Date(r.occurred_ms), actor: r.actor, action: r.action, incidentId: r.incident_id, subject: r.subject, data }, prev);
      prev = rec.hash;
      return { id: r.id, seq: rec.seq, prev_hash: rec.prevHash, hash: rec.hash };
    });
    // The content is copied inside Postgres (byte for byte what was hashed); only the links travel.
    await tx`
      insert into audit_events (seq, occurred_at, actor, action, incident_id, subject, data, prev_hash, hash)
      select l.seq, i.occurred_at, i.actor, i.action, i.incident_id, i.subject, i.data, l.prev_hash, l.hash
      from jsonb_to_recordset(${JSON.stringify(links)}::text::jsonb) as l(id bigint, seq bigint, prev_hash text, hash text)
      join audit_inbox i on i.id = l.id
      order by l.seq`;
    await tx`delete from audit_inbox i using jsonb_to_recordset(${JSON.stringify(links)}::text::jsonb) as l(id bigint) where i.id = l.id`;
    return rows.length;
  });
}

export interface SealerOptions {
  log: Logger;
  /** Pause between rounds while there is nothing (more) to seal. */
  everyMs: number;
  /** How often a replica that is not the sealer tries to become it. */
  electEveryMs?: number;
  /** Told each round's count and how long sealing it took (metrics). */
  onSealed?: (events: number, ms: number) => void;
}

/**
 * The sealer: every replica runs one; the one holding the session advisory lock seals, the others
 * wait to take over (a crashed or disconnected sealer's lock is released by Postgres). The chain
 * stays single even if two ever seal at once (see {@link sealBatch}).
 */
export class AuditSealer {
  private timer: NodeJS.Timeout | null = null;
  private leader = false;
  private stopped = false;
  private running: Promise<void> | null = null;
  private failures = 0;
  private rounds = 0;

  /**
   * `sql` seals (any pooled connection); `lock` is a client of its own with one connection, whose
   * session holds the election lock for as long as it lives.
   */
  constructor(
    private readonly sql: Sql,
    private readonly lock: Sql,
    private readonly opts: SealerOptions,
  ) {}

  get isLeader(): boolean {
    return this.leader;
  }

  start(): void {
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.round().finally(() => (this.running = null));
    }, ms);
    this.timer.unref();
  }

  private async round(): Promise<void> {
    let next = this.opts.everyMs;
    try {
      if (!this.leader) await this.elect();
      // Now and then: is the lock's session still the one holding it (a dropped connection loses it)?
      else if (++this.rounds % 50 === 0) await this.confirm();
      if (this.leader) {
        const started = performance.now();
        const n = await sealBatch(this.sql);
        if (n > 0) this.opts.onSealed?.(n, performance.now() - started);
        // A full batch: more are waiting, go on at once.
        if (n === SEAL_BATCH) next = 0;
      } else {
        next = this.opts.electEveryMs ?? 1000;
      }
      if (this.failures > 0) this.opts.log.info({ afterFailures: this.failures }, 'audit sealer working again');
      this.failures = 0;
    } catch (err) {
      this.failures += 1;
      // One line per streak, then every 30th: Postgres being away is reported elsewhere too.
      if (this.failures === 1 || this.failures % 30 === 0) this.opts.log.warn({ err: (err as Error).message, failures: this.failures }, 'audit sealer round failed; retrying');
      await this.resign();
      next = Math.min(5000, this.opts.everyMs * 2 ** Math.min(this.failures, 6));
    }
    this.schedule(next);
  }

  private async elect(): Promise<void> {
    const [r] = await this.lock<Array<{ ok: boolean }>>`select pg_try_advisory_lock(${SEALER_LOCK}) as ok`;
    if (r?.ok) {
      this.leader = true;
      this.opts.log.info({}, 'audit sealer elected');
    }
  }

  private async confirm(): Promise<void> {
    const [r] = await this.lock<Array<{ held: boolean }>>`
      select exists (select 1 from pg_locks where locktype = 'advisory' and pid = pg_backend_pid() and granted
        and ((classid::bigint << 32) | objid::bigint) = ${SEALER_LOCK}) as held`;
    if (!r?.held) {
      this.leader = false;
      this.opts.log.warn({}, 'audit sealer lost its election lock (its connection was replaced); electing again');
    }
  }

  private async resign(): Promise<void> {
    if (!this.leader) return;
    this.leader = false;
    await this.lock`select pg_advisory_unlock_all()`.catch(() => undefined);
  }

  /** Stops after the round in progress; seals what is left first when `drain` (a clean shutdown). */
  async stop(drain = true): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    if (drain && this.leader) {
      try {
        while ((await sealBatch(this.sql)) === SEAL_BATCH);
      } catch (err) {
        this.opts.log.warn({ err: (err as Error).message }, 'audit sealer could not drain the inbox; the next sealer will');
      }
    }
    await this.resign();
  }
}

export interface SealerThreadData {
  url: string;
  everyMs: number;
  electEveryMs?: number;
}

export type SealerThreadMessage =
  | { kind: 'sealed'; n: number; ms: number }
  | { kind: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; obj: object; msg: string }
  | { kind: 'stopped' };

/**
 * The replica's sealer in a worker thread of its own (audit-sealer-thread.ts). On the main
 * thread a sealing round waits its turn behind every request the bot is answering (measured:
 * a lag of 0.6–1.2 s at 32 concurrent declarations), and its exclusive moment on the
 * commit-order lock would stretch with it; on its own event loop it does not. A thread that
 * dies is started again (the election lock went with its connection, so another replica may
 * seal meanwhile); a clean stop drains the inbox first.
 */
export class SealerThread {
  private worker: Worker | null = null;
  private stopping = false;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly url: string,
    private readonly opts: SealerOptions,
  ) {}

  start(): void {
    const data: SealerThreadData = { url: this.url, everyMs: this.opts.everyMs, ...(this.opts.electEveryMs ? { electEveryMs: this.opts.electEveryMs } : {}) };
    // A small heap of its own: a round holds at most SEAL_BATCH events (about a megabyte), and
    // the default young generation alone would add tens of MB to every replica's RSS.
    const worker = startThread(import.meta.url, 'audit-sealer-thread', data, { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 96 });
    this.worker = worker;
    worker.on('message', (m: SealerThreadMessage) => {
      if (m.kind === 'sealed') {
        this.restarts = 0;
        this.opts.onSealed?.(m.n, m.ms);
      } else if (m.kind === 'log') this.opts.log[m.level](m.obj, m.msg);
    });
    worker.on('error', (err) => this.opts.log.error({ err: err.message }, 'audit sealer thread failed'));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = null;
      if (this.stopping) return;
      this.restarts += 1;
      const ms = Math.min(30_000, 500 * 2 ** Math.min(this.restarts, 6));
      this.opts.log.error({ code, restartInMs: ms }, 'audit sealer thread exited; starting it again');
      this.restartTimer = setTimeout(() => this.start(), ms);
      this.restartTimer.unref();
    });
  }

  /** Seals what is left, then ends the thread (terminated if it has not finished within `timeoutMs`). */
  async stop(timeoutMs = 15_000): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage('stop');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
    if ((await Promise.race([exited, late])) === 'late') {
      this.opts.log.warn({ timeoutMs }, 'audit sealer thread did not stop in time; terminated (the next sealer seals what is left)');
      await worker.terminate();
    }
    clearTimeout(timer);
  }
}
