import type { Declarer } from '../domain/declarer.js';
import type { Incident } from '../domain/incident.js';
import { incidentRef } from '../domain/incident.js';
import { roleById, severityById, type Policy } from '../domain/policy.js';

/**
 * Escapes user text for Slack mrkdwn: `&`, `<` and `>` and nothing else, which neutralises
 * `<!channel>`, `<@U…>` and `<!subteam^…>` while leaving the text readable.
 */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export const mention = (userId: string): string => `<@${userId}>`;

/** Who declared, as Slack shows it: the user's mention, or the integration's name. */
export function declarerText(d: Declarer): string {
  if (d.kind === 'user') return mention(d.userId);
  // An integration's monitor link (checked http(s), no spaces, < > or |) makes its name a link.
  return d.link ? `<${d.link.replace(/&/g, '&amp;')}|${esc(d.name)}>` : esc(d.name);
}

export function severityLabel(policy: Policy, id: string): string {
  const s = severityById(policy, id);
  return s ? `${id.toUpperCase()} ${s.label}` : id.toUpperCase();
}

export function roleLabel(policy: Policy, id: string): string {
  return roleById(policy, id)?.label ?? id;
}

/** The channel topic: short, plain, and it follows the IC. */
export function topicFor(policy: Policy, incident: Incident): string {
  const ic = incident.roles['incident_commander']?.userId;
  const status = incident.status === 'resolved' ? 'RESOLVED' : 'OPEN';
  const topic = `${severityLabel(policy, incident.severity)} | ${status} | IC: ${ic ? mention(ic) : 'unassigned'} | ${incidentRef(incident.id)} ${incident.title}`;
  return [...topic].length > 250 ? `${[...topic].slice(0, 249).join('')}…` : topic;
}
