import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Holds the architecture's line with a test instead of good intentions. */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}
const imports = (file: string) => [...readFileSync(file, 'utf8').matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]!);

describe('architecture', () => {
  it('the domain core imports only luxon, node:crypto and itself', () => {
    for (const f of files('src/domain')) {
      for (const i of imports(f)) expect([f, i]).toEqual([f, expect.stringMatching(/^(luxon|node:crypto|\.\/[a-z-]+\.js)$/)]);
    }
  });
  it('use cases import no Slack, SQL, Redis or adapter code', () => {
    // zod: the job catalog's payload schemas (pure validation, no I/O).
    const inside = (f: string, i: string) => {
      const target = relative('src', resolve(dirname(f), i));
      return target.startsWith('app/') || target.startsWith('domain/') ? 'app or domain' : target;
    };
    for (const f of files('src/app')) {
      for (const i of imports(f)) expect([f, i.startsWith('.') ? inside(f, i) : i]).toEqual([f, expect.stringMatching(/^(luxon|zod|app or domain)$/)]);
    }
  });
  it('only the config module reads process.env', () => {
    const offenders = files('src').filter((f) => !f.startsWith(join('src', 'config')) && readFileSync(f, 'utf8').includes('process.env'));
    expect(offenders).toEqual(['src/main.ts']);
  });
});
