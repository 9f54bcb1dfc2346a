/**
 * Compatibility barrel while in-flight branches still import from here: new code imports the
 * port it needs from `./ports/<port>.js` (and jobs from `./jobs/catalog.js`, errors from
 * `../domain/errors.js`). Delete once nothing imports it.
 */
export * from './ports/audit.js';
export * from './ports/chat.js';
export * from './ports/clock.js';
export * from './ports/compliance-store.js';
export * from './ports/deploy-store.js';
export * from './ports/incident-store.js';
export * from './ports/metrics.js';
export * from './ports/timers.js';
export * from './ports/work-store.js';
export type { TimerKind, TimerSpec, WorkItem, WorkKind } from './jobs/catalog.js';
export { PermanentError, TransientError } from '../domain/errors.js';
