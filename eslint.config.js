// ESLint flat config. `npm run lint`; `npm test` runs it first. Rules: docs/lint-boundaries.md.
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import warroom from './eslint/warroom-plugin.js';

export default defineConfig(
  { ignores: ['node_modules/', 'migrations/', 'bench/results/', 'coverage/', 'dist/'] },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    // src/domain/incident.ts and src/app/compliance.ts already carry directives for this rule.
    rules: { 'no-control-regex': 'error' },
  },
  {
    // Typed rules, on every TypeScript file the tsconfig covers (src, test, scripts, bench).
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // The architecture: what each folder of src/ may import, and where process.env is read.
    files: ['src/**/*.ts'],
    plugins: { warroom },
    rules: {
      'warroom/layers': ['error', { srcDir: `${import.meta.dirname}/src` }],
      'warroom/no-process-env': 'error',
    },
  },
  {
    files: ['src/config/**/*.ts'],
    rules: { 'warroom/no-process-env': 'off' },
  },
);
