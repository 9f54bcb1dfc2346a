/** The fake Slack's public types: what tests seed, inspect and inject. */

export interface FakeSlackOptions {
  botToken?: string;
  botUserId?: string;
  botId?: string;
  teamId?: string;
  /** Delay before every API call is processed (simulates network + Slack latency). */
  latencyMs?: number;
}

export interface FakeMessage {
  ts: string;
  user: string;
  text: string;
  blocks?: any[];
  metadata?: { event_type: string; event_payload: any };
  thread_ts?: string;
  /** A reply posted with reply_broadcast: in its thread and in the channel's history. */
  broadcast?: true;
  edited?: boolean;
  /** When it was last edited (Slack's `edited.ts`). */
  editedTs?: string;
  replies: FakeMessage[];
}

export interface FakeChannel {
  id: string;
  name: string;
  isPrivate: boolean;
  topic: string;
  purpose: string;
  creator: string;
  created: number;
  members: Set<string>;
  messages: FakeMessage[];
  pins: Set<string>;
  archived: boolean;
}

export interface FakeUser {
  id: string;
  name: string;
  realName: string;
  phone: string;
  tz: string;
  isBot: boolean;
}

export interface FakeUserGroup {
  id: string;
  handle: string;
  name: string;
  users: string[];
}

export interface FakeCall {
  method: string;
  args: Record<string, unknown>;
  at: number;
  status: number;
  ok: boolean;
  error?: string;
  /** The call took effect but its answer never reached the caller (a `lostResponse` fault). */
  lost?: true;
}

export interface FakeEphemeral {
  channel: string;
  user: string;
  text: string;
  blocks?: any[];
  ts: string;
  thread_ts?: string;
}

/** A modal or Home tab as Slack holds it: the submitted view plus Slack's own fields. */
export interface FakeView {
  id: string;
  hash: string;
  rootViewId: string;
  previousViewId: string | null;
  /** Set for Home tabs (`views.publish`). */
  userId?: string;
  view: Record<string, any>;
}

/**
 * How a call fails. The first three fail before Slack does anything. `lostResponse` is the other
 * half of a crash window: Slack performs the call (the message is posted), then the connection is
 * cut before the answer arrives, as when the network drops. With `hold`, the answer is never sent
 * and the connection stays open (until the caller gives up or dies: kill the bot meanwhile to
 * crash it between Slack's write and its own record). Either way the caller cannot tell whether
 * the write happened; a retry must find it instead of repeating it.
 */
export type FakeFault = { status: 429; retryAfter: number } | { status: 500 | 502 | 503 } | { error: string } | { lostResponse: true; hold?: boolean };
