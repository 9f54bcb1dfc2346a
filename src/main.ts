import { loadConfig, secretsOf, type Config } from './config/env.js';
import { ConfigError } from './config/policy-schema.js';
import { processEnv } from './config/process-env.js';
import { createLogger } from './logger.js';
import { launchWarroom, StartAborted } from './server.js';

/** EX_CONFIG (sysexits.h): the configuration is wrong; restarting will not help. */
const EX_CONFIG = 78;

/**
 * The one plain-text line warroom ever prints: configuration is wrong, so there is no logger
 * yet (its level is configuration too) and a person is reading.
 */
function refuseToStart(message: string): never {
  process.stderr.write(`warroom cannot start: ${message}\n`);
  process.exit(EX_CONFIG);
}

/** `npm start`: validate all configuration in one pass, start, and stop cleanly on SIGTERM. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(processEnv);
  } catch (err) {
    if (err instanceof ConfigError) refuseToStart(err.message);
    throw err;
  }
  const { env, policy } = config;
  const log = createLogger({ level: env.LOG_LEVEL, secrets: secretsOf(config) });
  // Even a crash is one JSON line, not Node's plain-text stack dump in the middle of the log.
  const crash = (kind: string) => (err: unknown) => {
    log.fatal({ err }, `${kind}; exiting`);
    process.exit(1);
  };
  process.on('uncaughtException', crash('uncaught exception'));
  process.on('unhandledRejection', crash('unhandled promise rejection'));
  if (config.unsetApiTokens.length) log.warn({ unset: config.unsetApiTokens }, 'API tokens named in the policy are not set; those tokens cannot authenticate');
  const warroom = launchWarroom({
    env,
    policy,
    log,
    apiTokens: config.apiTokens,
    routingKeys: config.routingKeys,
    twilio: config.twilio,
    ...(config.pagerCa ? { pagerCa: config.pagerCa } : {}),
  });
  // Handled from the first moment: a bot still waiting for Postgres or Redis stops cleanly too.
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
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
  try {
    await warroom.ready;
  } catch (err) {
    if (err instanceof StartAborted) return; // shutdown() exits
    await warroom.stop().catch(() => undefined);
    if (err instanceof ConfigError) refuseToStart(err.message);
    log.fatal({ err }, 'warroom failed to start');
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  // Still one JSON line: whoever reads the log parses every line.
  process.stderr.write(`${JSON.stringify({ level: 60, time: Date.now(), service: 'warroom', err: err instanceof Error ? err.message : String(err), msg: 'warroom failed to start' })}\n`);
  process.exit(1);
});
