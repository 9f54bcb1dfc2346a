import { parseEnv, secretsOf } from './config/env.js';
import { ConfigError, loadPolicy } from './config/policy-schema.js';
import { createLogger } from './logger.js';
import { startWarroom } from './server.js';

/** `npm start`: parse and validate configuration once, start, and stop cleanly on SIGTERM. */
async function main(): Promise<void> {
  let env;
  let policy;
  try {
    env = parseEnv(process.env);
    policy = loadPolicy(env.WARROOM_POLICY);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`warroom cannot start: ${err.message}`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const log = createLogger({ level: env.LOG_LEVEL, secrets: secretsOf(env) });
  const warroom = await startWarroom({ env, policy, log });
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 25_000);
    force.unref();
    warroom.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  console.error('warroom failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
