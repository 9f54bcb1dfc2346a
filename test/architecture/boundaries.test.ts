import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { ESLint } from 'eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The architecture is held by the linter (eslint.config.js, eslint/warroom-plugin.js,
 * docs/lint-boundaries.md). This test copies src/ and the lint configuration to a temporary
 * directory, plants one violation of each kind, lints the copy through ESLint's Node API and
 * shows that each planted file fails with the expected rule, and that every other file is clean.
 * Needs no database or Redis; about 10 s of CPU, most of it building the TypeScript program.
 */
const repo = join(import.meta.dirname, '..', '..');

type Plant = { file: string; code: string; rule: string; message: string };
const LAYERS = 'warroom/layers';
const FLOATING = '@typescript-eslint/no-floating-promises';
const PLANTS: Record<string, Plant> = {
  'domain imports a package (single quotes)': {
    file: 'src/domain/planted-single-quotes.ts',
    code: "import { Redis } from 'ioredis';\nexport const client = Redis;\n",
    rule: LAYERS,
    message: "src/domain must not import the package ioredis ('ioredis'); it may import src/domain, luxon, node built-ins",
  },
  'domain imports a package (double quotes)': {
    file: 'src/domain/planted-double-quotes.ts',
    code: 'import { Redis } from "ioredis";\nexport const client = Redis;\n',
    rule: LAYERS,
    message: "src/domain must not import the package ioredis ('ioredis')",
  },
  'domain imports a package for its side effects': {
    file: 'src/domain/planted-side-effect.ts',
    code: "import 'ioredis';\nexport const nothing = 0;\n",
    rule: LAYERS,
    message: "src/domain must not import the package ioredis ('ioredis')",
  },
  'domain imports a package with import()': {
    file: 'src/domain/planted-dynamic.ts',
    code: "export const load = () => import('postgres');\n",
    rule: LAYERS,
    message: "src/domain must not import the package postgres ('postgres')",
  },
  'domain imports with a computed import()': {
    file: 'src/domain/planted-computed.ts',
    code: "const name = ['io', 'redis'].join('');\nexport const load = () => import(name);\n",
    rule: LAYERS,
    message: 'src/domain: import() with a computed specifier cannot be checked; use a string literal.',
  },
  'domain requires a package': {
    file: 'src/domain/planted-require.ts',
    code: "export const redis: unknown = require('ioredis');\n",
    rule: LAYERS,
    message: "src/domain must not import the package ioredis ('ioredis')",
  },
  'domain re-exports an adapter with export * from': {
    file: 'src/domain/planted-export-all.ts',
    code: "export * from '../adapters/postgres/database.js';\n",
    rule: LAYERS,
    message: "src/domain must not import src/adapters ('../adapters/postgres/database.js')",
  },
  'domain, one folder down, climbs into an adapter with export { } from': {
    file: 'src/domain/nested/planted-climb.ts',
    code: "export { connect } from '../../adapters/postgres/database.js';\n",
    rule: LAYERS,
    message: "src/domain must not import src/adapters ('../../adapters/postgres/database.js')",
  },
  'app imports an adapter': {
    file: 'src/app/planted-adapter.ts',
    code: "import { connect } from '../adapters/postgres/database.js';\nexport const open = connect;\n",
    rule: LAYERS,
    message: "src/app must not import src/adapters ('../adapters/postgres/database.js'); it may import src/app, src/domain, luxon, zod, node built-ins",
  },
  'app imports a package other than luxon and zod': {
    file: 'src/app/planted-package.ts',
    code: "import type { WebClient } from '@slack/web-api';\nexport type Client = WebClient;\n",
    rule: LAYERS,
    message: "src/app must not import the package @slack/web-api ('@slack/web-api')",
  },
  'http imports adapter internals': {
    file: 'src/http/planted-adapter.ts',
    code: "import { PostgresIncidentStore } from '../adapters/postgres/incident-store.js';\nexport const store = PostgresIncidentStore;\n",
    rule: LAYERS,
    message: "src/http must not import src/adapters ('../adapters/postgres/incident-store.js')",
  },
  'an adapter imports http': {
    file: 'src/adapters/slack/planted-http.ts',
    code: "import { healthRoutes } from '../../http/health.js';\nexport const routes = healthRoutes;\n",
    rule: LAYERS,
    message: "src/adapters must not import src/http ('../../http/health.js')",
  },
  'process.env outside src/config': {
    file: 'src/http/planted-env.ts',
    code: "export const port = process.env['PORT'];\n",
    rule: 'warroom/no-process-env',
    message: 'process.env is read only in src/config',
  },
  'a floating promise': {
    file: 'src/app/planted-floating.ts',
    code: 'async function ping(): Promise<void> {}\nexport function start(): void {\n  ping();\n}\n',
    rule: FLOATING,
    message: 'Promises must be awaited',
  },
  'an unused variable': {
    file: 'src/app/planted-unused.ts',
    code: 'export function two(): number {\n  const unused = 1;\n  return 2;\n}\n',
    rule: '@typescript-eslint/no-unused-vars',
    message: "'unused' is assigned a value but never used",
  },
};

let dir: string;
let results: Map<string, ESLint.LintResult>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warroom-lint-'));
  for (const path of ['src', 'eslint', 'eslint.config.js']) cpSync(join(repo, path), join(dir, path), { recursive: true });
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
  // Only src/ is copied, so the typed rules' TypeScript program is src/ alone (faster).
  const tsconfig = JSON.parse(readFileSync(join(repo, 'tsconfig.json'), 'utf8'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ ...tsconfig, include: ['src'] }));
  for (const plant of Object.values(PLANTS)) {
    mkdirSync(dirname(join(dir, plant.file)), { recursive: true });
    writeFileSync(join(dir, plant.file), plant.code);
  }
  // no-floating-promises type-checks every file it sees: on the planted file only it halves this
  // test's time. `npm run lint`, which `npm test` runs first, checks the whole tree with it.
  const typedPlants = Object.values(PLANTS).filter((p) => p.rule === FLOATING).map((p) => p.file);
  const eslint = new ESLint({
    cwd: dir,
    overrideConfig: [{ files: ['src/**/*.ts'], ignores: typedPlants, rules: { [FLOATING]: 'off' } }],
  });
  const linted = await eslint.lintFiles(['src']);
  results = new Map(linted.map((r) => [relative(dir, r.filePath), r]));
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('architecture, held by the linter', () => {
  it.each(Object.entries(PLANTS))('reports %s', (_name, plant) => {
    const result = results.get(plant.file);
    expect(result, `${plant.file} was not linted`).toBeDefined();
    const found = result!.messages.map((m) => ({ rule: m.ruleId, severity: m.severity, message: m.message }));
    expect(found).toEqual([{ rule: plant.rule, severity: 2, message: expect.stringContaining(plant.message) }]);
  });

  it('lints the rest of src/ with no errors or warnings (no-floating-promises: see beforeAll)', () => {
    const planted = new Set(Object.values(PLANTS).map((p) => p.file));
    const others = [...results.values()].filter((r) => !planted.has(relative(dir, r.filePath)));
    expect(others.length).toBeGreaterThan(50);
    const problems = others.flatMap((r) => r.messages.map((m) => `${relative(dir, r.filePath)}:${m.line} ${m.ruleId}: ${m.message}`));
    expect(problems).toEqual([]);
  });
});
