import type { z } from 'zod';
import { InvalidPayloadError } from '../../domain/errors.js';

/** `$.alerts[2].startsAt` from zod's path. */
export function jsonPath(path: ReadonlyArray<PropertyKey>): string {
  return `$${path.map((p) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(String(p)) ? `.${String(p)}` : `[${JSON.stringify(String(p))}]`)).join('')}`;
}

/** Parses with `schema`; the first problem becomes an InvalidPayloadError naming its JSON path. */
export function parseOr400<S extends z.ZodType>(schema: S, payload: unknown): z.output<S> {
  const r = schema.safeParse(payload);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new InvalidPayloadError(jsonPath(issue.path), issue.message);
}

/** An instant with an offset or Z (RFC 3339), as senders write it. */
export const isoInstant = (s: string): boolean => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(s) && !Number.isNaN(Date.parse(s));
