/**
 * `npm run audit:verify`: verifies the audit chain (in ranges, in parallel: WARROOM_AUDIT_VERIFY_WORKERS,
 * one per core by default) and names the first row in seq order that does not verify, then reports
 * the unsealed tail (events in the inbox) and its age. Exit 0 when the chain is intact, 1 when it is
 * broken, 2 when it cannot check.
 */
import postgres from 'postgres';
import { verifyAuditChain } from '../src/adapters/postgres/audit-verify.js';
import { auditVerifyWorkers } from '../src/config/env.js';

const url = process.env['DATABASE_URL'];
if (!url) {
  console.error('audit:verify: DATABASE_URL is required (postgres://…)');
  process.exit(2);
}
let workers: number | undefined;
try {
  workers = auditVerifyWorkers(process.env);
} catch (err) {
  console.error(`audit:verify: ${(err as Error).message}`);
  process.exit(2);
}
const sql = postgres(url, { max: 1, onnotice: () => {} });
try {
  const started = Date.now();
  let plan = { workers: 1, ranges: 1 };
  const result = await verifyAuditChain(sql, {
    url,
    ...(workers ? { workers } : {}),
    onPlan: (p) => {
      plan = p;
    },
  });
  const secs = (Date.now() - started) / 1000;
  const tail = result.unsealed.count
    ? `; ${result.unsealed.count} recorded events not sealed yet, the oldest ${result.unsealed.oldestAgeS.toFixed(1)} s old${result.unsealed.oldestAgeS > 60 ? ' — is a sealer running? (docs/operations.md, "The audit sealer")' : ''}`
    : '; nothing waits to be sealed';
  if (result.ok) {
    console.log(`audit chain OK: ${result.rows} events verified in ${secs.toFixed(2)} s (${plan.workers === 1 ? 'one thread' : `${plan.workers} threads, ${plan.ranges} ranges`})${tail}`);
  } else {
    console.log(`audit chain BROKEN at ${result.firstBad!.problem} (${result.rows} events before it verified)`);
    process.exitCode = 1;
  }
} catch (err) {
  console.error(`audit:verify could not read the trail: ${(err as Error).message}`);
  process.exitCode = 2;
} finally {
  await sql.end({ timeout: 5 });
}
