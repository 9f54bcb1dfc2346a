import type { MarketCalendar } from '../domain/market-calendar.js';
import type { Policy } from '../domain/policy.js';
import type { Pager, SmsSender } from './notify-ports.js';
import type { ChatPlatform, Clock, IncidentStore, Metrics, Timers } from './ports.js';

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

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
