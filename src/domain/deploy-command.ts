import { DateTime } from 'luxon';
import { DomainError } from './errors.js';
import { parseDeployType, type DeployType } from './deploy-rules.js';

export type DeployWindowCommand =
  | { kind: 'overview'; at: DateTime; explicitTime: boolean }
  | { kind: 'check'; type: DeployType; at: DateTime; explicitTime: boolean }
  | { kind: 'request'; type: DeployType; service: string; at: DateTime; explicitTime: boolean; summary: string }
  | { kind: 'help' };

const EXAMPLES = '`/deploy-window standard`, `/deploy-window emergency at 2026-11-27 13:30`, `/deploy-window standard at tomorrow 09:00`';
const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
export const SERVICE_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function badTime(text: string): DomainError {
  return new DomainError('bad_time', `I can't read the time "${text}". Write it like \`16:30\`, \`tomorrow 09:00\`, \`friday 20:00\`, \`2026-11-27 13:30\` (ET) or \`2026-11-27T18:30:00Z\`.`);
}

/**
 * Reads a time the way people type it in Slack. Local forms are in `zone` (ET); an ISO time with
 * an offset or `Z` keeps it. A local time that DST skips moves forward (luxon's rule).
 */
export function parseWhen(text: string, now: DateTime, zone: string): DateTime {
  const t = text.trim().toLowerCase();
  const local = now.setZone(zone);
  if (/^\d{4}-\d{2}-\d{2}t/.test(t)) {
    const dt = DateTime.fromISO(text.trim(), { setZone: true });
    if (!dt.isValid) throw badTime(text);
    // Without an offset the ISO time is local (ET).
    return /(z|[+-]\d{2}:?\d{2})$/.test(t) ? dt : DateTime.fromISO(text.trim(), { zone });
  }
  let m = /^(\d{4}-\d{2}-\d{2})\s+(\d{1,2}):(\d{2})$/.exec(t);
  if (m) return atLocal(DateTime.fromISO(m[1]!, { zone }), m[2]!, m[3]!, text);
  m = /^(?:(today|tomorrow|now|[a-z]+)\s*)?(?:(\d{1,2}):(\d{2}))?$/.exec(t);
  if (!m || (!m[1] && !m[2])) throw badTime(text);
  const word = m[1];
  if (word === 'now' && !m[2]) return local;
  let day = local.startOf('day');
  if (word === 'tomorrow') day = day.plus({ days: 1 });
  else if (word && word !== 'today') {
    const idx = WEEKDAYS.findIndex((d) => d === word || d.slice(0, 3) === word);
    if (idx < 0) throw badTime(text);
    const ahead = (idx + 1 - local.weekday + 7) % 7 || 7; // the next such day, never today
    day = day.plus({ days: ahead });
  }
  if (!m[2]) throw badTime(text);
  return atLocal(day, m[2], m[3]!, text);
}

function atLocal(day: DateTime, hh: string, mm: string, original: string): DateTime {
  const h = Number(hh);
  const min = Number(mm);
  if (!day.isValid || h > 23 || min > 59) throw badTime(original);
  const dt = DateTime.fromObject({ year: day.year, month: day.month, day: day.day, hour: h, minute: min }, { zone: day.zoneName ?? undefined });
  if (!dt.isValid) throw badTime(original);
  return dt;
}

/** Splits `… at <time> rest` trying the longest time first (`at tomorrow 09:00 summary`). */
function takeTime(words: string[], now: DateTime, zone: string): { at: DateTime; rest: string[] } | null {
  if (words[0]?.toLowerCase() !== 'at') return null;
  if (words.length < 2) throw new DomainError('bad_time', `Say when after \`at\`, e.g. ${EXAMPLES}.`);
  let lastError: unknown;
  for (const n of [2, 1]) {
    if (words.length < 1 + n) continue;
    try {
      return { at: parseWhen(words.slice(1, 1 + n).join(' '), now, zone), rest: words.slice(1 + n) };
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

export function parseDeployWindowCommand(text: string, now: DateTime, zone: string): DeployWindowCommand {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return { kind: 'overview', at: now, explicitTime: false };
  const first = words[0]!.toLowerCase();
  if (first === 'help') return { kind: 'help' };
  if (first === 'at') {
    const t = takeTime(words, now, zone)!;
    if (t.rest.length) throw new DomainError('bad_syntax', `I didn't understand "${t.rest.join(' ')}". Try ${EXAMPLES}.`);
    return { kind: 'overview', at: t.at, explicitTime: true };
  }
  if (first === 'request') {
    if (words.length < 4) {
      throw new DomainError('bad_syntax', 'Usage: `/deploy-window request <type> <service> [at <time>] <change summary>`, e.g. `/deploy-window request standard payments Rotate TLS certificates`.');
    }
    const type = parseDeployType(words[1]!);
    const service = words[2]!.toLowerCase();
    if (!SERVICE_PATTERN.test(service)) throw new DomainError('bad_service', `"${words[2]}" is not a service name (lowercase letters, digits, . _ -), e.g. \`payments\`.`);
    const t = takeTime(words.slice(3), now, zone);
    const summary = (t ? t.rest : words.slice(3)).join(' ').trim();
    if (!summary) throw new DomainError('summary_required', 'Add a change summary, e.g. `/deploy-window request standard payments Rotate TLS certificates`.');
    if ([...summary].length > 500) throw new DomainError('summary_too_long', 'Keep the change summary under 500 characters; link the change record for details.');
    const at = t?.at ?? now;
    if (at < now.minus({ minutes: 1 })) throw new DomainError('in_the_past', `${at.setZone(zone).toFormat('ccc d LLL HH:mm')} ET is in the past; request a window now or later.`);
    return { kind: 'request', type, service, at, explicitTime: Boolean(t), summary };
  }
  const type = parseDeployType(first);
  const t = takeTime(words.slice(1), now, zone);
  const rest = t ? t.rest : words.slice(1);
  if (rest.length) throw new DomainError('bad_syntax', `I didn't understand "${rest.join(' ')}". Try ${EXAMPLES}.`);
  return { kind: 'check', type, at: t?.at ?? now, explicitTime: Boolean(t) };
}

export const DEPLOY_WINDOW_HELP = [
  '*`/deploy-window` — may a release go out?*',
  '• `/deploy-window` — the market session now, what each deploy type needs, any freeze, today\'s schedule',
  '• `/deploy-window <type> [at <time>]` — the answer for `non-critical`, `standard` or `emergency` (times in ET unless an offset is given: `16:30`, `tomorrow 09:00`, `2026-11-27 13:30`)',
  '• `/deploy-window request <type> <service> [at <time>] <change summary>` — ask the approver group where approval is needed',
].join('\n');
