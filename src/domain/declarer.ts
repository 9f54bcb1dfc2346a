import { DomainError } from './errors.js';

/**
 * Who declared an incident: a Slack user, or an integration — a named source such as an alert
 * route or an API client. Everything that used to assume "a Slack user" asks this instead:
 *
 * - the audit actor is the user id, or `integration:<source>`;
 * - only a user is invited to the war room and sent direct messages; notices meant for an
 *   integration's declarer go to the announcements channel;
 * - only a user can be "the declarer" in a permission (`permissions.*.declarer`); an
 *   integration holds no role and no Slack permission.
 */
export type Declarer = { kind: 'user'; userId: string } | { kind: 'integration'; source: string; name: string; link?: string };

export const INTEGRATION_ACTOR_PREFIX = 'integration:';
const SOURCE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const NAME_MAX = 80;

export function userDeclarer(userId: string): Declarer {
  return { kind: 'user', userId };
}

/**
 * An integration declarer, checked: `source` is a stable machine id (`alertmanager`,
 * `api.ci`), `name` what people read ("Alertmanager — payments route").
 */
export function integrationDeclarer(source: string, name: string, link?: string | null): Declarer {
  if (!SOURCE.test(source)) {
    throw new DomainError('bad_declarer', `"${source}" is not an integration source id (lowercase letters, digits, . _ -; at most 64).`);
  }
  // eslint-disable-next-line no-control-regex -- one line, no control characters
  const clean = name.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').replace(/\s+/g, ' ').trim();
  if (clean === '' || [...clean].length > NAME_MAX) {
    throw new DomainError('bad_declarer', `An integration needs a display name of 1 to ${NAME_MAX} characters.`);
  }
  // The monitor's page: http(s) only, and nothing that would break a Slack link.
  const safeLink = link && /^https?:\/\/[^\s<>|]{1,1990}$/.test(link) ? link : null;
  return { kind: 'integration', source, name: clean, ...(safeLink ? { link: safeLink } : {}) };
}

/** The audit trail's actor for the declaration: the user id, or `integration:<source>`. */
export function declarerActor(d: Declarer): string {
  return d.kind === 'user' ? d.userId : `${INTEGRATION_ACTOR_PREFIX}${d.source}`;
}

/** The Slack user behind the declaration, or null when an integration declared it. */
export function declaringUser(d: Declarer): string | null {
  return d.kind === 'user' ? d.userId : null;
}
