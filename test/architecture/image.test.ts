import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * The production image must not ship the sandbox (fake Slack/PagerDuty/Twilio) or its private
 * key. Docker may not run where the tests run, so this reads the Dockerfile as Docker would.
 */
const dockerfile = readFileSync('Dockerfile', 'utf8').replace(/\\\n/g, ' ');
const stages = dockerfile.split(/^FROM /m).slice(1).map((s) => ({ name: /AS (\S+)/i.exec(s.split('\n')[0]!)?.[1] ?? '', text: s }));
const ignored = readFileSync('.dockerignore', 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

describe('the production image', () => {
  it('is built in two stages and runs the runtime one', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
  });

  it('the build context holds no key: src/sandbox/tls, *.key and *.pem are ignored', () => {
    expect(ignored).toEqual(expect.arrayContaining(['src/sandbox/tls', '**/*.key', '**/*.pem', '.env']));
  });

  it('the build stage removes src/sandbox after type-checking, before the runtime stage copies src', () => {
    const build = stages.find((s) => s.name === 'build')!.text;
    const tsc = build.indexOf('npm run typecheck');
    const rm = build.search(/rm -rf src\/sandbox(\s|$)/);
    expect(tsc).toBeGreaterThan(-1);
    expect(rm).toBeGreaterThan(tsc);
  });

  it('the runtime stage takes sources only from the build stage, and nothing under src/sandbox', () => {
    const runtime = stages.find((s) => s.name === 'runtime')!.text;
    const copies = runtime.split('\n').filter((l) => /^\s*(COPY|ADD)\b/.test(l));
    for (const c of copies) {
      expect(c).not.toMatch(/sandbox/);
      // From the context: the manifests, and the postinstall that guards the Postgres driver.
      if (!/--from=build/.test(c)) expect(c).toMatch(/^\s*COPY (--chown=\S+ )?(package\.json package-lock\.json \.\/|scripts\/patch-postgres\.mjs \.\/scripts\/)\s*$/);
    }
    expect(copies.some((c) => /--from=build \/app\/src \.\/src/.test(c))).toBe(true);
  });

  it('runs the compiled bot on plain Node (no TypeScript loader in the process)', () => {
    const build = stages.find((s) => s.name === 'build')!.text;
    const runtime = stages.find((s) => s.name === 'runtime')!.text;
    expect(build).toMatch(/npm run build/);
    expect(build.indexOf('npm run build')).toBeLessThan(build.search(/rm -rf src\/sandbox(\s|$)/));
    expect(runtime).toMatch(/COPY --from=build \/app\/dist \.\/dist/);
    expect(runtime).toMatch(/^CMD \["node", "dist\/main\.js"\]\s*$/m);
  });
});
