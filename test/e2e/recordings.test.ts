import nock from 'nock';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConsoleFeature } from '../../src/console/console-feature';
import type { RecordingFeature } from '../../src/recordings/recording-feature';
import { FakeTwilioRest } from '../../src/simulator/fake-twilio-rest';
import { afterCallOf, pagePathIn } from '../support/after-call';
import { sineWav } from '../support/audio';
import { consoleSession } from '../support/console-session';
import { ACCOUNT_SID, AUTH_TOKEN, HOTLINE, PUBLIC_BASE_URL, startHotline, type Hotline } from '../support/hotline-harness';

const A = '+8613800000001';
const B = '+8613800000002';
const accepts = { does: 'accept', ringSeconds: 3, pressAfterSeconds: 1, talkSeconds: 42, hangsUpFirst: 'caller' } as const;

interface RecordingJson {
  id: string;
  callId: string;
  agentId: string;
  kind: string;
  seconds: number;
  channels: number;
  status: string;
  createdAt: string;
  deleteAfter: string;
}

describe('recordings (R12): recorded with notice, heard only through the product, every listen audited, kept as long as policy says', () => {
  let h: Hotline;
  let rest: FakeTwilioRest;
  let ids: Record<string, string>;
  const wav = sineWav({ seconds: 2 });

  beforeEach(async () => {
    rest = new FakeTwilioRest({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    const base = await rest.listen();
    h = await startHotline({ RECORDING: 'on', RECORDING_RETENTION_DAYS: '30', TWILIO_API_BASE_URL: base }, '2026-11-02T02:00:00Z');
    ids = { [A]: (await h.api.addAgent('Agent A', A)).id, [B]: (await h.api.addAgent('Agent B', B)).id };
  });
  afterEach(async () => {
    await h.close();
    await rest.close();
    nock.cleanAll();
  });

  const recordings = async (query = '') => (await h.api.get(`/api/recordings${query}`)).body.recordings as RecordingJson[];
  const service = () => (h.container.features.find((f) => f.name === 'recordings') as RecordingFeature).service;
  const accounts = () => (h.container.features.find((f) => f.name === 'console') as ConsoleFeature).accounts;

  it('keeps a recording reported while PostgreSQL is down: spooled, and on record (so in the retention sweep) once the replay runs', async () => {
    const t = await h.twilio.placeCall({ from: '+8613911110000', to: HOTLINE, agents: { [A]: accepts } });
    const url = t.documents.flatMap((d) => d.children).find((v) => v.name === 'Dial')!.attrs.recordingStatusCallback!;
    const call = (await h.api.get('/api/calls')).body.calls[0];
    expect(await recordings()).toHaveLength(1);
    const db = h.container.db;
    const { query, transaction } = db;
    const refused = async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    };
    Object.assign(db, { query: refused, transaction: refused });
    // A second recording of the call (a talk recorded in two parts), reported during the outage: Twilio sends it once.
    const sid = `RE${'ab'.repeat(16)}`;
    const report = { AccountSid: ACCOUNT_SID, CallSid: call.callSid, RecordingSid: sid, RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Recordings/${sid}`, RecordingStatus: 'completed', RecordingDuration: '12', RecordingChannels: '2' };
    try {
      expect((await h.twilio.post(url, report)).status).toBe(204);
    } finally {
      Object.assign(db, { query, transaction });
    }
    expect(h.container.spool!.depth()).toBe(1);
    expect(await h.container.spool!.replayer.replayOnce()).toMatchObject({ setAside: 0, left: 0 });
    const kept = await recordings();
    expect(kept).toHaveLength(2);
    expect(kept.find((r) => r.seconds === 12)).toMatchObject({ callId: call.id, agentId: ids[A], kind: 'conversation', status: 'available' });
  });

  it('records a bridged call on two channels once, however often Twilio reports it, and tells a caller who waits', async () => {
    const t = await h.twilio.placeCall({ from: '+8613911110000', to: HOTLINE, agents: { [A]: accepts } });
    expect(t.bridgedTo).toBe(A);
    // The <Dial> records from the bridge, both parties on their own channel, and reports to the signed webhook.
    const dial = t.documents.flatMap((d) => d.children).find((v) => v.name === 'Dial')!;
    expect(dial.attrs).toMatchObject({ record: 'record-from-answer-dual', recordingStatusCallbackEvent: 'completed' });
    expect(dial.attrs.recordingStatusCallback).toMatch(/^https:\/\/hotline\.example\.test\/webhooks\/voice\/recording\?call=[0-9a-f-]{36}&attempt=[0-9a-f-]{36}$/);
    expect(t.recordingSid).toMatch(/^RE[0-9a-f]{32}$/);
    // Not before the first ring: the caller put through at once heard nothing at all.
    expect(t.callerHeard).toEqual([]);

    const [one] = await recordings();
    const call = (await h.api.get('/api/calls')).body.calls[0];
    expect(one).toMatchObject({ callId: call.id, agentId: ids[A], kind: 'conversation', seconds: 42, channels: 2, status: 'available' });
    expect(new Date(one!.deleteAfter).getTime() - new Date(one!.createdAt).getTime()).toBe(30 * 86_400_000);

    // Delivered again (Twilio retries), and once more with no query at all (mapped by CallSid): still one.
    const again = { AccountSid: ACCOUNT_SID, CallSid: call.callSid, RecordingSid: t.recordingSid!, RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Recordings/${t.recordingSid}`, RecordingStatus: 'completed', RecordingDuration: '42', RecordingChannels: '2' };
    const url = dial.attrs.recordingStatusCallback!;
    expect((await h.twilio.post(url, again)).status).toBe(204);
    expect((await h.twilio.post(`${PUBLIC_BASE_URL}/webhooks/voice/recording`, again)).status).toBe(204);
    expect(await recordings()).toHaveLength(1);
    // Unsigned, it is refused like every webhook.
    expect((await h.twilio.post(url, again, 'forged')).status).toBe(403);
    // No Twilio media address in any API answer.
    expect(JSON.stringify(await h.api.get('/api/recordings').then((r) => r.body))).not.toMatch(/twilio\.com|Recordings\//);

    // A caller whose first agent lets it ring hears the notice in the hold prompt before the next.
    // (The rotation rings B first this time.)
    const waited = await h.twilio.placeCall({ from: '+8613911110001', to: HOTLINE, agents: { [B]: { does: 'ring-out' }, [A]: accepts } });
    expect(waited.dialed).toEqual([B, A]);
    expect(waited.callerHeard[0]).toBe('请稍候，通话将被录音。如需回电请按1。');
    expect(await recordings(`?agentId=${ids[A]}`)).toHaveLength(2);
    expect(await recordings(`?agentId=${ids[B]}`)).toHaveLength(0);
  });

  it('streams the audio to a supervisor with Range (206), refuses a viewer (403), audits each listen, and lets an agent hear only their own call', async () => {
    await h.twilio.placeCall({ from: '+8613911110000', to: HOTLINE, agents: { [A]: accepts } });
    const [rec] = await recordings();
    rest.media.set((await service().store.get(rec!.id))!.recordingSid, { body: wav, contentType: 'audio/wav' });
    await accounts().create('wang', 'wang-password-1', 'supervisor');
    await accounts().create('li', 'li-password-1', 'viewer');
    await accounts().create('zhao', 'zhao-password-1', 'qc');
    const supervisor = await consoleSession(h, 'wang', 'wang-password-1');
    const viewer = await consoleSession(h, 'li', 'li-password-1');
    const inspector = await consoleSession(h, 'zhao', 'zhao-password-1');
    const path = `/api/calls/${rec!.callId}/recording`;

    const part = await request(h.app).get(path).set('Cookie', supervisor.cookie).set('Range', 'bytes=0-99').buffer(true).parse(binary as never);
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 0-99/${wav.length}`);
    expect(part.headers['cache-control']).toBe('private, no-store');
    expect(part.headers['content-type']).toBe('audio/wav');
    expect(Buffer.compare(part.body as Buffer, wav.subarray(0, 100))).toBe(0);
    // A seek further on is the same listen: passed through, not audited again.
    const later = await request(h.app).get(path).set('Cookie', supervisor.cookie).set('Range', 'bytes=1000-').buffer(true).parse(binary as never);
    expect(later.status).toBe(206);
    expect((later.body as Buffer).length).toBe(wav.length - 1000);
    expect(rest.mediaRequests.map((m) => m.range)).toEqual(['bytes=0-99', 'bytes=1000-']);

    const whole = await h.api.get(path).buffer(true).parse(binary as never);
    expect(whole.status).toBe(200);
    expect(Buffer.compare(whole.body as Buffer, wav)).toBe(0);
    expect((await request(h.app).get(path).set('Cookie', inspector.cookie).set('Range', 'bytes=0-')).status).toBe(206);

    expect((await request(h.app).get(path).set('Cookie', viewer.cookie)).status).toBe(403);
    expect((await request(h.app).get(path)).status).toBe(401);
    expect(rest.mediaRequests).toHaveLength(4);

    // An agent's signed link opens their own call only.
    const link = await h.api.post(`/api/calls/${rec!.callId}/recording/link`, { agentId: ids[A] });
    expect(link.status).toBe(201);
    const own = await request(h.app).get(link.body.url.slice(PUBLIC_BASE_URL.length)).buffer(true).parse(binary as never);
    expect(own.status).toBe(200);
    expect((await h.api.post(`/api/calls/${rec!.callId}/recording/link`, { agentId: ids[B] })).status).toBe(403);
    const tampered = link.body.url.slice(PUBLIC_BASE_URL.length).replace(/token=([^&]{4})/, 'token=AAAA');
    expect((await request(h.app).get(tampered)).status).toBe(403);
    // The agent's own call page (the after-call SMS link) carries their player.
    await afterCallOf(h).settled();
    const mobile = await request(h.app).get(pagePathIn(rest.sms.find((m) => m.to === A)!.body));
    const mobileSrc = /<audio controls preload="none" src="([^"]+)"/.exec(mobile.text)![1]!.replace(/&amp;/g, '&');
    expect(mobile.headers['content-security-policy']).toContain("media-src 'self'");
    expect((await request(h.app).get(mobileSrc).set('Range', 'bytes=0-')).status).toBe(206);

    const listens = (await h.api.get(`/api/recordings/${rec!.id}/listens`)).body.listens as { actor: string; at: string; ip: string }[];
    expect(listens.map((l) => l.actor).sort()).toEqual(['account:wang', 'account:zhao', 'admin-token', `agent:${ids[A]}`, `agent:${ids[A]}`].sort());
    expect(listens.every((l) => l.ip && l.at)).toBe(true);

    // The call page: a player (through the product, never Twilio) and the listens for the supervisor; no player for a viewer.
    const page = await request(h.app).get(`/console/calls/${rec!.callId}`).set('Cookie', supervisor.cookie);
    expect(page.text).toMatch(new RegExp(`<audio controls preload="none" src="/api/calls/${rec!.callId}/recording\\?recording=${rec!.id}&amp;token=`));
    expect(page.text).toContain('account:zhao');
    expect(page.text).not.toMatch(/twilio\.com|\/Recordings\//);
    const seen = await request(h.app).get(`/console/calls/${rec!.callId}`).set('Cookie', viewer.cookie);
    expect(seen.status).toBe(200);
    expect(seen.text).not.toContain('<audio');
    expect(seen.text).not.toContain('/recording?');

    // The player's own address works without the cookie (which is scoped to /console)...
    const src = /src="(\/api\/calls\/[^"]+)"/.exec(page.text)![1]!.replace(/&amp;/g, '&');
    expect((await request(h.app).get(src).set('Range', 'bytes=0-9')).status).toBe(206);
    // ... and only for the call it was made for.
    const other = await h.twilio.placeCall({ from: '+8613911110009', to: HOTLINE, agents: { [A]: accepts } });
    expect(other.recordingSid).toBeDefined();
    const otherCall = (await recordings()).find((r) => r.id !== rec!.id)!.callId;
    expect((await request(h.app).get(src.replace(rec!.callId, otherCall).replace(/recording=[^&]+&/, ''))).status).toBe(403);
    // A call without a recording: 404.
    const missed = await h.twilio.placeCall({ from: '+8613911110008', to: HOTLINE, agents: { [A]: { does: 'ring-out' }, [B]: { does: 'ring-out' } } });
    const missedId = (await h.api.get('/api/calls')).body.calls.find((c: { callSid: string }) => c.callSid === missed.callSid).id;
    expect((await h.api.get(`/api/calls/${missedId}/recording`)).status).toBe(404);

    // A supervisor holds the recording from the call page; a quality inspector may listen but not hold.
    expect(page.text).toContain(`action="/console/calls/${rec!.callId}/recording/hold"`);
    const held = await request(h.app).post(`/console/calls/${rec!.callId}/recording/hold`).set('Cookie', supervisor.cookie).type('form').send({ _csrf: supervisor.csrf, reason: '质检复核' });
    expect(held.status).toBe(303);
    expect((await recordings()).find((r) => r.id === rec!.id)).toMatchObject({ status: 'held', heldReason: '质检复核' });
    expect((await request(h.app).post(`/console/calls/${rec!.callId}/recording/release`).set('Cookie', inspector.cookie).type('form').send({ _csrf: inspector.csrf })).status).toBe(403);
    expect((await request(h.app).get(`/console/calls/${rec!.callId}`).set('Cookie', inspector.cookie)).text).not.toContain('/recording/release');
  });

  it('deletes recordings past RECORDING_RETENTION_DAYS at Twilio on the model clock, keeps a held one until released and a complaint\'s until its case closes, and audits each deletion', async () => {
    await h.twilio.placeCall({ from: '+8613911110000', to: HOTLINE, agents: { [A]: accepts } });
    h.clock.advance(3600);
    await h.twilio.placeCall({ from: '+8613911110001', to: HOTLINE, agents: { [A]: accepts } });
    h.clock.advance(3600);
    await h.twilio.placeCall({ from: '+8613911110002', to: HOTLINE, agents: { [A]: accepts } });
    const all = await recordings();
    expect(all).toHaveLength(3);
    for (const r of all) rest.media.set((await service().store.get(r.id))!.recordingSid, { body: wav, contentType: 'audio/wav' });
    // Newest first: the complaint, the one held, the one that expires.
    const [complained, kept, expiring] = all;
    // A complaint opens a case (R11): its call is kept while the case is open.
    expect((await h.api.patch(`/api/calls/${complained!.callId}`, { type: 'complaint' })).status).toBe(200);

    expect((await h.api.post(`/api/calls/${kept!.callId}/recording/hold`, { reason: '投诉调查 complaint under review' })).status).toBe(200);
    expect((await h.api.post(`/api/calls/${kept!.callId}/recording/hold`, {})).status).toBe(400);

    // A day before the date: nothing goes.
    h.clock.advance(29 * 86_400);
    expect(await service().sweep()).toEqual({ deleted: 0, failed: 0 });
    h.clock.advance(2 * 86_400);
    expect(await service().sweep()).toEqual({ deleted: 1, failed: 0 });
    const sidOf = async (id: string) => (await service().store.get(id))!.recordingSid;
    expect(rest.recordingsDeleted).toEqual([await sidOf(expiring!.id)]);
    const after = await recordings();
    expect(after.find((r) => r.id === expiring!.id)!.status).toBe('deleted');
    expect(after.find((r) => r.id === kept!.id)!.status).toBe('held');
    expect((await h.api.get(`/api/calls/${expiring!.callId}/recording`)).status).toBe(410);
    expect((await h.api.get(`/api/calls/${kept!.callId}/recording`)).status).toBe(200);
    const audit = await h.container.db.query<{ actor: string; target: string }>(`SELECT actor, target FROM audit_log WHERE action = 'recording.delete'`);
    expect(audit).toEqual([{ actor: 'system:recording-retention', target: expiring!.callId }]);

    expect(after.find((r) => r.id === complained!.id)!.status).toBe('available');

    // Released, it goes at the next run; the complaint's stays until its case is closed.
    expect((await h.api.delete(`/api/calls/${kept!.callId}/recording/hold`)).status).toBe(200);
    expect(await service().sweep()).toEqual({ deleted: 1, failed: 0 });
    expect(rest.recordingsDeleted).toEqual([await sidOf(expiring!.id), await sidOf(kept!.id)]);
    await h.container.db.query(`UPDATE complaint_cases SET status = 'closed', closed_at = $1, closed_by = 'test', resolution = 'resolved'`, [h.clock.now()]);
    expect(await service().sweep()).toEqual({ deleted: 1, failed: 0 });
    expect(rest.recordingsDeleted).toHaveLength(3);
    expect((await h.api.delete(`/api/calls/${kept!.callId}/recording/hold`)).status).toBe(409);
  });
});

/** supertest's parser for a binary body. */
function binary(res: NodeJS.ReadableStream & { setEncoding(e: string): void }, done: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}
