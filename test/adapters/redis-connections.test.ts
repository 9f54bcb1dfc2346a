import { describe, expect, it } from 'vitest';
import { isConnectionError, RedisConnections, retryDelayMs } from '../../src/adapters/redis/connections.js';

function recorder() {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg?: string }> = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj: obj as Record<string, unknown>, ...(msg ? { msg } : {}) });
  return { lines, log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6399'), { code: 'ECONNREFUSED' });

describe('Redis connection errors', () => {
  it('back off 1 s, 2 s, 4 s … capped at 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(retryDelayMs)).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('from every connection at once make one line per retry interval, not one per connection per attempt', () => {
    const { lines, log } = recorder();
    const c = new RedisConnections('redis://127.0.0.1:6399', log);
    for (let i = 0; i < 50; i++) c.error(refused(), 'work queue worker error');
    for (let i = 0; i < 50; i++) c.error(new Error('Connection is closed.'), 'redis connection error (timers)');
    expect(lines).toEqual([{ level: 'warn', obj: { dependency: 'redis', err: 'connect ECONNREFUSED 127.0.0.1:6399', nextReportAfterMs: 1000 }, msg: 'redis is not reachable; reconnecting with backoff' }]);
  });

  it('other errors are logged as they come, with their context', () => {
    const { lines, log } = recorder();
    const c = new RedisConnections('redis://127.0.0.1:6399', log);
    c.error(new Error('ERR unknown command'), 'work queue worker error');
    c.error(new Error('ERR unknown command'), 'work queue worker error');
    expect(lines.map((l) => l.msg)).toEqual(['work queue worker error', 'work queue worker error']);
    expect(isConnectionError(new Error('ERR unknown command'))).toBe(false);
    expect(isConnectionError(Object.assign(new Error(''), { code: 'ECONNRESET' }))).toBe(true);
  });
});
