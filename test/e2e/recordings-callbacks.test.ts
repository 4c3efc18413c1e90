import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACCOUNT_SID, HOTLINE, startHotline, TWILIO_API, type Hotline } from '../support/hotline-harness';
import { interceptTwilioRest, playCallbackCall, type RestCapture } from '../support/outbound-call';
import { randomSid } from '../support/twilio-driver';

const CALLER = '+8613911112222';
const A = '+8613800000001';
// 2026-11-23 10:00 in Shanghai: inside the callback day window.
const START = '2026-11-23T02:00:00Z';

describe('recordings of callback calls and voice messages (留言)', () => {
  let h: Hotline;
  let rest: RestCapture;
  let agentA: string;

  beforeEach(async () => {
    h = await startHotline({ RECORDING: 'on' }, START);
    rest = interceptTwilioRest(TWILIO_API, ACCOUNT_SID);
    agentA = (await h.api.addAgent('Agent A', A)).id;
  });
  afterEach(async () => {
    nock.cleanAll();
    await h.close();
  });

  it('keeps the caller\'s voice message and the callback conversation with the call, each once', async () => {
    const missed = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: { does: 'ring-out' } }, voiceMessage: { seconds: 12 } });
    expect(missed.voiceMessageSid).toMatch(/^RE/);
    const callId = (await h.api.get('/api/calls')).body.calls[0].id as string;
    const [message] = (await h.api.get('/api/recordings')).body.recordings;
    expect(message).toMatchObject({ callId, kind: 'voice-message', seconds: 12, status: 'available' });

    const cb = (await h.api.get('/api/callbacks')).body.callbacks[0];
    expect((await h.api.post(`/api/callbacks/${cb.id}/dial`)).status).toBe(202);
    const t = await playCallbackCall(h.twilio, h.clock, rest.calls[0]!, { does: 'press', digit: '1' }, { does: 'answer' });
    // The owner's <Dial> to the customer is recorded like a hotline call.
    expect(t.dial!.attrs).toMatchObject({ record: 'record-from-answer-dual', recordingStatusCallbackEvent: 'completed' });
    const url = t.dial!.attrs.recordingStatusCallback!;
    expect(url).toMatch(/\/webhooks\/voice\/recording\?callback-attempt=[0-9a-f-]{36}$/);
    const report = { AccountSid: ACCOUNT_SID, CallSid: rest.calls[0]!.sid, RecordingSid: randomSid('RE'), RecordingUrl: 'https://api.twilio.com/2010-04-01/Accounts/x/Recordings/y', RecordingStatus: 'completed', RecordingDuration: '95', RecordingChannels: '2' };
    for (let i = 0; i < 2; i++) expect((await h.twilio.post(url, report)).status).toBe(204);

    const all = (await h.api.get(`/api/calls/${callId}/recordings`)).body.recordings;
    expect(all.map((r: { kind: string }) => r.kind)).toEqual(['callback', 'voice-message']);
    expect(all[0]).toMatchObject({ agentId: agentA, seconds: 95, channels: 2 });
    expect(JSON.stringify(all)).not.toContain('twilio.com');
  });
});
