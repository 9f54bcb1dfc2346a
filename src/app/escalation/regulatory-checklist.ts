/** The regulatory checklist a step can open: its card, its owners ticking items off, the reminder before it is due. */
import { DomainError } from '../../domain/errors.js';
import { incidentRef, type Incident } from '../../domain/incident.js';
import { formatClock } from '../../domain/time.js';
import type { IncidentDeps } from '../deps.js';
import { esc, mention } from '../messages.js';
import type { StepRow } from '../ports/incident-store.js';
import type { ActionResult } from './steps.js';

export async function openChecklist(deps: IncidentDeps, incident: Incident, step: StepRow): Promise<ActionResult> {
  const now = deps.clock.now();
  const dueAt = new Date(now.getTime() + deps.policy.regulatory.dueWithinMs);
  await deps.store.transaction(async (tx) => {
    const created = await tx.insertChecklist({ incidentId: incident.id, dueAt, items: deps.policy.regulatory.items.map((i) => ({ ...i, doneBy: null, doneAt: null })) });
    if (created) {
      await tx.audit({ actor: 'warroom', action: 'regulatory.checklist_opened', incidentId: incident.id, subject: incidentRef(incident.id), data: { due_at: dueAt.toISOString(), items: deps.policy.regulatory.items.map((i) => i.id), step: step.stepIndex } });
      tx.wake({ kind: 'reg-reminder', incidentId: incident.id, at: new Date(dueAt.getTime() - deps.policy.regulatory.remindBeforeMs) });
    }
    await tx.enqueue({ kind: 'regulatory.card', dedupeKey: `regcard-${incident.id}-open`, payload: { incidentId: incident.id } });
  });
  return { action: `regulatory checklist in #${deps.policy.channels.compliance} (due ${formatClock(dueAt, deps.policy.timezone)})`, sent: 1, failed: 0, details: [] };
}
/** The checklist is about to be late: remind its owners in the compliance channel. */
export async function remindChecklist(deps: IncidentDeps, incidentId: number): Promise<void> {
  await deps.store.transaction(async (tx) => {
    const c = await tx.lockChecklist(incidentId);
    if (!c || c.completedAt || c.remindedAt) return;
    const open = c.items.filter((i) => !i.doneAt);
    c.remindedAt = deps.clock.now();
    await tx.saveChecklist(c);
    const owners = [...new Set(open.flatMap((i) => i.owners))];
    const mentions = await Promise.all(owners.map((o) => deps.chat.groupMention(o)));
    const text = `:hourglass_flowing_sand: ${mentions.join(' ')} the regulatory checklist for ${incidentRef(incidentId)} is due at ${formatClock(c.dueAt, deps.policy.timezone)}; still open: ${open.map((i) => esc(i.title)).join('; ')}.`;
    const seq = await tx.audit({ actor: 'warroom', action: 'regulatory.checklist_reminded', incidentId, subject: incidentRef(incidentId), data: { open: open.map((i) => i.id) } });
    await tx.enqueue({ kind: 'incident.notice', dedupeKey: `regrem-${seq}`, payload: { incidentId, where: 'compliance', text } });
  });
}

/** "Done" on a checklist item: only members of the item's owner groups. */
export async function completeChecklistItem(deps: IncidentDeps, incidentId: number, itemId: string, by: string): Promise<string> {
  const c = await deps.store.checklist(incidentId);
  const item = c?.items.find((i) => i.id === itemId);
  if (!c || !item) throw new DomainError('unknown_item', 'That checklist item does not exist.');
  if (item.doneAt) return `Already done by ${mention(item.doneBy!)}.`;
  let allowed = false;
  for (const g of item.owners) if (await deps.chat.isGroupMember(g, by)) allowed = true;
  if (!allowed) {
    await deps.store.audit({ actor: by, action: 'regulatory.item_refused', incidentId, subject: incidentRef(incidentId), data: { item: itemId } });
    throw new DomainError('forbidden', `Only members of ${item.owners.map((o) => `@${o}`).join(' or ')} may complete "${item.title}".`);
  }
  return deps.store.transaction(async (tx) => {
    const locked = (await tx.lockChecklist(incidentId))!;
    const it = locked.items.find((i) => i.id === itemId)!;
    if (it.doneAt) return `Already done by ${mention(it.doneBy!)}.`;
    const now = deps.clock.now();
    it.doneBy = by;
    it.doneAt = now.toISOString();
    if (locked.items.every((i) => i.doneAt)) locked.completedAt = now;
    await tx.saveChecklist(locked);
    const late = now > locked.dueAt;
    await tx.audit({ actor: by, action: 'regulatory.item_done', incidentId, subject: incidentRef(incidentId), data: { item: itemId, late } });
    await tx.enqueue({ kind: 'regulatory.card', dedupeKey: `regcard-${incidentId}-${itemId}`, payload: { incidentId } });
    return `Marked "${it.title}" done${late ? ' (late)' : ''}.`;
  });
}

/** Posts or re-renders the checklist card. */
export async function renderChecklist(deps: IncidentDeps, incidentId: number, retry: boolean): Promise<void> {
  await deps.store.exclusive(incidentId, async () => {
    const c = await deps.store.checklist(incidentId);
    const snap = await deps.store.snapshot(incidentId);
    if (!c || !snap) return;
    const { incident, state } = snap;
    const owners = [...new Set(c.items.flatMap((i) => i.owners))];
    const ownerMentions = Object.fromEntries(await Promise.all(owners.map(async (o) => [o, await deps.chat.groupMention(o)] as const)));
    const existing = c.channelId && c.ts ? { channelId: c.channelId, ts: c.ts } : null;
    const posted = await deps.chat.showChecklist(
      { checklist: c, incidentRef: incidentRef(incidentId), title: incident.title, warRoomChannelId: state?.channelId ?? null, ownerMentions, zone: deps.policy.timezone },
      { key: `checklist-${incidentId}`, retry },
      existing,
    );
    if (!existing) await deps.store.recordChecklistCard(incidentId, posted.channelId, posted.ts);
  });
}
