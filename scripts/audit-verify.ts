/**
 * `npm run audit:verify`: walks the audit chain from the first event and names the first row that
 * does not verify, then reports the unsealed tail (events in the inbox) and its age. Exit 0 when the chain is intact, 1 when it is broken, 2 when it cannot check.
 */
import postgres from 'postgres';
import { verifyAuditChain } from '../src/adapters/postgres/audit-log.js';

const url = process.env['DATABASE_URL'];
if (!url) {
  console.error('audit:verify: DATABASE_URL is required (postgres://…)');
  process.exit(2);
}
const sql = postgres(url, { max: 1, onnotice: () => {} });
try {
  const started = Date.now();
  const result = await verifyAuditChain(sql);
  const secs = (Date.now() - started) / 1000;
  const tail = result.unsealed.count
    ? `; ${result.unsealed.count} recorded events not sealed yet, the oldest ${result.unsealed.oldestAgeS.toFixed(1)} s old${result.unsealed.oldestAgeS > 60 ? ' — is a sealer running? (docs/operations.md, "The audit sealer")' : ''}`
    : '; nothing waits to be sealed';
  if (result.ok) {
    console.log(`audit chain OK: ${result.rows} events verified in ${secs.toFixed(2)} s${tail}`);
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
