/**
 * Helper processes over a tiny request/response protocol on Node's IPC channel.
 *
 * Why processes and not in-process objects: the bot runs in the benchmark's own process (so its
 * RSS can be sampled), and whatever else shares that process shares its event loop and its
 * memory. The fake Slack/PagerDuty/Twilio servers and the HTTP load generator stand for things
 * that are on other machines in production; running them in child processes keeps their CPU time
 * off the bot's event loop and their memory out of the bot's RSS. (The machine's 2 cores are still
 * shared: every figure has a floor measured the same way, in the same run.)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

type Handlers = Record<string, (params: any) => Promise<unknown> | unknown>;

interface Request {
  id: number;
  method: string;
  params: unknown;
}
interface Response {
  id: number;
  result?: unknown;
  error?: string;
}

export interface Child {
  name: string;
  pid: number;
  call<T>(method: string, params?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Forks `file`: by default a .ts module run through the same tsx loader as this process;
 * `execArgv: []` runs plain JavaScript on plain Node (the compiled-bot memory experiment).
 */
export async function startChild(file: URL, name: string, opts: { execArgv?: string[] } = {}): Promise<Child> {
  const proc: ChildProcess = fork(fileURLToPath(file), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
    ...(opts.execArgv ? { execArgv: opts.execArgv } : {}),
  });
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited = false;
  proc.on('message', (m: Response) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error !== undefined) p.reject(new Error(`${name}: ${m.error}`));
    else p.resolve(m.result);
  });
  const exitedP = new Promise<void>((resolve) =>
    proc.once('exit', (code, signal) => {
      exited = true;
      for (const p of pending.values()) p.reject(new Error(`${name} exited (${code ?? signal}) during a call`));
      pending.clear();
      resolve();
    }),
  );
  const child: Child = {
    name,
    pid: proc.pid ?? -1,
    call<T>(method: string, params?: unknown): Promise<T> {
      if (exited) return Promise.reject(new Error(`${name} is not running`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        proc.send({ id, method, params } satisfies Request);
      });
    },
    async stop() {
      if (exited) return;
      // Ask nicely (the child closes its servers), then insist.
      await Promise.race([child.call('shutdown').catch(() => undefined), new Promise((r) => setTimeout(r, 3000))]);
      if (!exited) proc.kill('SIGTERM');
      await Promise.race([exitedP, new Promise((r) => setTimeout(r, 3000))]);
      if (!exited) proc.kill('SIGKILL');
    },
  };
  await child.call('ping');
  return child;
}

/** The child's side: answers requests with `handlers`, and exits when the parent goes away. */
export function serve(handlers: Handlers, onShutdown: () => Promise<void> = async () => {}): void {
  if (!process.send) throw new Error('serve() must run in a forked child process');
  const all: Handlers = {
    ping: () => 'pong',
    shutdown: async () => {
      await onShutdown();
      setImmediate(() => process.exit(0));
      return 'bye';
    },
    ...handlers,
  };
  process.on('message', (m: Request) => {
    const handler = all[m.method];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown method ${m.method}`);
        return handler(m.params);
      })
      .then(
        (result) => process.send!({ id: m.id, result } satisfies Response),
        (err: unknown) => process.send!({ id: m.id, error: err instanceof Error ? err.message : String(err) } satisfies Response),
      );
  });
  // The parent died or closed the channel: never linger holding ports.
  process.on('disconnect', () => {
    void onShutdown().finally(() => process.exit(0));
  });
}
