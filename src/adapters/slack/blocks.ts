import type { Incident } from '../../domain/incident.js';
import { commander } from '../../domain/incident.js';
import { severityById, type Policy } from '../../domain/policy.js';
import { formatClock, formatDesk } from '../../domain/time.js';
import { humanDuration } from '../../domain/escalation.js';
import type { ChecklistView, DeployRequestView, IncidentView, ResolveReason, TriageView } from '../../app/ports/chat.js';
import type { ComplianceRunView } from '../../app/ports/compliance-store.js';
import { declarerText, esc, linkTo, mention, PAGERDUTY_ACTOR_PREFIX, responderText, severityLabel } from '../../app/messages.js';
import { ACTION, FIELD, VIEW, encodeChecklistItem, encodeDeployRequest, encodeResolve, encodeRoleTarget, encodeRun, encodeTriage } from './ids.js';

// Block Kit is loosely typed on purpose here: Slack validates it, and the fake Slack in tests too.
export type Block = Record<string, unknown>;

const SEV_EMOJI: Record<string, string> = { sev1: ':red_circle:', sev2: ':large_orange_circle:', sev3: ':large_yellow_circle:', sev4: ':large_blue_circle:' };
const emoji = (sev: string): string => SEV_EMOJI[sev] ?? ':white_circle:';
const plain = (text: string, max: number): { type: 'plain_text'; text: string; emoji: boolean } => ({ type: 'plain_text', text: truncate(text, max), emoji: true });
const md = (text: string): { type: 'mrkdwn'; text: string } => ({ type: 'mrkdwn', text: truncate(text, 3000) });

export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function statusText(incident: Incident): string {
  return incident.status === 'resolved' ? ':white_check_mark: Resolved' : ':fire: Open';
}

/** The pinned card in the war room: what is happening, and who holds which role. */
export function headerCard(policy: Policy, view: IncidentView): { text: string; blocks: Block[] } {
  const i = view.incident;
  const sev = severityById(policy, i.severity);
  const deadline = sev ? new Date((i.clockStart ?? i.declaredAt).getTime() + sev.respondWithinMs) : null;
  const blocks: Block[] = [
    { type: 'header', text: plain(`${view.ref} · ${severityLabel(policy, i.severity)}${i.status === 'resolved' ? ' · RESOLVED' : ''}`, 150) },
    { type: 'section', text: md(`${emoji(i.severity)} *${esc(i.title)}*`) },
    {
      type: 'section',
      fields: [
        md(`*Status*\n${statusText(i)}`),
        md(`*Severity*\n${severityLabel(policy, i.severity)}${sev ? ` — ${esc(sev.description)}` : ''}`),
        md(`*Declared by*\n${declarerText(i.declarer)}, ${formatDesk(i.declaredAt, policy.timezone)}`),
        md(i.acknowledgedAt ? `*Responded*\n${respondedText(i.acknowledgedBy!)} in ${humanDuration(i.responseMs ?? 0)}` : `*Respond by*\n${deadline ? formatClock(deadline, policy.timezone) : '—'}`),
        ...(i.service ? [md(`*Service*\n${esc(i.service)}`)] : []),
        ...(view.alerts ? [md(`*Alerts*\n${view.alerts.firing} firing · ${view.alerts.resolved} resolved (listed in the thread)`)] : []),
        ...(i.customerImpact ? [md(`*Customer impact*\n${esc(truncate(i.customerImpact, 1900))}`)] : []),
      ],
    },
    { type: 'divider' },
  ];
  for (const role of policy.roles) {
    const holder = i.roles[role.id]?.userId;
    const required = sev?.requiredRoles.includes(role.id);
    blocks.push({ type: 'section', block_id: `holder|${role.id}`, text: md(`*${esc(role.label)}*: ${holder ? mention(holder) : required ? '_unassigned — needed_' : '_unassigned_'}`) });
    if (i.status === 'open') {
      blocks.push({
        type: 'actions',
        block_id: encodeRoleTarget(i.id, role.id),
        elements: [
          { type: 'button', action_id: ACTION.roleTake, text: plain('Take', 75), value: encodeRoleTarget(i.id, role.id) },
          { type: 'users_select', action_id: ACTION.roleAssign, placeholder: plain('Assign…', 150) },
        ],
      });
    }
  }
  // Once someone responded, the *Responded* field says who and how fast: no second line for it.
  const response = responseBlock(policy, i);
  if (response) blocks.splice(3, 0, response);
  if (i.lastStatus && i.status === 'open') blocks.push({ type: 'context', elements: [md(`*Latest status:* ${esc(truncate(i.lastStatus, 2800))}`)] });
  if (i.status === 'resolved') {
    blocks.push({ type: 'section', text: md(`*Resolved* by ${i.resolvedBy ? (/^[UW][A-Z0-9]+$/.test(i.resolvedBy) ? mention(i.resolvedBy) : esc(i.resolvedBy)) : '—'} at ${i.resolvedAt ? formatDesk(i.resolvedAt, policy.timezone) : '—'}\n${esc(i.resolution ?? '')}`) });
  }
  const ic = commander(i);
  return { text: `${view.ref} ${severityLabel(policy, i.severity)}: ${esc(truncate(i.title, 150))} — IC ${ic ? mention(ic) : 'unassigned'}`, blocks };
}

/** The post in the announcements channel. `mentions` are `<!subteam^…>` strings (the Sev1 group). */
export function announcement(policy: Policy, view: IncidentView, mentions: string[]): { text: string; blocks: Block[] } {
  const i = view.incident;
  const room = view.channelId ? `<#${view.channelId}>` : '(war room being set up)';
  const lead = i.status === 'resolved' ? ':white_check_mark: *Resolved*' : `${emoji(i.severity)} *${severityLabel(policy, i.severity)} declared*`;
  const ping = i.status === 'open' && mentions.length ? `${mentions.join(' ')} ` : '';
  const text = `${ping}${lead} ${view.ref}: ${esc(i.title)}`;
  const blocks: Block[] = [
    { type: 'section', text: md(`${text}\nWar room: ${room} · declared by ${declarerText(i.declarer)} at ${formatDesk(i.declaredAt, policy.timezone)}`) },
  ];
  if (i.status === 'resolved' && i.resolution) blocks.push({ type: 'context', elements: [md(`Resolution: ${esc(truncate(i.resolution, 2800))}`)] });
  return { text, blocks };
}

export interface ModalDefaults {
  title: string | null;
  severity: string | null;
  originChannel: string | null;
}

/** The declaration form: `/incident` alone, or with only a severity. */
export function declareModal(policy: Policy, d: ModalDefaults): Block {
  const options = policy.severities.map((s) => ({
    text: plain(`${s.id.toUpperCase()} ${s.label}`, 75),
    description: plain(s.description, 75),
    value: s.id,
  }));
  const initial = options.find((o) => o.value === d.severity);
  return {
    type: 'modal',
    callback_id: VIEW.declare,
    private_metadata: JSON.stringify({ origin: d.originChannel }),
    title: plain('Declare an incident', 24),
    submit: plain('Declare', 24),
    close: plain('Cancel', 24),
    blocks: [
      { type: 'input', block_id: FIELD.title, label: plain('Title', 2000), element: { type: 'plain_text_input', action_id: 'v', max_length: 150, ...(d.title ? { initial_value: truncate(d.title, 150) } : {}) } },
      { type: 'input', block_id: FIELD.severity, label: plain('Severity', 2000), element: { type: 'static_select', action_id: 'v', options, ...(initial ? { initial_option: initial } : {}) } },
      { type: 'input', block_id: FIELD.impact, optional: true, label: plain('Customer impact', 2000), element: { type: 'plain_text_input', action_id: 'v', multiline: true, max_length: 2000 } },
      ...(policy.services.length
        ? [{ type: 'input', block_id: FIELD.serviceSelect, optional: true, label: plain('Affected service', 2000), element: { type: 'static_select', action_id: 'v', options: policy.services.slice(0, 100).map((s) => ({ text: plain(s.name, 75), value: s.id })) } }]
        : []),
      { type: 'input', block_id: FIELD.serviceText, optional: true, label: plain(policy.services.length ? '…or another service' : 'Affected service', 2000), element: { type: 'plain_text_input', action_id: 'v', max_length: 100 } },
      { type: 'input', block_id: FIELD.private, optional: true, label: plain('Visibility', 2000), element: { type: 'checkboxes', action_id: 'v', options: [{ text: plain('Private incident (private channel)', 75), value: 'private' }] } },
    ],
  };
}

/** The approval card in the approvals channel. `groupMentions` are `<!subteam^…>` strings. */
export function deployCard(v: DeployRequestView, groupMentions: string[]): { text: string; blocks: Block[] } {
  const r = v.request;
  const zone = v.zone;
  const needs = [...groupMentions, ...(r.capacities.includes('incident-commander') ? [`the IC of INC-${r.freezeIncidentId}${v.commander ? ` (${mention(v.commander)})` : ''}`] : [])].join(' and ');
  const head = `:rocket: *Deploy request DEP-${r.id}* · \`${r.type}\` · \`${esc(r.service)}\` · risk ${r.risk}`;
  const blocks: Block[] = [
    { type: 'section', text: md(`${head}\n>${esc(truncate(r.summary, 500))}`) },
    {
      type: 'context',
      elements: [md(`Requested by ${mention(r.requestedBy)} for ${formatDesk(r.forAt, zone)} (${r.session}, ${esc(r.windowName)}; window ends ${formatDesk(r.windowEnds, zone)}). Needs: ${needs}.`)],
    },
  ];
  const granted = r.grants.map((g) => `${g.capacity} by ${mention(g.by)}`).join(', ');
  if (r.status === 'pending') {
    if (granted) blocks.push({ type: 'context', elements: [md(`So far: ${granted}`)] });
    blocks.push({
      type: 'actions',
      block_id: `deploy|${r.id}`,
      elements: [
        { type: 'button', action_id: ACTION.deployApprove, style: 'primary', text: plain('Approve', 75), value: encodeDeployRequest(r.id) },
        { type: 'button', action_id: ACTION.deployDeny, style: 'danger', text: plain('Deny', 75), value: encodeDeployRequest(r.id) },
      ],
    });
  } else if (r.status === 'approved') {
    blocks.push({ type: 'section', text: md(`:white_check_mark: *Approved* (${granted}) at ${r.decidedAt ? formatDesk(r.decidedAt, zone) : '—'}; valid until ${r.expiresAt ? formatDesk(r.expiresAt, zone) : '—'}`) });
  } else {
    blocks.push({ type: 'section', text: md(`:x: *Denied* by ${r.decidedBy && r.decidedBy !== 'warroom' ? mention(r.decidedBy) : 'warroom (the window ended)'} at ${r.decidedAt ? formatDesk(r.decidedAt, zone) : '—'}`) });
  }
  const status = r.status === 'pending' ? `needs ${needs}` : r.status;
  return { text: `${groupMentions.join(' ')} Deploy request DEP-${r.id}: ${r.type} ${esc(r.service)} — ${status}`.trim(), blocks };
}

/** The Sev1 regulatory checklist in the compliance channel. */
export function checklistCard(v: ChecklistView): { text: string; blocks: Block[] } {
  const c = v.checklist;
  const room = v.warRoomChannelId ? ` · war room <#${v.warRoomChannelId}>` : '';
  const state = c.completedAt ? `:white_check_mark: complete ${formatDesk(c.completedAt, v.zone)}` : `due ${formatDesk(c.dueAt, v.zone)}`;
  const blocks: Block[] = [
    { type: 'header', text: plain(`Regulatory checklist · ${v.incidentRef}`, 150) },
    { type: 'section', text: md(`*${esc(truncate(v.title, 200))}*${room}\n${state}`) },
  ];
  for (const item of c.items) {
    const owners = item.owners.map((o) => v.ownerMentions[o] ?? `@${o}`).join(' ');
    if (item.doneAt) {
      const late = new Date(item.doneAt) > c.dueAt ? ' (late)' : '';
      blocks.push({ type: 'section', text: md(`:white_check_mark: ~${esc(item.title)}~ — ${mention(item.doneBy!)} at ${formatDesk(new Date(item.doneAt), v.zone)}${late}`) });
    } else {
      blocks.push({
        type: 'section',
        text: md(`:black_square_button: *${esc(item.title)}* — owner ${owners}`),
        accessory: { type: 'button', action_id: ACTION.checklistDone, text: plain('Done', 75), value: encodeChecklistItem(c.incidentId, item.id) },
      });
    }
  }
  return { text: `Regulatory checklist for ${v.incidentRef}: ${state}`, blocks };
}

/** "<@U…>", or "Acknowledged in PagerDuty by *Jane Doe*" when the response came from PagerDuty. */
function respondedText(by: string): string {
  return by.startsWith(PAGERDUTY_ACTOR_PREFIX) ? `Acknowledged in PagerDuty by ${responderText(by)}` : mention(by);
}

/** A war-room notice with a **Resolve** button (PagerDuty resolved the incident: a human confirms here). */
export function resolveOffer(incidentId: number, text: string, reason: ResolveReason): { text: string; blocks: Block[] } {
  return {
    text,
    blocks: [
      { type: 'section', text: md(text) },
      {
        type: 'actions',
        block_id: `resolve|${incidentId}`,
        elements: [{ type: 'button', action_id: ACTION.resolve, style: 'primary', text: plain('Resolve', 75), value: encodeResolve(incidentId, reason) }],
      },
    ],
  };
}

/** Until someone responds: the deadline and an Acknowledge button (nothing once they have). */
function responseBlock(policy: Policy, i: Incident): Block | null {
  if (i.acknowledgedAt) return null;
  if (i.status !== 'open') return { type: 'context', elements: [md('No response was recorded')] };
  const sev = severityById(policy, i.severity);
  const deadline = sev ? formatClock(new Date((i.clockStart ?? i.declaredAt).getTime() + sev.respondWithinMs), policy.timezone) : '—';
  return {
    type: 'actions',
    block_id: `ack|${i.id}`,
    elements: [{ type: 'button', action_id: ACTION.acknowledge, style: 'primary', text: plain(`Acknowledge (respond by ${deadline})`, 75), value: `ack|${i.id}` }],
  };
}

/** A compliance run's card: what it covers, when it is due, who owns it, and its state. */
/** A card posted this long after its opening time says so (the bot was down when it was due). */
export const LATE_NOTICE_AFTER_MS = 5000;

export function complianceCard(v: ComplianceRunView): { text: string; blocks: Block[] } {
  const { run, task, zone } = v;
  const day = formatDesk(run.opensAt, zone).split(' ').slice(0, 3).join(' ');
  let state: string;
  switch (run.status) {
    case 'done': {
      const lateMs = run.doneAt!.getTime() - run.dueAt.getTime();
      const by = run.doneBy!.startsWith('token:') ? `the job (\`${run.doneBy}\`)` : mention(run.doneBy!);
      state = `${lateMs > 0 ? `:warning: *Done late (+${humanDuration(lateMs)})*` : ':white_check_mark: *Done*'} by ${by} at ${formatClock(run.doneAt!, zone)}`;
      if (run.evidence) state += `\nEvidence: ${esc(run.evidence)}`;
      if (run.note) state += `\nNote: ${esc(run.note)}`;
      break;
    }
    case 'missed':
      state = `:red_circle: *Overdue* since ${formatClock(run.dueAt, zone)}`;
      break;
    case 'failed':
      state = `:x: *The job reported a failure*${run.problemNote ? `: ${esc(run.problemNote)}` : ''}`;
      break;
    default:
      state = `:large_blue_circle: Open — due ${formatClock(run.dueAt, zone)}`;
  }
  if (run.problemAt && run.status !== 'failed' && run.status !== 'done') state += `\n:warning: Problem reported${run.problemNote ? `: ${esc(run.problemNote)}` : ''}`;
  const blocks: Block[] = [
    { type: 'header', text: plain(`${task.title} · ${day}`, 150) },
    {
      type: 'section',
      fields: [
        md(`*Covers*\n${run.date}`),
        md(`*Due*\n${formatClock(run.dueAt, zone)}`),
        md(`*Owner*\n${v.ownerMention}`),
        md(`*Kind*\n${task.kind}`),
      ],
    },
    { type: 'section', text: md(state) },
  ];
  if (v.postedLateMs > LATE_NOTICE_AFTER_MS) blocks.push({ type: 'context', elements: [md(`:warning: Posted ${humanDuration(v.postedLateMs)} late (opened at ${formatClock(run.opensAt, zone)}; the bot was not running)`)] });
  if (run.status !== 'done') {
    blocks.push({
      type: 'actions',
      block_id: `run|${run.id}`,
      elements: [
        { type: 'button', action_id: ACTION.complianceDone, style: 'primary', text: plain('Mark done', 75), value: encodeRun(run.id) },
        { type: 'button', action_id: ACTION.complianceProblem, text: plain('Report a problem', 75), value: encodeRun(run.id) },
      ],
    });
  }
  return { text: `${task.title} for ${run.date}: ${run.status === 'done' ? 'done' : run.status === 'missed' ? 'overdue' : `due ${formatClock(run.dueAt, zone)}`} — ${v.ownerMention}`, blocks };
}

export function complianceModal(kind: 'done' | 'problem', runId: number, title: string): Block {
  const input = (block: string, label: string, multiline: boolean, optional: boolean, max: number) => ({
    type: 'input',
    block_id: block,
    optional,
    label: plain(label, 2000),
    element: { type: 'plain_text_input', action_id: 'v', multiline, max_length: max },
  });
  return {
    type: 'modal',
    callback_id: kind === 'done' ? VIEW.complianceDone : VIEW.complianceProblem,
    private_metadata: JSON.stringify({ runId }),
    title: plain(kind === 'done' ? 'Mark done' : 'Report a problem', 24),
    submit: plain(kind === 'done' ? 'Mark done' : 'Report', 24),
    close: plain('Cancel', 24),
    blocks: [
      { type: 'section', text: md(`*${esc(truncate(title, 200))}*`) },
      ...(kind === 'done'
        ? [input('evidence', 'Evidence (link or reference)', false, true, 1000), input('note', 'Note', true, true, 2000)]
        : [input('note', 'What is wrong?', true, false, 2000)]),
    ],
  };
}

const TRIAGE_DONE: Record<string, string> = { declared: ':fire: *Declared*', attached: ':link: *Attached*', dismissed: ':no_bell: *Dismissed*' };

/** A group of alerts waiting for a human in the triage channel, and what was decided. */
export function triageCard(policy: Policy, v: TriageView): { text: string; blocks: Block[] } {
  const t = v.triage;
  const sev = severityLabel(policy, t.severity);
  const lines = v.recent.map((a) => {
    const title = esc(truncate(a.title, 150));
    const named = linkTo(a.link, title);
    return `${a.status === 'firing' ? ':red_circle:' : ':large_green_circle:'} ${a.status} · ${esc(a.severity)} · ${named} · ${formatClock(a.receivedAt, v.zone)}`;
  });
  const more = v.total > v.recent.length ? [`…and ${v.total - v.recent.length} earlier`] : [];
  const blocks: Block[] = [
    { type: 'header', text: plain(`Triage · ${truncate(t.title, 130)}`, 150) },
    {
      type: 'section',
      fields: [
        md(`*Alerts*\n${v.counts.firing} firing · ${v.counts.resolved} resolved`),
        md(`*Route*\n\`${esc(t.route)}\``),
        md(`*Group*\n\`${esc(truncate(t.groupKey, 200))}\``),
        md(`*Seen*\n${formatDesk(t.createdAt, v.zone)} – ${formatClock(t.lastAlertAt, v.zone)}`),
        ...(t.service ? [md(`*Service*\n${esc(t.service)}`)] : []),
      ],
    },
    { type: 'section', text: md([...lines, ...more].join('\n') || '_no alerts_') },
  ];
  if (t.status === 'open') {
    const attach = v.openIncidents.length
      ? [{
          type: 'static_select',
          action_id: ACTION.triageAttach,
          placeholder: plain('Attach to INC-n…', 150),
          options: v.openIncidents.map((i) => ({ text: plain(`INC-${i.id} ${i.severity.toUpperCase()} ${i.title}`, 75), value: String(i.id) })),
        }]
      : [];
    blocks.push({
      type: 'actions',
      block_id: encodeTriage(t.id),
      elements: [
        { type: 'button', action_id: ACTION.triageDeclare, style: 'primary', text: plain(`Declare ${sev}`, 75), value: encodeTriage(t.id) },
        ...attach,
        {
          type: 'button',
          action_id: ACTION.triageDismiss,
          text: plain('Dismiss', 75),
          value: encodeTriage(t.id),
          confirm: { title: plain('Dismiss these alerts?', 100), text: plain('They stay recorded; later alerts of the group are kept here quietly for the group window.', 300), confirm: plain('Dismiss', 30), deny: plain('Cancel', 30) },
        },
      ],
    });
  } else {
    const target = t.incidentId ? ` ${t.status === 'declared' ? 'as' : 'to'} INC-${t.incidentId}` : '';
    blocks.push({ type: 'context', elements: [md(`${TRIAGE_DONE[t.status]}${target} by ${t.decidedBy ? mention(t.decidedBy) : '—'} at ${t.decidedAt ? formatDesk(t.decidedAt, v.zone) : '—'}`)] });
  }
  const state = t.status === 'open' ? 'needs a decision' : t.status;
  return { text: `Triage: ${v.counts.firing} firing alert${v.counts.firing === 1 ? '' : 's'} — ${esc(truncate(t.title, 150))} (${state})`, blocks };
}
