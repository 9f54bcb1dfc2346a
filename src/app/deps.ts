import type { MarketCalendar } from '../domain/market-calendar.js';
import type { Policy } from '../domain/policy.js';
import type { Pager } from './ports/pager.js';
import type { SmsSender } from './ports/sms.js';
import type { ChatPlatform } from './ports/chat.js';
import type { Clock } from './ports/clock.js';
import type { IncidentStore } from './ports/incident-store.js';
import type { Metrics } from './ports/metrics.js';
import type { Timers } from './ports/timers.js';

import type { Logger } from './ports/logger.js';

/** Kept for importers not yet moved to `./ports/logger.js`. */
export type { Logger };

/** What the incident use cases need; built once in main.ts. */
export interface IncidentDeps {
  store: IncidentStore;
  chat: ChatPlatform;
  policy: Policy;
  clock: Clock;
  log: Logger;
  calendar: MarketCalendar;
  timers: Timers;
  pager: Pager;
  sms: SmsSender;
  metrics: Metrics;
  /** Pinged after each reconciliation, so an outside monitor notices when escalations stop being checked. */
  heartbeat: (() => Promise<void>) | null;
  /** A claimed step not confirmed sent after this long is run again. */
  staleClaimMs: number;
}
