/**
 * Alerts coming in from monitoring (Alertmanager, Datadog, …), normalised so a route can
 * declare or update an incident without knowing the vendor. For the next feature; no adapter yet.
 */
export interface Alert {
  /** The source's name as the policy knows it (e.g. `alertmanager`). */
  source: string;
  /** Stable across repeats and the resolve of the same alert. */
  dedupKey: string;
  status: 'firing' | 'resolved';
  title: string;
  severity: 'critical' | 'error' | 'warning' | 'info';
  /** The affected service, when the payload names one. */
  service: string | null;
  startedAt: Date;
  link: string | null;
  /** Labels and annotations as sent, for the timeline (never credentials). */
  details: Record<string, string>;
}

export interface AlertSource {
  readonly name: string;
  /**
   * Normalises one inbound payload (already authenticated by the HTTP layer) into the alerts it
   * carries (a batch may carry several). A payload the source does not recognise throws
   * `PermanentError`: it is answered 4xx, not retried.
   */
  normalise(payload: unknown, receivedAt: Date): Alert[];
}
