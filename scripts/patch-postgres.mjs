// Runs after `npm ci` (package.json "postinstall"). postgres.js 3.4.9 (the latest) can write to a
// socket its connection has already closed: a write batched behind setImmediate fires after
// closed() set `socket = null`, and the TypeError thrown from that immediate is uncatchable — it
// takes the process down on a transient Postgres disconnect (porsager/postgres #1066, #1154,
// #1208; unmerged fixes #1168, #1176, #1209). Seen here in test/faults/outages.test.ts. This
// applies the guard of #1209 to every build of the driver: with no socket, the pending queries
// are rejected with CONNECTION_CLOSED (the caller retries as for any outage) instead of crashing,
// and closed() forgets the batched write it cancelled.
//
// Second, a COPY … TO STDOUT whose last rows arrive together with its end (a small result, read
// in one go) can leave the connection's socket paused for good: a row pushed into a full stream
// pauses the socket, the stream ends before anything reads it, so nothing resumes it, and the
// next query on that connection (the COMMIT of audit:verify's transaction) never gets its answer
// (porsager/postgres #499; unmerged fix #1016, applied here: resume the socket when the COPY ends).
//
// Each patch is idempotent (its mark says it is applied); each fails loudly when the driver's code
// is not the one it was written for, so an upgrade cannot silently drop a fix.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MARK = '/* warroom: null-socket guard */';
const COPY_MARK = '/* warroom: resume after COPY */';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'postgres');

const patches = [
  {
    mark: MARK,
    edits: [
      {
        what: 'nextWrite guards a closed socket',
        from: '  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)',
        to: `  function nextWrite(fn) {\n    ${MARK}\n    if (!socket) {\n      nextWriteTimer !== null && clearImmediate(nextWriteTimer)\n      chunk = nextWriteTimer = null\n      error(Errors.connection('CONNECTION_CLOSED', options))\n      return false\n    }\n    const x = socket.write(chunk, fn)`,
      },
      {
        what: 'closed() drops the cancelled batched write',
        from: '    incomings = null\n    clearImmediate(nextWriteTimer)\n',
        to: '    incomings = null\n    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n',
      },
    ],
  },
  {
    mark: COPY_MARK,
    edits: [
      {
        // isPaused?.(): the Cloudflare build's socket polyfill has no pause/resume.
        what: 'CopyDone resumes the socket',
        from: '  function CopyDone() {\n    stream && stream.push(null)\n    stream = null\n',
        to: `  function CopyDone() {\n    ${COPY_MARK}\n    stream && stream.push(null)\n    stream = null\n    socket.isPaused?.() && socket.resume()\n`,
      },
    ],
  },
];

export function patchSource(source, file) {
  let out = source;
  for (const { mark, edits } of patches) {
    if (out.includes(mark)) continue;
    for (const e of edits) {
      const at = out.indexOf(e.from);
      if (at < 0 || out.indexOf(e.from, at + 1) >= 0) throw new Error(`patch-postgres: ${file}: cannot apply "${e.what}" (the driver's code changed; check whether the upstream fix landed)`);
      out = out.replace(e.from, e.to);
    }
  }
  return { source: out, changed: out !== source };
}

function main() {
  if (!existsSync(root)) return; // not installed (yet): nothing to patch
  const files = ['src/connection.js', 'cjs/src/connection.js', 'cf/src/connection.js'].map((f) => join(root, f)).filter((f) => existsSync(f));
  if (files.length === 0) throw new Error('patch-postgres: no postgres/*/connection.js found');
  let changed = 0;
  for (const file of files) {
    const r = patchSource(readFileSync(file, 'utf8'), file);
    if (r.changed) {
      writeFileSync(file, r.source);
      changed += 1;
    }
  }
  return changed;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
