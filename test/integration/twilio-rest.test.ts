import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger';
import { twilioSms } from '../../src/sms';
import { createTwilioClient } from '../../src/twilio-client';

const SID = 'AC' + 'c3'.repeat(16);
const TOKEN = 'rest-token-0123456789';
const logger = createLogger('error', true);

describe('the Twilio REST client', () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());

  it('sends an SMS to api.twilio.com with the account credentials', async () => {
    const scope = nock('https://api.twilio.com')
      .post(`/2010-04-01/Accounts/${SID}/Messages.json`, (b) => b.To === '+8613800000001' && b.From === '+864008001234' && b.Body === 'hello')
      .basicAuth({ user: SID, pass: TOKEN })
      .reply(201, { sid: 'SM' + '1'.repeat(32), status: 'queued' });
    const sms = twilioSms(createTwilioClient({ TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: TOKEN, TWILIO_API_BASE_URL: undefined }), undefined, logger);
    await expect(sms.send('+8613800000001', 'hello', { from: '+864008001234' })).resolves.toEqual({ sid: 'SM' + '1'.repeat(32) });
    expect(scope.isDone()).toBe(true);
  });

  it('goes to TWILIO_API_BASE_URL instead when it is set, and prefers SMS_FROM', async () => {
    const scope = nock('https://twilio-compatible.example.test')
      .post(`/2010-04-01/Accounts/${SID}/Messages.json`, (b) => b.MessagingServiceSid === 'MG' + 'd'.repeat(32) && b.From === undefined)
      .reply(201, { sid: 'SM' + '2'.repeat(32) });
    const client = createTwilioClient({ TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: TOKEN, TWILIO_API_BASE_URL: 'https://twilio-compatible.example.test' });
    const sms = twilioSms(client, 'MG' + 'd'.repeat(32), logger);
    await sms.send('+8613800000001', 'hi', { from: '+864008001234' });
    expect(scope.isDone()).toBe(true);
  });

  it('refuses to send with no sender rather than guessing one', async () => {
    const sms = twilioSms(createTwilioClient({ TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: TOKEN, TWILIO_API_BASE_URL: undefined }), undefined, logger);
    await expect(sms.send('+8613800000001', 'hi')).rejects.toThrow(/SMS_FROM/);
  });
});
