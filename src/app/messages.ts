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

/** The audit actor of something a person did in PagerDuty (seen through its webhooks): an integration, not a Slack user. */
export const PAGERDUTY_ACTOR_PREFIX = 'pagerduty:';

/** `pagerduty:<name>`, the name on one line and at most 80 characters. */
export function pagerDutyActor(name: string | null | undefined): string {
  // eslint-disable-next-line no-control-regex -- one line, no control characters
  const clean = (name ?? '').replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').replace(/\s+/g, ' ').trim();
  const short = [...clean].length > 80 ? `${[...clean].slice(0, 79).join('')}…` : clean;
  return `${PAGERDUTY_ACTOR_PREFIX}${short || 'PagerDuty'}`;
}

/** Who responded, as Slack shows it: a user's mention, or the PagerDuty user's name in bold. */
export function responderText(by: string): string {
  return by.startsWith(PAGERDUTY_ACTOR_PREFIX) ? `*${esc(by.slice(PAGERDUTY_ACTOR_PREFIX.length))}*` : mention(by);
}

/** Who declared, as Slack shows it: the user's mention, or the integration's name. */
export function declarerText(d: Declarer): string {
  if (d.kind === 'user') return mention(d.userId);
  // An integration's monitor link makes its name a link.
  return linkTo(d.link, esc(d.name));
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

/** `<url|text>` when `link` is an http(s) URL Slack can render, else `text` alone (already escaped mrkdwn). */
export function linkTo(link: string | null | undefined, text: string): string {
  return link && /^https?:\/\/[^\s<>|]+$/.test(link) ? `<${link.replace(/&/g, '&amp;')}|${text}>` : text;
}
