import { readFileSync } from 'node:fs';
import { parseEnv, requireTwilio, resolveApiTokens, resolveRoutingKeys, secretsOf } from './config/env.js';
import { ConfigError, loadPolicy } from './config/policy-schema.js';
import { processEnv } from './config/process-env.js';
import { createLogger } from './logger.js';
import { startWarroom } from './server.js';

/** `npm start`: parse and validate configuration once, start, and stop cleanly on SIGTERM. */
async function main(): Promise<void> {
  let env;
  let policy;
  let api;
  let routingKeys;
  let twilio;
  let pagerCa: string | undefined;
  try {
    env = parseEnv(processEnv);
    policy = loadPolicy(env.WARROOM_POLICY);
    api = resolveApiTokens(policy.apiTokens, processEnv);
    routingKeys = resolveRoutingKeys(policy.pagerduty.services, processEnv);
    twilio = requireTwilio(env, policy.severities.some((s) => s.escalation.steps.some((st) => st.actions.some((a) => a.kind === 'sms'))));
    if (env.PAGERDUTY_CA_FILE) {
      try {
        pagerCa = readFileSync(env.PAGERDUTY_CA_FILE, 'utf8');
      } catch (err) {
        throw new ConfigError(`environment is invalid:\n  - PAGERDUTY_CA_FILE: cannot read ${env.PAGERDUTY_CA_FILE} (${(err as NodeJS.ErrnoException).code})`);
      }
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`warroom cannot start: ${err.message}`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const log = createLogger({ level: env.LOG_LEVEL, secrets: [...secretsOf(env), ...api.tokens.map((t) => t.value), ...Object.values(routingKeys)] });
  if (api.missing.length) log.warn({ unset: api.missing }, 'API tokens named in the policy are not set; those tokens cannot authenticate');
  const warroom = await startWarroom({ env, policy, log, apiTokens: api.tokens, routingKeys, twilio, ...(pagerCa ? { pagerCa } : {}) });
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
