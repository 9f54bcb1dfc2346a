/**
 * The process environment. src/config is the only place in src that reads `process.env` (lint rule
 * warroom/no-process-env, docs/lint-boundaries.md); main.ts hands this to the parsers in env.ts.
 */
export const processEnv: NodeJS.ProcessEnv = process.env;
