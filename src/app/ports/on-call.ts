/**
 * Who is on call, from the on-call vendor (PagerDuty schedules, Opsgenie, …). For the next
 * feature (page the person, not a group); no adapter yet.
 */
export interface OnCallShift {
  /** 1 is the first responder; 2 and 3 are who the vendor escalates to. */
  level: 1 | 2 | 3;
  name: string;
  /** The vendor's contact email, to find the person in Slack (`users.lookupByEmail`). */
  email: string | null;
  /** When this shift ends; null when the vendor does not say (an always-on rotation). */
  until: Date | null;
}

export interface OnCallDirectory {
  /**
   * Who is on call for `service` (a policy service name) at `at`, lowest level first; empty
   * when nobody is. Throws `TransientError` (retry) or `PermanentError` (unknown service).
   */
  onCall(service: string, at: Date): Promise<OnCallShift[]>;
}
