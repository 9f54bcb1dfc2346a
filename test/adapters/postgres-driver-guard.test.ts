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
const COPY_MARK = '/* warroom: resume after COPY */';

/** The places of postgres.js 3.4.9's connection.js the patches change (upstream text). */
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

  function CopyDone() {
    stream && stream.push(null)
    stream = null
  }
`;

describe('postgres.js, guarded against writes on a closed socket and a socket left paused after COPY (scripts/patch-postgres.mjs)', () => {
  it('every build of the installed driver carries the guard (npm ci ran the postinstall)', () => {
    for (const file of builds) {
      const source = readFileSync(file, 'utf8');
      expect(source, file).toContain(MARK);
      expect(source, file).toMatch(/if \(!socket\) \{[^}]*error\(Errors\.connection\('CONNECTION_CLOSED', options\)\)/);
      expect(source, file).toMatch(/clearImmediate\(nextWriteTimer\)\n\s+chunk = nextWriteTimer = null\n\s+socket\.removeListener/);
      expect(source, file).toContain(COPY_MARK);
      expect(source, file).toMatch(/function CopyDone\(\) \{[^}]*stream = null\n\s+socket\.isPaused\?\.\(\) && socket\.resume\(\)\n\s+\}/);
    }
  });

  it('rejects the pending queries instead of writing to a null socket, and forgets a cancelled batch', () => {
    const { source, changed } = patchSource(UPSTREAM, 'upstream');
    expect(changed).toBe(true);
    expect(source.indexOf('if (!socket)')).toBeLessThan(source.indexOf('socket.write(chunk, fn)'));
    expect(source).toContain("error(Errors.connection('CONNECTION_CLOSED', options))");
    expect(patchSource(source, 'again')).toEqual({ source, changed: false });
  });

  it('resumes the socket when a COPY ends, so a stream that ended full does not leave the connection paused', () => {
    const { source } = patchSource(UPSTREAM, 'upstream');
    expect(source).toContain(`  function CopyDone() {\n    ${COPY_MARK}\n    stream && stream.push(null)\n    stream = null\n    socket.isPaused?.() && socket.resume()\n  }`);
    // A driver patched before this fix existed gets it on the next install, the guard untouched.
    const guardOnly = source.replace(/ {4}\/\* warroom: resume after COPY \*\/\n/, '').replace('    socket.isPaused?.() && socket.resume()\n', '');
    expect(patchSource(guardOnly, 'older')).toEqual({ source, changed: true });
  });

  it('refuses, loudly, a driver whose code changed (an upgrade must not drop the fix silently)', () => {
    expect(() => patchSource(UPSTREAM.replace('const x = socket.write(chunk, fn)', 'const x = socket?.write(chunk, fn)'), 'newer')).toThrow(/cannot apply "nextWrite guards a closed socket"/);
  });
});
