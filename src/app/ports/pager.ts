import type { PagerSeverity } from '../../domain/escalation.js';

export type { PagerSeverity };

export interface PageEvent {
  action: 'trigger' | 'acknowledge' | 'resolve';
  /** Policy name of the paged service (the adapter maps it to the vendor's routing key). */
  service: string;
  dedupKey: string; // e.g. 'warroom-INC-42' (≤ 255)
  summary: string; // ≤ 1024, truncate with '…'
  severity: PagerSeverity;
  source: string; // 'warroom'
  component?: string;
  customDetails?: Record<string, unknown>;
  links?: Array<{ href: string; text: string }>;
}

/**
 * Opens, acknowledges and resolves alerts at a paging vendor (PagerDuty today). Throws
 * `TransientError` (429, 5xx, network, timeout — retry) or `PermanentError` (400, unknown
 * service — report).
 */
export interface Pager {
  send(event: PageEvent): Promise<void>;
}
