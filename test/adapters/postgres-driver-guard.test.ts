import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script with no type declarations
import { patchSource } from '../../scripts/patch-postgres.mjs';

// cjs/src/index.js is the package's main; its root is two folders up.
const driver = join(createRequire(import.meta.url).resolve('postgres'), '..', '..', '..');
const builds = ['src/connection.js', 'cjs/src/connection.js', 'cf/src/connection.js'].map((f) => join(driver, f));
const MARK = '/* warroom: null-socket guard */';

/** The two places of postgres.js 3.4.9's connection.js the guard changes (upstream text). */
const UPSTREAM = `  async function closed(hadError) {
    incoming = Buffer.alloc(0)
    remaining = 0
    incomings = null
    clearImmediate(nextWriteTimer)
    socket.removeListener('data', data)
  }

  function nextWrite(fn) {
    const x = socket.write(chunk, fn)
    nextWriteTimer !== null && clearImmediate(nextWriteTimer)
    chunk = nextWriteTimer = null
    return x
  }
`;

describe('postgres.js, guarded against writes on a closed socket (scripts/patch-postgres.mjs)', () => {
  it('every build of the installed driver carries the guard (npm ci ran the postinstall)', () => {
    for (const file of builds) {
      const source = readFileSync(file, 'utf8');
      expect(source, file).toContain(MARK);
      expect(source, file).toMatch(/if \(!socket\) \{[^}]*error\(Errors\.connection\('CONNECTION_CLOSED', options\)\)/);
      expect(source, file).toMatch(/clearImmediate\(nextWriteTimer\)\n\s+chunk = nextWriteTimer = null\n\s+socket\.removeListener/);
    }
  });

  it('rejects the pending queries instead of writing to a null socket, and forgets a cancelled batch', () => {
    const { source, changed } = patchSource(UPSTREAM, 'upstream');
    expect(changed).toBe(true);
    expect(source.indexOf('if (!socket)')).toBeLessThan(source.indexOf('socket.write(chunk, fn)'));
    expect(source).toContain("error(Errors.connection('CONNECTION_CLOSED', options))");
    expect(patchSource(source, 'again')).toEqual({ source, changed: false });
  });

  it('refuses, loudly, a driver whose code changed (an upgrade must not drop the fix silently)', () => {
    expect(() => patchSource(UPSTREAM.replace('const x = socket.write(chunk, fn)', 'const x = socket?.write(chunk, fn)'), 'newer')).toThrow(/cannot apply "nextWrite guards a closed socket"/);
  });
});
