import request from 'supertest';
import twilio from 'twilio';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUTH_TOKEN, HOTLINE, PUBLIC_BASE_URL, startHotline, type Hotline } from '../support/hotline-harness';
import { randomSid } from '../support/twilio-driver';

const CALLER = '+8613911112222';
const countCalls = async (h: Hotline) => (await h.container.db.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM calls'))[0]!.n;

describe('Twilio webhooks refuse what Twilio did not send', () => {
  let h: Hotline;
  beforeEach(async () => {
    h = await startHotline({ FALLBACK_NUMBER: '+861012345678' });
    await h.api.addAgent('A', '+8613800000001');
  });
  afterEach(async () => h.close());

  const incoming = { CallSid: 'CA' + 'e'.repeat(32), From: CALLER, To: HOTLINE };

  it('refuses a forged signature with 403 and records nothing', async () => {
    const forged = twilio.getExpectedTwilioSignature('not-the-auth-token', `${PUBLIC_BASE_URL}/webhooks/voice/incoming`, incoming);
    const res = await h.twilio.post(`${PUBLIC_BASE_URL}/webhooks/voice/incoming`, incoming, forged);
    expect(res.status).toBe(403);
    expect(res.body.error.message).toMatch(/does not match/);
    expect(await countCalls(h)).toBe(0);
  });

  it('refuses a request with no signature', async () => {
    const res = await request(h.app).post('/webhooks/voice/incoming').type('form').send(incoming);
    expect(res.status).toBe(403);
    expect(res.body.error.message).toMatch(/missing X-Twilio-Signature/);
    expect(await countCalls(h)).toBe(0);
  });

  it('refuses a signature made for another URL or with altered parameters', async () => {
    const otherHost = twilio.getExpectedTwilioSignature(AUTH_TOKEN, 'https://evil.example.test/webhooks/voice/incoming', incoming);
    expect((await h.twilio.post(`${PUBLIC_BASE_URL}/webhooks/voice/incoming`, incoming, otherHost)).status).toBe(403);
    const signedFor = twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${PUBLIC_BASE_URL}/webhooks/voice/incoming`, incoming);
    const tampered = await request(h.app)
      .post('/webhooks/voice/incoming')
      .type('form')
      .set('X-Twilio-Signature', signedFor)
      .send({ ...incoming, From: '+8613000000000' });
    expect(tampered.status).toBe(403);
    expect(await countCalls(h)).toBe(0);
  });

  it("accepts the URL variants Twilio's own check accepts: the same URL signed with its default port", async () => {
    // The exact URL is compared first; a signature for https://host:443/… is only found by
    // twilio.validateRequest's variants, which must still be tried.
    const withPort = twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${PUBLIC_BASE_URL}:443/webhooks/voice/incoming`, incoming);
    const res = await request(h.app).post('/webhooks/voice/incoming').type('form').set('X-Twilio-Signature', withPort).send(incoming);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<Dial');
    expect(await countCalls(h)).toBe(1);
  });

  it('answers a signed but malformed webhook with 400 naming the field, still in TwiML, and changes nothing', async () => {
    const res = await h.twilio.post(`${PUBLIC_BASE_URL}/webhooks/voice/incoming`, { From: CALLER, To: HOTLINE });
    expect(res.status).toBe(400);
    expect(decodeURIComponent(String(res.headers['x-threering-error']))).toMatch(/^CallSid:/);
    expect(res.text).toMatch(/<Response><Say[^>]*>[^<]+<\/Say><Hangup\/><\/Response>/);
    expect(await countCalls(h)).toBe(0);

    const badStatus = await h.twilio.post(`${PUBLIC_BASE_URL}/webhooks/voice/dial-result?attempt=not-a-uuid`, { CallSid: randomSid(), DialCallStatus: 'completed' });
    expect(badStatus.status).toBe(400);
    expect(decodeURIComponent(String(badStatus.headers['x-threering-error']))).toMatch(/^attempt:/);
  });

  it('answers an unknown ring attempt with 404', async () => {
    const res = await h.twilio.post(`${PUBLIC_BASE_URL}/webhooks/voice/dial-result?attempt=00000000-0000-4000-8000-000000000000`, {
      CallSid: randomSid(),
      DialCallStatus: 'no-answer',
      CallStatus: 'in-progress',
    });
    expect(res.status).toBe(404);
    expect(res.text).toContain('<Say');
  });

  it('never leaves a caller in silence: with the database down the caller hears an apology and is put through to the duty number', async () => {
    h.container.db.query = async () => {
      throw new Error('connection refused');
    };
    const res = await h.twilio.post(`${PUBLIC_BASE_URL}/webhooks/voice/incoming`, { CallSid: randomSid(), From: CALLER, To: HOTLINE });
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/xml');
    expect(res.text).toContain('系统暂时出现故障');
    expect(res.text).toContain('<Dial timeout="30">+861012345678</Dial>');
  });

  it('answers with the fallback before Twilio gives up when the database hangs', async () => {
    await h.close();
    h = await startHotline({ FALLBACK_NUMBER: '+861012345678', WEBHOOK_DEADLINE_SECONDS: '1' });
    const query = h.container.db.query;
    h.container.db.query = () => new Promise(() => undefined);
    const res = await h.twilio.post(`${PUBLIC_BASE_URL}/webhooks/voice/incoming`, { CallSid: randomSid(), From: CALLER, To: HOTLINE });
    h.container.db.query = query;
    expect(res.status).toBe(200);
    expect(res.text).toContain('系统暂时出现故障');
    expect(res.text).toContain('+861012345678');
  });

  it('hangs up only the agent leg when the whisper fails, and the hunt goes on for the caller', async () => {
    await h.api.addAgent('B', '+8613800000002');
    const sid = randomSid();
    const first = await h.twilio.post(`${PUBLIC_BASE_URL}/webhooks/voice/incoming`, { CallSid: sid, From: CALLER, To: HOTLINE });
    const attempt = /attempt=([0-9a-f-]{36})/.exec(first.text)![1]!;
    const child = randomSid();
    await h.twilio.post(`${PUBLIC_BASE_URL}/webhooks/voice/screen?attempt=${attempt}`, { CallSid: child });
    // The key press is saved, then coordination fails before the reply.
    h.container.coordinator.extendClaim = async () => {
      throw new Error('redis went away');
    };
    const pressed = await h.twilio.post(`${PUBLIC_BASE_URL}/webhooks/voice/screen-result?attempt=${attempt}`, { CallSid: child, Digits: '1' });
    expect(pressed.status).toBe(200);
    expect(pressed.text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>');
    // Twilio never bridges, and the Dial action sends the caller to the next agent.
    const next = await h.twilio.post(`${PUBLIC_BASE_URL}/webhooks/voice/dial-result?attempt=${attempt}`, { CallSid: sid, CallStatus: 'in-progress', DialCallStatus: 'completed', DialBridged: 'false' });
    expect(next.text).toContain('+8613800000002</Number>');
  });

  it('serves the Voice Fallback URL from configuration alone', async () => {
    const res = await h.twilio.post(`${PUBLIC_BASE_URL}/webhooks/voice/fallback`, { CallSid: randomSid(), ErrorCode: '11200', ErrorUrl: `${PUBLIC_BASE_URL}/webhooks/voice/incoming` });
    expect(res.status).toBe(200);
    expect(res.text).toContain('+861012345678');
  });

  it('records a call the caller hangs up on before any webhook answered, from the status callback alone', async () => {
    const sid = randomSid();
    await h.twilio.post(`${PUBLIC_BASE_URL}/webhooks/voice/incoming`, { CallSid: sid, From: CALLER, To: HOTLINE });
    // the Dial action never arrives (lost); the number's status callback still ends the call
    await h.twilio.callStatus(sid, 'completed');
    await h.twilio.callStatus(sid, 'completed');
    const calls = await h.api.get('/api/calls');
    expect(calls.body.calls[0]).toMatchObject({ callSid: sid, outcome: 'abandoned', endedBy: 'caller' });
    const agentId = calls.body.calls[0].attempts[0].agentId;
    expect(await h.container.coordinator.holderOf(agentId)).toBeNull();
  });
});
