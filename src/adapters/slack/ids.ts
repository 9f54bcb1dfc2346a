import type { ResolveReason } from '../../app/ports/chat.js';

/** Every action_id and callback_id the bot registers, in one place. */
export const ACTION = {
  roleTake: 'role_take',
  roleAssign: 'role_assign',
  acknowledge: 'incident_ack',
  /** **Resolve** under "PagerDuty resolved …" in the war room. */
  resolve: 'incident_resolve',
  deployApprove: 'deploy_approve',
  deployDeny: 'deploy_deny',
  checklistDone: 'checklist_done',
  complianceDone: 'compliance_done',
  complianceProblem: 'compliance_problem',
  triageDeclare: 'triage_declare',
  triageAttach: 'triage_attach',
  triageDismiss: 'triage_dismiss',
} as const;

export const VIEW = {
  declare: 'declare_incident',
  complianceDone: 'compliance_done_modal',
  complianceProblem: 'compliance_problem_modal',
} as const;

/** block_ids in the declaration modal. */
export const FIELD = {
  title: 'title',
  severity: 'severity',
  impact: 'impact',
  serviceSelect: 'service_select',
  serviceText: 'service_text',
  private: 'private',
} as const;

/** Metadata event type on the bot's own posts: a retry after a crash finds them instead of posting twice. */
export const POST_METADATA = 'warroom_post';

/** `<incident id>|<role>` in button values and the assign picker's block_id. */
export const encodeRoleTarget = (incidentId: number, role: string): string => `role|${incidentId}|${role}`;
export function decodeRoleTarget(value: string | undefined): { incidentId: number; role: string } | null {
  const m = /^role\|(\d{1,9})\|([a-z0-9_-]{1,64})$/.exec(value ?? '');
  return m ? { incidentId: Number(m[1]), role: m[2]! } : null;
}

export const encodeDeployRequest = (id: number): string => `deploy|${id}`;
export function decodeDeployRequest(value: string | undefined): number | null {
  const m = /^deploy\|(\d{1,9})$/.exec(value ?? '');
  return m ? Number(m[1]) : null;
}

export const encodeChecklistItem = (incidentId: number, item: string): string => `reg|${incidentId}|${item}`;
export function decodeChecklistItem(value: string | undefined): { incidentId: number; item: string } | null {
  const m = /^reg\|(\d{1,9})\|([a-z0-9_-]{1,64})$/.exec(value ?? '');
  return m ? { incidentId: Number(m[1]), item: m[2]! } : null;
}
export function decodeAck(value: string | undefined): number | null {
  const m = /^ack\|(\d{1,9})$/.exec(value ?? '');
  return m ? Number(m[1]) : null;
}

/** `resolve|<id>` under "Resolved in PagerDuty", `resolve|<id>|alerts` under "all alerts resolved". */
export const encodeResolve = (incidentId: number, reason: ResolveReason): string => `resolve|${incidentId}${reason === 'alerts' ? '|alerts' : ''}`;
export function decodeResolve(value: string | undefined): { incidentId: number; reason: ResolveReason } | null {
  const m = /^resolve\|(\d{1,9})(\|alerts)?$/.exec(value ?? '');
  return m ? { incidentId: Number(m[1]), reason: m[2] ? 'alerts' : 'pagerduty' } : null;
}

export const encodeRun = (runId: number): string => `run|${runId}`;
export function decodeRun(value: string | undefined): number | null {
  const m = /^run\|(\d{1,9})$/.exec(value ?? '');
  return m ? Number(m[1]) : null;
}

/** `triage|<id>`: a triage post's buttons' value and its actions block_id (the attach select has no value of its own). */
export const encodeTriage = (triageId: number): string => `triage|${triageId}`;
export function decodeTriage(value: string | undefined): number | null {
  const m = /^triage\|(\d{1,9})$/.exec(value ?? '');
  return m ? Number(m[1]) : null;
}
