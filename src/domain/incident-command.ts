import { DomainError } from './errors.js';
import { severityRange, type Policy } from './policy.js';

/** What `/incident <text>` asks for. Where the command is typed decides what `sevN …` means. */
export type IncidentCommand =
  | { kind: 'open-modal'; severity: string | null; title: string | null }
  | { kind: 'declare'; severity: string; title: string }
  | { kind: 'status'; text: string }
  | { kind: 'severity'; severity: string; reason: string }
  | { kind: 'resolve'; summary: string }
  | { kind: 'timeline' }
  | { kind: 'ack' }
  | { kind: 'help' };

const WAR_ROOM_ONLY = new Set(['status', 'resolve', 'timeline', 'ack']);

export function parseIncidentCommand(policy: Policy, rawText: string, inWarRoom: boolean): IncidentCommand {
  const text = rawText.trim();
  const m = /^(\S+)\s*([\s\S]*)$/.exec(text);
  const word = (m?.[1] ?? '').toLowerCase();
  const rest = (m?.[2] ?? '').trim();

  if (word === '') return inWarRoom ? { kind: 'help' } : { kind: 'open-modal', severity: null, title: null };
  if (word === 'help' || word === '?') return { kind: 'help' };

  if (/^sev\S*$/.test(word)) {
    if (!policy.severities.some((s) => s.id === word)) {
      throw new DomainError('unknown_severity', `"${word}" is not a severity. Use ${severityRange(policy)}, e.g. \`/incident sev2 Options quotes delayed\`.`);
    }
    if (inWarRoom) {
      if (rest === '') throw new DomainError('reason_required', `Say why the severity changes, e.g. \`/incident ${word} customer impact now visible\`.`);
      return { kind: 'severity', severity: word, reason: rest };
    }
    return rest === '' ? { kind: 'open-modal', severity: word, title: null } : { kind: 'declare', severity: word, title: rest };
  }

  if (WAR_ROOM_ONLY.has(word)) {
    if (!inWarRoom) {
      throw new DomainError('not_in_war_room', `\`/incident ${word}\` works only in an incident's war-room channel (#inc-…). Run it there.`);
    }
    switch (word) {
      case 'status':
        if (rest === '') throw new DomainError('status_required', 'Add the update, e.g. `/incident status failover to DC2 in progress`.');
        return { kind: 'status', text: rest };
      case 'resolve':
        if (rest === '') throw new DomainError('summary_required', 'Add a one-line summary, e.g. `/incident resolve routing restored after failover`.');
        return { kind: 'resolve', summary: rest };
      case 'ack':
        return { kind: 'ack' };
      default:
        return { kind: 'timeline' };
    }
  }

  if (inWarRoom) {
    throw new DomainError('unknown_subcommand', `I don't know \`/incident ${word}\`. Try \`/incident help\`.`);
  }
  // A title without a severity: ask for the severity in the modal, title prefilled.
  return { kind: 'open-modal', severity: null, title: text };
}

export function incidentHelp(policy: Policy): string {
  return [
    '*`/incident` — declare and run incidents*',
    `• \`/incident ${policy.severities[0]?.id ?? 'sev1'} <title>\` — declare at once (${severityRange(policy)})`,
    '• `/incident` or `/incident <severity>` — open the declaration form',
    '*In a war-room channel:*',
    '• `/incident status <text>` — post a status update',
    '• `/incident ack` — acknowledge: stops the response clock and the escalation',
    '• `/incident <severity> <reason>` — change severity',
    '• `/incident resolve <summary>` — resolve',
    '• `/incident timeline` — show the incident\'s events (only to you)',
    '• `/incident help` — this list',
  ].join('\n');
}
