import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';

/** Building blocks shared by the policy's sections. */

/** `30s`, `5m`, `4h`, `1h30m`, in milliseconds; also used for duration environment variables. */
export const duration = z.string().transform((text, ctx) => {
  try {
    return parseDuration(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

export const slackUser = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user id like U024BE7LH');
export const groupHandle = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be a user-group handle like sre-oncall (no @)');
export const slug = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lowercase letters, digits, - or _');
export const responders = z.strictObject({ users: z.array(slackUser).default([]), groups: z.array(groupHandle).default([]) });
export const channelName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,79}$/, 'must be a Slack channel name without # (lowercase, digits, - and _)');
