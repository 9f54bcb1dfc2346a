// Errors: TransientError / PermanentError from ./ports.js.

import type { PagerSeverity } from '../domain/escalation.js';

export type { PagerSeverity };

export interface PageEvent {
  action: 'trigger' | 'acknowledge' | 'resolve';
  /** Policy name of the PagerDuty service (maps to a routing key). */
  service: string;
  dedupKey: string; // e.g. 'warroom-INC-42' (≤ 255)
  summary: string; // ≤ 1024, truncate with '…'
  severity: PagerSeverity;
  source: string; // 'warroom'
  component?: string;
  customDetails?: Record<string, unknown>;
  links?: Array<{ href: string; text: string }>;
}

/** Throws {@link TransientError} (429, 5xx, network, timeout — retry) or {@link PermanentError} (400, unknown service — report). */
export interface Pager {
  send(event: PageEvent): Promise<void>;
}

/** Sends one SMS. Throws TransientError (Twilio 20429 / HTTP 429 / 5xx / network / timeout) or PermanentError with code = Twilio's error code as a string ('21211' invalid number, '21610' unsubscribed, …). */
export interface SmsSender {
  send(to: string, body: string): Promise<{ id: string }>;
}
