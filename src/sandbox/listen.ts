import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on an ephemeral port of 127.0.0.1 (never a fixed one: tests run in parallel). */
export async function listenLocal(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** Closes the server now: clients keep connections alive, and close() alone waits for them. */
export async function closeNow(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

/** A fake's server on an ephemeral local port: started once, stopped at once, and its base URL. */
export class LocalServer {
  private server: Server | null = null;
  private port = 0;

  constructor(
    private readonly name: string,
    private readonly create: () => Server,
    private readonly scheme: 'http' | 'https' = 'http',
  ) {}

  async start(): Promise<void> {
    if (this.server) return;
    const server = this.create();
    this.port = await listenLocal(server);
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await closeNow(server);
  }

  /** `http://127.0.0.1:<port>`; throws before start(). */
  get url(): string {
    if (!this.server) throw new Error(`${this.name} is not started`);
    return `${this.scheme}://127.0.0.1:${this.port}`;
  }
}

/** An HTTP answer as a test reads it: its status, and its body as JSON when it is JSON, else text (null when empty). */
export async function readResponse(res: Response): Promise<{ status: number; body: any }> {
  const text = await res.text();
  if (!text) return { status: res.status, body: null };
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

export type Probe<T> = () => T | undefined | false | null | Promise<T | undefined | false | null>;

/**
 * Polls `probe` every 20 ms until it returns something truthy (its value) or the time is up; then
 * throws naming `what`, the probe's last error and the fake's recent traffic (`recent()`).
 */
export async function pollUntil<T>(name: string, probe: Probe<T>, timeoutMs: number, what: string, recent: () => string[]): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false && v !== null) return v;
    } catch (err) {
      lastError = err; // probes often index into arrays that are not filled yet
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const cause = lastError instanceof Error ? `\nlast probe error: ${lastError.message}` : '';
  throw new Error(`${name}.waitFor timed out after ${timeoutMs} ms waiting for ${what}${cause}\nlast requests:\n${recent().join('\n') || '  (none)'}`);
}
