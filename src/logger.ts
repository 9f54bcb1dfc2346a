import pino, { type Logger as Pino } from 'pino';

/**
 * pino with two layers against leaking secrets: known paths are redacted, and any string that
 * contains a configured secret value has it replaced, wherever it sits in the log line.
 */
export function createLogger(opts: { level: string; secrets: string[]; destination?: pino.DestinationStream }): Pino {
  const secrets = opts.secrets.filter((s) => s.length >= 6);
  const scrub = (s: string): string => secrets.reduce((acc, secret) => acc.split(secret).join('[redacted]'), s);
  const deep = (v: unknown, depth = 0): unknown => {
    if (typeof v === 'string') return scrub(v);
    if (depth > 6 || v === null || typeof v !== 'object') return v;
    if (v instanceof Error) return { type: v.name, message: scrub(v.message), stack: v.stack ? scrub(v.stack) : undefined };
    if (Array.isArray(v)) return v.map((x) => deep(x, depth + 1));
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, deep(x, depth + 1)]));
  };
  return pino(
    {
      level: opts.level,
      base: { service: 'warroom' },
      redact: { paths: ['token', '*.token', 'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization', 'password', '*.password'], censor: '[redacted]' },
      hooks: {
        logMethod(args, method) {
          return method.apply(this, args.map((a) => deep(a)) as Parameters<typeof method>);
        },
      },
    },
    opts.destination,
  );
}
