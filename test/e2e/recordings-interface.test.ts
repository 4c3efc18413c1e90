import nock from 'nock';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConsoleFeature } from '../../src/console/console-feature';
import { FakeTwilioRest } from '../../src/simulator/fake-twilio-rest';
import { sineWav } from '../support/audio';
import { consoleSession } from '../support/console-session';
import { ACCOUNT_SID, AUTH_TOKEN, HOTLINE, startHotline, type Hotline } from '../support/hotline-harness';

const A = '+8613800000001';
const B = '+8613800000002';
const accepts = { does: 'accept', ringSeconds: 3, pressAfterSeconds: 1, talkSeconds: 30, hangsUpFirst: 'caller' } as const;
// 2026-11-23 10:00 in Shanghai: inside the callback day window (a missed caller may leave a message).
const START = '2026-11-23T02:00:00Z';

describe('recordings (R12): the switch, the list\'s filters, and voice messages heard through the same door', () => {
  let h: Hotline | undefined;
  let rest: FakeTwilioRest | undefined;
  afterEach(async () => {
    await h?.close();
    await rest?.close();
    h = undefined;
    rest = undefined;
    nock.cleanAll();
  });

  it('with RECORDING=off records nothing: no record attribute on the <Dial>, no notice for a caller who waits, nothing on record', async () => {
    h = await startHotline({ RECORDING: 'off' }, START);
    await h.api.addAgent('Agent A', A);
    await h.api.addAgent('Agent B', B);
    const waited = await h.twilio.placeCall({ from: '+8613911110001', to: HOTLINE, agents: { [A]: { does: 'ring-out' }, [B]: accepts } });
    expect(waited.bridgedTo).toBe(B);
    const dials = waited.documents.flatMap((d) => d.children).filter((v) => v.name === 'Dial');
    expect(dials.length).toBe(2);
    for (const dial of dials) {
      expect(dial.attrs.record).toBeUndefined();
      expect(dial.attrs.recordingStatusCallback).toBeUndefined();
    }
    expect(waited.recordingSid).toBeUndefined();
    expect(waited.callerHeard.join('')).not.toContain('录音');
    expect((await h.api.get('/api/recordings')).body).toEqual({ recordings: [] });
  });

  it('lists recordings by from, to and agentId with the documented fields, refuses a bad filter naming it, and plays a voice message through GET /api/calls/:id/recording under the same rules', async () => {
    rest = new FakeTwilioRest({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, anyRecording: { body: sineWav({ seconds: 1 }), contentType: 'audio/wav' } });
    h = await startHotline({ RECORDING: 'on', TWILIO_API_BASE_URL: await rest.listen() }, START);
    const a = (await h.api.addAgent('Agent A', A)).id;
    await h.twilio.placeCall({ from: '+8613911110000', to: HOTLINE, agents: { [A]: accepts } });
    h.clock.advance(2 * 3600);
    const secondAt = h.clock.now().toISOString();
    // A missed caller leaves a voice message (留言): no agent answered, so the recording has none.
    const missed = await h.twilio.placeCall({ from: '+8613911110009', to: HOTLINE, agents: { [A]: { does: 'ring-out' } }, voiceMessage: { seconds: 12 } });
    expect(missed.voiceMessageSid).toMatch(/^RE/);

    const list = async (query: string) => {
      const res = await h!.api.get(`/api/recordings${query}`);
      expect(res.status).toBe(200);
      return res.body.recordings as Record<string, unknown>[];
    };
    const all = await list('');
    expect(all.map((r) => r.kind)).toEqual(['voice-message', 'conversation']);
    for (const r of all) {
      expect(Object.keys(r)).toEqual(expect.arrayContaining(['id', 'callId', 'agentId', 'seconds', 'status', 'createdAt', 'deleteAfter']));
      expect(r.status).toBe('available');
    }
    const [message, conversation] = all as [Record<string, string | number | null>, Record<string, string | number | null>];
    expect(conversation).toMatchObject({ agentId: a, seconds: 30 });
    expect(message).toMatchObject({ agentId: null, seconds: 12 });
    expect((await list(`?from=${encodeURIComponent(secondAt)}`)).map((r) => r.id)).toEqual([message.id]);
    expect((await list(`?to=${encodeURIComponent(secondAt)}`)).map((r) => r.id)).toEqual([conversation.id]);
    expect((await list(`?from=${encodeURIComponent(START)}&to=${encodeURIComponent(secondAt)}&agentId=${a}`)).map((r) => r.id)).toEqual([conversation.id]);
    expect(await list(`?agentId=${a}&from=${encodeURIComponent(secondAt)}`)).toEqual([]);
    const bad = await h.api.get('/api/recordings?from=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^from: must be a date or an ISO instant/);
    expect((await h.api.get('/api/recordings?agentId=7')).body.error.message).toMatch(/^agentId: must be an agent id/);

    // The voice message: through the product, Range honoured, audited; a viewer is refused.
    const accounts = (h.container.features.find((f) => f.name === 'console') as ConsoleFeature).accounts;
    await accounts.create('wang', 'wang-password-1', 'supervisor');
    await accounts.create('li', 'li-password-1', 'viewer');
    const supervisor = await consoleSession(h, 'wang', 'wang-password-1');
    const viewer = await consoleSession(h, 'li', 'li-password-1');
    const path = `/api/calls/${message.callId}/recording`;
    const heard = await request(h.app).get(path).set('Cookie', supervisor.cookie).set('Range', 'bytes=0-9');
    expect(heard.status).toBe(206);
    expect(heard.headers['content-range']).toMatch(/^bytes 0-9\//);
    expect(heard.headers['cache-control']).toBe('private, no-store');
    expect((await request(h.app).get(path).set('Cookie', viewer.cookie)).status).toBe(403);
    expect(rest.mediaRequests.map((m) => m.sid)).toEqual([missed.voiceMessageSid]);
    const actors = async () => ((await h!.api.get(`/api/recordings/${message.id}/listens`)).body.listens as { actor: string }[]).map((l) => l.actor);
    expect(await actors()).toEqual(['account:wang']);
    // A seek within the supervisor's listen is the same listen; a later part asked for by someone
    // who began no listen (a download in pieces), or an hour on, is a listen of its own.
    expect((await request(h.app).get(path).set('Cookie', supervisor.cookie).set('Range', 'bytes=100-')).status).toBe(206);
    expect(await actors()).toEqual(['account:wang']);
    await accounts.create('zhao', 'zhao-password-1', 'qc');
    const inspector = await consoleSession(h, 'zhao', 'zhao-password-1');
    expect((await request(h.app).get(path).set('Cookie', inspector.cookie).set('Range', 'bytes=1-')).status).toBe(206);
    expect(await actors()).toEqual(['account:zhao', 'account:wang']);
    h.clock.advance(61 * 60);
    expect((await request(h.app).get(path).set('Cookie', supervisor.cookie).set('Range', 'bytes=200-')).status).toBe(206);
    expect(await actors()).toEqual(['account:wang', 'account:zhao', 'account:wang']);
    // The call page: the voice message's player for the supervisor, with the listen; none for the viewer.
    const page = await request(h.app).get(`/console/calls/${message.callId}`).set('Cookie', supervisor.cookie);
    expect(page.text).toContain(`src="/api/calls/${message.callId}/recording?recording=${message.id}&amp;token=`);
    expect(page.text).toContain('account:wang');
    expect(page.text).not.toMatch(/twilio\.com|\/Recordings\//);
    const seen = await request(h.app).get(`/console/calls/${message.callId}`).set('Cookie', viewer.cookie);
    expect(seen.status).toBe(200);
    expect(seen.text).not.toContain('<audio');
  });
});
