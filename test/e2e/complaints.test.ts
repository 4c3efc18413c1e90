import nock from 'nock';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ComplaintFeature } from '../../src/complaints/complaint-feature';
import { afterCallOf, interceptAfterCallRest, pagePathIn, type AfterCallRest } from '../support/after-call';
import type { NotifyFeature } from '../../src/notify/notify-feature';
import { HOTLINE, startHotline, type Hotline } from '../support/hotline-harness';
import { DINGTALK_API, fakeChannels } from '../support/notify-fakes';

const CALLER = '+8613911112222';
const A = '+8613800000001';
const ADMIN = '+8613000000009';
const accepts = { does: 'accept', ringSeconds: 3, pressAfterSeconds: 1, talkSeconds: 30 } as const;

describe('complaint cases (R11)', () => {
  let h: Hotline;
  let rest: AfterCallRest;
  let agentA: string;

  beforeEach(async () => {
    h = await startHotline({ ADMIN_ALERT_PHONES: ADMIN });
    rest = interceptAfterCallRest(h);
    agentA = (await h.api.addAgent('Agent A', A)).id;
  });
  afterEach(async () => {
    await h.close();
    nock.cleanAll();
  });

  const desk = () => (h.container.features.find((f) => f.name === 'complaints') as ComplaintFeature).desk;
  const complaintCall = async () => {
    await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: accepts } });
    await afterCallOf(h).settled();
    const id = (await h.api.get('/api/calls')).body.calls[0].id as string;
    expect((await h.api.patch(`/api/calls/${id}`, { type: 'complaint' })).status).toBe(200);
    return id;
  };
  const complaints = async (q = '') => (await h.api.get(`/api/complaints${q}`)).body.complaints as Record<string, any>[];
  const smsTo = (to: string, word: string) => rest.sms.filter((s) => s.To === to && s.Body!.includes(word));

  it('opens a case owned by the answering agent; reminds the owner before the deadline and alerts the admins once it passes, once each', async () => {
    const callId = await complaintCall();
    const typedAt = h.clock.now();
    // Opened as it was typed: the pass has nothing left to take.
    expect(await desk().runDue()).toEqual({ taken: 0, reminded: 0, alerted: 0 });
    const [c] = await complaints();
    expect(Object.keys(c!)).toEqual(expect.arrayContaining(['id', 'phone', 'callIds', 'ownerAgentId', 'openedAt', 'replyDueAt', 'status', 'weight', 'progress']));
    expect(c).toMatchObject({ phone: CALLER, callIds: [callId], ownerAgentId: agentA, status: 'open', weight: 1, progress: [], late: false });
    expect(c!.openedAt).toBe(typedAt.toISOString());
    expect(c!.replyDueAt).toBe(new Date(typedAt.getTime() + 30 * 60_000).toISOString());

    h.clock.advance(20 * 60);
    expect(await desk().runDue()).toEqual({ taken: 0, reminded: 1, alerted: 0 });
    expect(await desk().runDue()).toEqual({ taken: 0, reminded: 0, alerted: 0 });
    expect(smsTo(A, '投诉提醒')).toHaveLength(1);
    expect(smsTo(ADMIN, '投诉超时')).toHaveLength(0);

    h.clock.advance(10 * 60);
    expect(await desk().runDue()).toEqual({ taken: 0, reminded: 0, alerted: 1 });
    expect(await desk().runDue()).toEqual({ taken: 0, reminded: 0, alerted: 0 });
    const alerts = smsTo(ADMIN, '投诉超时');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.Body).not.toContain(CALLER);
    expect(await complaints('?late=true')).toMatchObject([{ id: c!.id, late: true }]);
    expect(await complaints('?late=false')).toEqual([]);
  });

  it('a call typed complaint is a case the moment it is typed, on the agent\'s page as in the API; the sweep opens no second one', async () => {
    // Typed on the agent's page (the link texted when the call was answered), before any sweep.
    await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: accepts } });
    await afterCallOf(h).settled();
    const onPage = (await h.api.get('/api/calls')).body.calls[0].id as string;
    const page = pagePathIn(rest.sms.find((s) => s.To === A)!.Body!);
    h.clock.advance(60);
    const typedAt = h.clock.now();
    expect((await request(h.app).post(page).type('form').send({ type: 'complaint' })).status).toBe(303);
    const [c] = await complaints();
    expect(c).toMatchObject({ phone: CALLER, callIds: [onPage], ownerAgentId: agentA, status: 'open', weight: 1 });
    expect(c!.openedAt).toBe(typedAt.toISOString());
    expect(c!.replyDueAt).toBe(new Date(typedAt.getTime() + 30 * 60_000).toISOString());

    // The same caller's next complaint, typed through the API, joins the case at once.
    h.clock.advance(60);
    const byApi = await complaintCall();
    expect(await complaints()).toMatchObject([{ id: c!.id, callIds: [onPage, byApi], weight: 2 }]);

    // The sweep, its safety net, finds nothing left to take.
    expect(await desk().runDue()).toEqual({ taken: 0, reminded: 0, alerted: 0 });
    expect(await complaints()).toHaveLength(1);
  });

  it('a complaint that could not be taken as it was typed is saved all the same, and the next pass takes it', async () => {
    const store = (h.container.features.find((f) => f.name === 'complaints') as ComplaintFeature).store;
    const real = store.untakenCall.bind(store);
    store.untakenCall = async () => {
      throw new Error('connection lost');
    };
    const callId = await complaintCall();
    store.untakenCall = real;
    expect((await h.api.get(`/api/calls/${callId}`)).body.type).toBe('complaint');
    expect(await complaints()).toEqual([]);
    expect(await desk().runDue()).toMatchObject({ taken: 1 });
    expect(await complaints()).toMatchObject([{ callIds: [callId], weight: 1 }]);
  });

  it('retyping a complaint call as something else and back changes nothing, as the sweep never took a call twice', async () => {
    const callId = await complaintCall();
    const [c] = await complaints();
    expect(c).toMatchObject({ callIds: [callId], weight: 1 });
    h.clock.advance(60);
    expect((await h.api.patch(`/api/calls/${callId}`, { type: 'other' })).status).toBe(200);
    h.clock.advance(60);
    expect((await h.api.patch(`/api/calls/${callId}`, { type: 'complaint' })).status).toBe(200);
    expect(await desk().runDue()).toMatchObject({ taken: 0 });
    expect(await complaints()).toMatchObject([{ id: c!.id, callIds: [callId], weight: 1, openedAt: c!.openedAt }]);
  });

  it('a progress reply in time stops the clock: no alert; closing needs a resolution', async () => {
    await complaintCall();
    await desk().runDue();
    const [c] = await complaints();
    h.clock.advance(15 * 60);
    expect((await h.api.post(`/api/complaints/${c!.id}/progress`, { note: 'x', channel: 'sms' })).status).toBe(400);
    expect((await h.api.post(`/api/complaints/${c!.id}/progress`, { note: 'Told them a technician comes today', channel: 'fax' })).status).toBe(400);
    const replied = await h.api.post(`/api/complaints/${c!.id}/progress`, { note: 'Told them a technician comes today', channel: 'call' });
    expect(replied.status).toBe(201);
    expect(replied.body).toMatchObject({ status: 'replied', progress: [{ note: 'Told them a technician comes today', channel: 'call', by: 'admin-token' }] });

    h.clock.advance(60 * 60);
    expect(await desk().runDue()).toEqual({ taken: 0, reminded: 0, alerted: 0 });
    expect(smsTo(ADMIN, '投诉超时')).toEqual([]);
    expect(smsTo(A, '投诉提醒')).toEqual([]);
    expect(await complaints('?late=true')).toEqual([]);
    expect(await complaints('?status=replied')).toHaveLength(1);

    expect((await h.api.post(`/api/complaints/${c!.id}/close`, {})).status).toBe(400);
    expect((await h.api.post(`/api/complaints/${c!.id}/close`, { resolution: 'Pipe repaired, customer satisfied' })).body).toMatchObject({ status: 'closed', resolution: 'Pipe repaired, customer satisfied' });
    expect((await h.api.post(`/api/complaints/${c!.id}/close`, { resolution: 'again' })).status).toBe(409);
    expect((await h.api.post(`/api/complaints/${c!.id}/progress`, { note: 'too late now', channel: 'sms' })).status).toBe(409);
  });

  it('a second complaint from the same caller while the case is open joins it and counts double; after closing, a new case opens', async () => {
    const first = await complaintCall();
    await desk().runDue();
    h.clock.advance(5 * 60);
    const second = await complaintCall();
    expect(await desk().runDue()).toMatchObject({ taken: 0 });
    const cases = await complaints();
    expect(cases).toHaveLength(1);
    expect(cases[0]).toMatchObject({ callIds: [first, second], weight: 2, status: 'open' });

    await h.api.post(`/api/complaints/${cases[0]!.id}/close`, { resolution: 'Refund given' });
    const third = await complaintCall();
    await desk().runDue();
    expect(await complaints('?status=open')).toMatchObject([{ callIds: [third], weight: 1 }]);
    expect(await complaints(`?owner=${agentA}&status=closed`)).toMatchObject([{ weight: 2 }]);
  });
});

describe('a complaint reminder through a DingTalk group robot', () => {
  const DING_TOKEN = 'ding-token-0002';
  const DING_SECRET = 'SEC00112233445566778899aabbccddeeff';

  it('masks the caller in the group and carries the owner’s page link, where the case is listed', async () => {
    const h = await startHotline({ DINGTALK_API_BASE_URL: DINGTALK_API, ADMIN_ALERT_PHONES: ADMIN });
    try {
      interceptAfterCallRest(h);
      const fakes = fakeChannels({ now: () => h.clock.now(), dingtalkSecrets: { [DING_TOKEN]: DING_SECRET } });
      const agentA = (await h.api.addAgent('Agent A', A)).id;
      const channel = await h.api.post('/api/notify-channels', { kind: 'dingtalk-robot', name: '热线群', accessToken: DING_TOKEN, secret: DING_SECRET });
      expect(channel.status).toBe(201);
      expect((await h.api.put(`/api/agents/${agentA}/notify`, { channel: channel.body.id, mobile: '+8613800000009' })).status).toBe(200);
      await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: accepts } });
      await afterCallOf(h).settled();
      const id = (await h.api.get('/api/calls')).body.calls[0].id as string;
      expect((await h.api.patch(`/api/calls/${id}`, { type: 'complaint' })).status).toBe(200);
      h.clock.advance(20 * 60);
      const desk = (h.container.features.find((f) => f.name === 'complaints') as ComplaintFeature).desk;
      expect(await desk.runDue()).toMatchObject({ reminded: 1 });
      await (h.container.features.find((f) => f.name === 'notify') as NotifyFeature).deliverDue();
      const reminder = fakes.messages.find((m) => m.content.includes('投诉提醒'))!;
      expect(reminder.content).not.toContain('13911112222');
      const link = /https:\/\/hotline\.example\.test(\/m\/me\/[A-Za-z0-9_.-]+)/.exec(reminder.content);
      expect(link).not.toBeNull();
      // The link opens the owner's page, which lists the complaint with the caller's number in full.
      const page = await request(h.app).get(link![1]!);
      expect(page.status).toBe(200);
      expect(page.text).toContain('投诉');
    } finally {
      await h.close();
      nock.cleanAll();
    }
  });
});
