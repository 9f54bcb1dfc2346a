import type { SmsSender } from '../../app/ports/sms.js';
import { PERMANENT, PermanentError } from '../../domain/errors.js';
import { TwilioSmsSender } from './twilio-sms-sender.js';

export { TwilioSmsSender, type TwilioSmsSenderOptions } from './twilio-sms-sender.js';

/**
 * The Twilio adapter as the composition root builds it: the {@link SmsSender} port. Without
 * credentials every send is refused for good (reported on the step, never retried).
 */
export function twilioSms(config: { accountSid: string; authToken: string; from: string; apiUrl: string } | null | undefined): SmsSender {
  if (!config) return { send: async () => Promise.reject(new PermanentError(PERMANENT.smsNotConfigured, 'SMS is not configured (TWILIO_* variables)')) };
  return new TwilioSmsSender({ apiUrl: config.apiUrl, accountSid: config.accountSid, authToken: config.authToken, from: config.from });
}
