/** `npm run env:example`: writes .env.example from the env schema and the default policy. */
import { writeFileSync } from 'node:fs';
import { renderEnvExample } from '../src/config/env.js';

writeFileSync(new URL('../.env.example', import.meta.url), renderEnvExample());
console.log('wrote .env.example');
