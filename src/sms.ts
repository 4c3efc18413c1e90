import { maskPhone } from './domain/endpoint';
import type { Logger } from './logger';
import type { TwilioClient } from './twilio-client';

/** Text messages to agents' phones, through Twilio Messaging (or TWILIO_API_BASE_URL's provider). */
export interface SmsSender {
  /** `from` is used when SMS_FROM is not configured (normally the hotline number the call came in on). */
  send(to: string, body: string, opts?: { from?: string }): Promise<{ sid: string }>;
}

export function twilioSms(client: TwilioClient, configuredFrom: string | undefined, logger: Logger): SmsSender {
  return {
    async send(to, body, opts = {}) {
      const from = configuredFrom ?? opts.from;
      if (!from) throw new Error('SMS_FROM is not set and no hotline number was given to send from');
      // A Messaging Service SID (MG...) picks the sender itself; otherwise send from the number.
      const sender = from.startsWith('MG') ? { messagingServiceSid: from } : { from };
      const message = await client.messages.create({ to, body, ...sender });
      logger.info('sms sent', { to: maskPhone(to), sid: message.sid });
      return { sid: message.sid };
    },
  };
}
