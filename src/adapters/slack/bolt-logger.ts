import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger as Pino } from 'pino';

/** Bolt's own messages (bad signatures, unhandled requests) go to the same structured log. */
export function boltLogger(log: Pino): BoltLogger {
  const child = log.child({ component: 'bolt' });
  let level = LogLevel.INFO;
  const text = (args: unknown[]) => args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
  return {
    debug: (...a) => child.debug(text(a)),
    info: (...a) => child.info(text(a)),
    warn: (...a) => child.warn(text(a)),
    error: (...a) => child.error(text(a)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
