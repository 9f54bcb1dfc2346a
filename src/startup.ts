import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from './app/deps.js';
import { retryDelayMs } from './adapters/redis/connections.js';
import { ConfigError } from './config/policy-schema.js';

/** `ready` of a start that `stop()` interrupted. */
export class StartAborted extends Error {
  constructor() {
    super('stopped before warroom was ready');
    this.name = 'StartAborted';
  }
}

const describeError = (err: unknown): string =>
  err instanceof Error ? err.message || (err as NodeJS.ErrnoException).code || err.name : String(err);

/**
 * The dependencies a start waits for. Each attempt that fails is one log line and a retry after
 * 1 s, 2 s, 4 s … at most 30 s; `awaiting` is what `/readyz` says meanwhile; abort ends the wait.
 */
export class DependencyWaits<Name extends string> {
  readonly awaiting: Record<Name, string | null>;

  constructor(
    names: readonly Name[],
    private readonly log: Logger,
    private readonly signal: AbortSignal,
  ) {
    this.awaiting = Object.fromEntries(names.map((n) => [n, 'not checked yet'])) as Record<Name, string | null>;
  }

  /** Retries `attempt` until it succeeds; `fatal` turns an error that waiting cannot fix into a refusal. */
  async until(name: Name, attempt: () => Promise<void>, fatal: (err: unknown) => Error | null = () => null): Promise<void> {
    for (let n = 1; ; n++) {
      if (this.signal.aborted) throw new StartAborted();
      try {
        await attempt();
        this.awaiting[name] = null;
        if (n > 1) this.log.info({ dependency: name, attempts: n }, `${name} is reachable`);
        return;
      } catch (err) {
        const refused = fatal(err);
        if (refused) throw refused;
        const delay = retryDelayMs(n);
        this.awaiting[name] = `not reachable: ${describeError(err)} (attempt ${n}; next in ${delay / 1000} s)`;
        this.log.warn({ dependency: name, err: describeError(err), attempt: n, retryInMs: delay }, `${name} is not reachable; retrying in ${delay / 1000} s`);
        try {
          await sleep(delay, undefined, { signal: this.signal });
        } catch {
          throw new StartAborted();
        }
      }
    }
  }
}

/** Postgres's "database does not exist" (3D000) as a configuration error with the command that fixes it. */
export function missingDatabase(err: unknown, databaseUrl: string): ConfigError | null {
  if ((err as { code?: string }).code !== '3D000') return null;
  const u = new URL(databaseUrl);
  const name = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres';
  const q = (word: string) => (/^[A-Za-z0-9_.@%+=:,/-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);
  const args = [u.hostname ? `-h ${q(u.hostname)}` : '', u.port ? `-p ${u.port}` : '', u.username ? `-U ${q(decodeURIComponent(u.username))}` : ''].filter(Boolean);
  return new ConfigError(`DATABASE_URL names the database "${name}", which does not exist. Create it (warroom creates its tables itself):\n  ${['createdb', ...args, q(name)].join(' ')}`);
}
