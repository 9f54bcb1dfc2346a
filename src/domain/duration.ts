import { DomainError } from './errors.js';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses the policy's duration notation (`30s`, `5m`, `4h`, `1h30m`) into milliseconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  const re = /(\d+)(ms|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(trimmed); m; m = re.exec(trimmed)) {
    total += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
    matched = re.lastIndex;
  }
  if (trimmed === '' || matched !== trimmed.length) {
    throw new DomainError('bad_duration', `"${text}" is not a duration; write it like 30s, 5m, 4h or 1h30m`);
  }
  return total;
}

/** Renders milliseconds the way the policy writes them, largest units first (`1h30m`, `45s`). */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.length ? parts.join('') : `${ms}ms`;
}
