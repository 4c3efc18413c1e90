import twilio from 'twilio';
import type { Config } from './config';

export type TwilioClient = ReturnType<typeof twilio>;

/**
 * The REST client. TWILIO_API_BASE_URL sends the api.twilio.com requests (calls, messages)
 * to a Twilio-compatible provider or a test double instead.
 */
export function createTwilioClient(config: Pick<Config, 'TWILIO_ACCOUNT_SID' | 'TWILIO_AUTH_TOKEN' | 'TWILIO_API_BASE_URL'>): TwilioClient {
  const client = twilio(config.TWILIO_ACCOUNT_SID, config.TWILIO_AUTH_TOKEN, { autoRetry: true, maxRetries: 3 });
  if (config.TWILIO_API_BASE_URL) client.api.baseUrl = config.TWILIO_API_BASE_URL;
  return client;
}
