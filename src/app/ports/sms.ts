/**
 * Sends one SMS (Twilio today). Throws `TransientError` (rate limit, 5xx, network, timeout) or
 * `PermanentError` whose `code` is the vendor's error code as a string (Twilio: '21211' invalid
 * number, '21610' unsubscribed, …).
 */
export interface SmsSender {
  send(to: string, body: string): Promise<{ id: string }>;
}
