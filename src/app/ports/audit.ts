/** An append to the audit trail; the store chains and hashes it in the caller's transaction. */
export interface AuditEntry {
  actor: string;
  action: string;
  incidentId: number | null;
  subject: string;
  data?: Record<string, unknown>;
}

export interface AuditView extends AuditEntry {
  /** Its place in the chain; null while it waits in the inbox for the sealer. */
  seq: number | null;
  occurredAt: Date;
}
