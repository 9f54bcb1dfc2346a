import type { Policy } from '../domain/policy.js';
import type { ChatPlatform, Clock, IncidentStore } from './ports.js';

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
}
