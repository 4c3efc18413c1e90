import nock from 'nock';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ComplaintFeature } from '../../src/complaints/complaint-feature';
import type { NotifyFeature } from '../../src/notify/notify-feature';
import type { TicketFeature } from '../../src/tickets/ticket-feature';
import { afterCallOf, interceptAfterCallRest, type AfterCallRest } from '../support/after-call';
import { ACCOUNT_SID, HOTLINE, startHotline, TWILIO_API, type Hotline } from '../support/hotline-harness';
import { DINGTALK_API, fakeChannels, type ChannelFakes } from '../support/notify-fakes';
import { playCallbackCall } from '../support/outbound-call';
import { randomSid } from '../support/twilio-driver';

const CALLER = '+8613911112222';
const A = '+8613800000001';
const B = '+8613800000002';
const ADMIN = '+8613000000009';
const FITTER = '+8613700000007';
const DING_TOKEN = 'ding-token-0001';
const DING_SECRET = 'SEC0123456789abcdef0123456789abcdef';
const accepts = { does: 'accept', ringSeconds: 3, pressAfterSeconds: 1, talkSeconds: 30 } as const;
// 10:00 in Shanghai, a Monday.
const START = '2026-11-23T02:00:00Z';

describe('tickets (工单)', () => {
  let h: Hotline;
  let rest: AfterCallRest;
  let calls: { params: URLSearchParams; sid: string }[];
  let agentA: string;
  let agentB: string;

  beforeEach(async () => {
    h = await startHotline({ ADMIN_ALERT_PHONES: ADMIN }, START);
    rest = interceptAfterCallRest(h);
    calls = [];
    nock(TWILIO_API)
      .persist()
      .post(`/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`)
      .reply(201, (_uri, body) => {
        const sid = randomSid('CA');
        calls.push({ params: new URLSearchParams(String(body)), sid });
        return { sid, status: 'queued' };
      });
    agentA = (await h.api.addAgent('Agent A', A)).id;
    agentB = (await h.api.addAgent('Agent B', B)).id;
  });
  afterEach(async () => {
    await h.close();
    nock.cleanAll();
  });

  const feature = () => h.container.features.find((f) => f.name === 'tickets') as TicketFeature;
  const desk = () => feature().desk;
  const answeredCall = async () => {
    await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: accepts } });
    await afterCallOf(h).settled();
    return (await h.api.get('/api/calls')).body.calls[0].id as string;
  };
  const tickets = async (q = '') => {
    const res = await h.api.get(`/api/tickets${q}`);
    expect(res.status).toBe(200);
    return res.body.tickets as Record<string, any>[];
  };
  const smsTo = (to: string, word: string) => rest.sms.filter((s) => s.To === to && s.Body!.includes(word));
  const inHours = (n: number) => new Date(h.clock.now().getTime() + n * 3_600_000).toISOString();

  it('refuses bad input with a 400 naming the field, and opens nothing', async () => {
    const callId = await answeredCall();
    const bad: [object, string][] = [
      [{ summary: 'Call back with the bill' }, 'kind'],
      [{ kind: 'errand', phone: CALLER, summary: 'Call back with the bill' }, 'kind'],
      [{ kind: 'follow-up', phone: CALLER }, 'summary'],
      [{ kind: 'follow-up', phone: CALLER, summary: 'x' }, 'summary'],
      [{ kind: 'follow-up', summary: 'Call back with the bill' }, 'phone'],
      [{ kind: 'follow-up', phone: '13911112222', summary: 'Call back with the bill' }, 'phone'],
      [{ kind: 'follow-up', callId: 'nope', summary: 'Call back with the bill' }, 'callId'],
      [{ kind: 'follow-up', callId: '00000000-0000-4000-8000-000000000000', summary: 'Call back with the bill' }, 'callId'],
      [{ kind: 'follow-up', callId, phone: '+8613911119999', summary: 'Call back with the bill' }, 'phone'],
      [{ kind: 'follow-up', callId, dueAt: 'tomorrow', summary: 'Call back with the bill' }, 'dueAt'],
      [{ kind: 'follow-up', callId, dueAt: new Date(h.clock.now().getTime() - 60_000).toISOString(), summary: 'Call back with the bill' }, 'dueAt'],
      [{ kind: 'follow-up', callId, ownerAgentId: '00000000-0000-4000-8000-000000000000', summary: 'Call back with the bill' }, 'ownerAgentId'],
      [{ kind: 'dispatch', callId, summary: 'Fix the meter' }, 'assignee'],
      [{ kind: 'dispatch', callId, assignee: { name: 'Fitter' }, summary: 'Fix the meter' }, 'assignee.mobile'],
      [{ kind: 'dispatch', callId, assignee: { name: 'Fitter', channel: 'no-such-channel' }, summary: 'Fix the meter' }, 'assignee.channel'],
      [{ kind: 'follow-up', callId, assignee: { name: 'Fitter', mobile: FITTER }, summary: 'Call back with the bill' }, 'assignee'],
      [{ kind: 'follow-up', callId, summary: 'Call back with the bill', extra: 1 }, ''],
    ];
    for (const [body, field] of bad) {
      const res = await h.api.post('/api/tickets', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      if (field) expect(res.body.error.message, JSON.stringify(body)).toMatch(new RegExp(`^${field.replace('.', '\\.')}`));
    }
    expect(await tickets()).toEqual([]);
    expect((await h.api.get('/api/tickets?kind=errand')).status).toBe(400);
    expect((await h.api.get('/api/tickets?late=maybe')).status).toBe(400);
    expect((await h.api.get('/api/tickets/not-an-id')).status).toBe(400);
    expect((await h.api.get('/api/tickets/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await h.api.post('/api/tickets/00000000-0000-4000-8000-000000000000/close', { resolution: 'Done and dusted' })).status).toBe(404);
  });

  it('a follow-up promised on a call reminds its owner before its time and alerts the admins after it, once each; closing twice is a 409', async () => {
    const callId = await answeredCall();
    const body = { kind: 'follow-up', callId, dueAt: inHours(2), summary: 'Find out when the water is back and call back' };
    const opened = await h.api.post('/api/tickets', body);
    expect(opened.status).toBe(201);
    const t = opened.body;
    expect(t).toMatchObject({ kind: 'follow-up', status: 'open', phone: CALLER, callIds: [callId], ownerAgentId: agentA, dueAt: body.dueAt, late: false, weight: 1 });
    expect(t.history).toMatchObject([{ event: 'opened', by: 'admin-token' }]);
    // The same call's follow-up asked for again (a double tap): the one already open.
    const again = await h.api.post('/api/tickets', body);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(t.id);
    expect(await tickets()).toHaveLength(1);

    // On the caller's card and the agent's page.
    expect((await feature().store.openTicketsForPhone(CALLER)).map((x) => x.id)).toEqual([t.id]);
    expect((await feature().store.ticketsForAgent(agentA)).map((x) => x.id)).toEqual([t.id]);
    expect(await feature().store.ticketsForAgent(agentB)).toEqual([]);

    h.clock.advance(50 * 60);
    expect(await desk().runDue()).toMatchObject({ reminded: 0, alerted: 0 });
    h.clock.advance(10 * 60);
    expect(await desk().runDue()).toMatchObject({ reminded: 1, alerted: 0 });
    expect(await desk().runDue()).toMatchObject({ reminded: 0, alerted: 0 });
    expect(smsTo(A, '工单提醒')).toHaveLength(1);
    expect(smsTo(A, '工单提醒')[0]!.From).toBe(HOTLINE);

    h.clock.advance(60 * 60);
    expect(await desk().runDue()).toMatchObject({ reminded: 0, alerted: 1 });
    h.clock.advance(60 * 60);
    expect(await desk().runDue()).toMatchObject({ reminded: 0, alerted: 0 });
    const alerts = smsTo(ADMIN, '工单超时');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.Body).not.toContain(CALLER);
    expect(await tickets('?late=true')).toMatchObject([{ id: t.id, late: true }]);
    expect(await tickets('?late=false')).toEqual([]);
    expect(await tickets(`?owner=${agentB}`)).toEqual([]);

    const noted = await h.api.post(`/api/tickets/${t.id}/progress`, { note: 'Asked the works team, waiting', channel: 'other' });
    expect(noted.status).toBe(201);
    expect(noted.body).toMatchObject({ status: 'in-progress', notes: [{ note: 'Asked the works team, waiting', channel: 'other' }] });
    expect((await h.api.post(`/api/tickets/${t.id}/progress`, { note: 'Asked again', channel: 'fax' })).status).toBe(400);
    expect((await h.api.post(`/api/tickets/${t.id}/close`, {})).status).toBe(400);
    expect((await h.api.post(`/api/tickets/${t.id}/close`, { resolution: 'Told them: back by 18:00', faultClass: 'ours' })).status).toBe(400);
    const closed = await h.api.post(`/api/tickets/${t.id}/close`, { resolution: 'Told them: back by 18:00' });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ status: 'closed', resolution: 'Told them: back by 18:00', late: true });
    expect(closed.body.history.map((e: { event: string }) => e.event)).toEqual(['opened', 'reminded', 'alerted', 'progress', 'closed']);
    expect((await h.api.post(`/api/tickets/${t.id}/close`, { resolution: 'again' })).status).toBe(409);
    expect((await h.api.post(`/api/tickets/${t.id}/progress`, { note: 'too late now', channel: 'sms' })).status).toBe(409);
    // A follow-up opens no return visit; the customer's card has nothing open.
    expect(await tickets('?kind=return-visit')).toEqual([]);
    expect(await feature().store.openTicketsForPhone(CALLER)).toEqual([]);
  });

  it('a call typed repair opens a follow-up owned by the agent who answered it, once, however often it is typed', async () => {
    const callId = await answeredCall();
    expect((await h.api.patch(`/api/calls/${callId}`, { type: 'repair', summary: '燃气表漏气，需上门检修' })).status).toBe(200);
    const opened = (await tickets()).filter((t) => (t.callIds as string[]).includes(callId));
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({ kind: 'follow-up', ownerAgentId: agentA, summary: '燃气表漏气，需上门检修', phone: CALLER, status: 'open' });
    // Typed otherwise and back again: still the one ticket; a consultation opens none.
    await h.api.patch(`/api/calls/${callId}`, { type: 'consultation' });
    await h.api.patch(`/api/calls/${callId}`, { type: 'repair' });
    expect((await tickets()).filter((t) => (t.callIds as string[]).includes(callId))).toHaveLength(1);
    const other = await answeredCall();
    await h.api.patch(`/api/calls/${other}`, { type: 'consultation' });
    expect((await tickets()).filter((t) => (t.callIds as string[]).includes(other))).toEqual([]);
  });

  it('a follow-up closed in time is not reminded nor alerted', async () => {
    const callId = await answeredCall();
    const t = (await h.api.post('/api/tickets', { kind: 'follow-up', callId, summary: 'Call back with the bill' })).body;
    expect(t.dueAt).toBe(inHours(24));
    await h.api.post(`/api/tickets/${t.id}/close`, { resolution: 'Called back with the amount' });
    h.clock.advance(48 * 3600);
    expect(await desk().runDue()).toMatchObject({ reminded: 0, alerted: 0 });
    expect(rest.sms.filter((s) => s.Body!.includes('工单'))).toEqual([]);
    expect(await tickets('?late=false&status=closed')).toMatchObject([{ id: t.id }]);
  });

  it('a dispatch is handed to its assignee, chased weekly until they mark it done on their link, and then opens a return visit', async () => {
    const callId = await answeredCall();
    const t = (await h.api.post('/api/tickets', { kind: 'dispatch', callId, assignee: { name: 'Meter team', mobile: FITTER }, summary: 'Replace the broken meter' })).body;
    expect(t).toMatchObject({ kind: 'dispatch', status: 'open', assignee: { name: 'Meter team', mobile: FITTER, channel: null }, ownerAgentId: agentA });
    expect(await desk().runDue()).toMatchObject({ chased: 1 });
    expect(await desk().runDue()).toMatchObject({ chased: 0 });
    const handover = smsTo(FITTER, '热线派单');
    expect(handover).toHaveLength(1);
    expect(handover[0]!.Body).toContain('Replace the broken meter');
    let link = /https:\/\/\S+\/tickets\/done\?token=\S+/.exec(handover[0]!.Body!)![0];

    h.clock.advance(6 * 86_400);
    expect(await desk().runDue()).toMatchObject({ chased: 0 });
    h.clock.advance(86_400);
    expect(await desk().runDue()).toMatchObject({ chased: 1 });
    expect(await desk().runDue()).toMatchObject({ chased: 0 });
    expect(smsTo(FITTER, '第1周')).toHaveLength(1);
    h.clock.advance(7 * 86_400);
    expect(await desk().runDue()).toMatchObject({ chased: 1 });
    expect(smsTo(FITTER, '第2周')).toHaveLength(1);
    // Each notice carries a fresh link; the hand-over's has expired by now (two chase periods).
    expect((await request(h.app).get(new URL(link).pathname + new URL(link).search)).status).toBe(401);
    link = /https:\/\/\S+\/tickets\/done\?token=\S+/.exec(smsTo(FITTER, '第2周')[0]!.Body!)![0];

    // The assignee's link: GET only shows it; a tampered token opens nothing; the form marks it done.
    const path = new URL(link).pathname + new URL(link).search;
    const token = new URL(link).searchParams.get('token')!;
    const shown = await request(h.app).get(path);
    expect(shown.status).toBe(200);
    expect(shown.text).toContain('Replace the broken meter');
    expect((await h.api.get(`/api/tickets/${t.id}`)).body.status).toBe('open');
    expect((await request(h.app).post('/tickets/done').type('form').send({ token: token + 'x', resolution: 'Meter replaced' })).status).toBe(401);
    expect((await request(h.app).post('/tickets/done').type('form').send({ token, resolution: '' })).status).toBe(400);
    expect((await request(h.app).post('/tickets/done').type('form').send({ token, resolution: 'Meter replaced on site' })).status).toBe(200);
    expect((await request(h.app).post('/tickets/done').type('form').send({ token, resolution: 'Meter replaced on site' })).status).toBe(409);

    const done = (await h.api.get(`/api/tickets/${t.id}`)).body;
    expect(done).toMatchObject({ status: 'closed', resolution: 'Meter replaced on site', closedBy: 'assignee:Meter team', chases: 3 });
    const visits = await tickets('?kind=return-visit');
    expect(visits).toMatchObject([{ kind: 'return-visit', status: 'open', phone: CALLER, ownerAgentId: agentA, parentTicketId: t.id, callIds: [callId], dueAt: inHours(72) }]);
    // No chase once done; the sweep opens no second return visit.
    h.clock.advance(8 * 86_400);
    expect(await desk().runDue()).toMatchObject({ chased: 0, returnVisits: 0 });
    expect(smsTo(FITTER, '第3周')).toEqual([]);
    expect(await tickets('?kind=return-visit')).toHaveLength(1);
  });

  it('complaint cases are tickets of kind complaint: closed through the tickets API with a fault class, /api/complaints still answers as before, and a return visit opens', async () => {
    const callId = await answeredCall();
    expect((await h.api.patch(`/api/calls/${callId}`, { type: 'complaint' })).status).toBe(200);
    const [c] = (await h.api.get('/api/complaints')).body.complaints;
    const [k] = await tickets('?kind=complaint');
    expect(k).toMatchObject({ id: c.id, kind: 'complaint', status: 'open', phone: CALLER, callIds: [callId], ownerAgentId: agentA, dueAt: c.replyDueAt, weight: 1 });
    expect(await tickets('?kind=follow-up')).toEqual([]);
    expect((await tickets()).map((x) => x.id)).toEqual([c.id]);

    expect((await h.api.post(`/api/tickets/${c.id}/progress`, { note: 'Told them a fitter comes', channel: 'visit' })).status).toBe(400);
    expect((await h.api.post(`/api/tickets/${c.id}/progress`, { note: 'Told them a fitter comes', channel: 'call' })).body).toMatchObject({ status: 'in-progress' });
    expect((await h.api.get(`/api/complaints/${c.id}`)).body).toMatchObject({ status: 'replied', progress: [{ note: 'Told them a fitter comes', channel: 'call' }] });
    const closed = await h.api.post(`/api/tickets/${c.id}/close`, { resolution: 'Pipe repaired', faultClass: 'company' });
    expect(closed.body).toMatchObject({ status: 'closed', faultClass: 'company', resolution: 'Pipe repaired' });
    const viaComplaints = (await h.api.get(`/api/complaints/${c.id}`)).body;
    expect(viaComplaints).toMatchObject({ status: 'closed', resolution: 'Pipe repaired' });
    expect(Object.keys(viaComplaints).sort()).toEqual(Object.keys(c).sort());
    expect((await h.api.post(`/api/complaints/${c.id}/close`, { resolution: 'again' })).status).toBe(409);
    expect(await tickets('?kind=return-visit')).toMatchObject([{ parentTicketId: c.id, phone: CALLER, ownerAgentId: agentA, callIds: [callId] }]);
  });

  it('a complaint closed through /api/complaints gets its return visit from the sweep, once; a complaint opened through /api/tickets is a case', async () => {
    const callId = await answeredCall();
    const opened = await h.api.post('/api/tickets', { kind: 'complaint', callId, summary: 'Rude fitter' });
    expect(opened.status).toBe(201);
    const [c] = (await h.api.get('/api/complaints')).body.complaints;
    expect(c).toMatchObject({ id: opened.body.id, callIds: [callId], ownerAgentId: agentA, status: 'open' });
    expect(await (h.container.features.find((f) => f.name === 'complaints') as ComplaintFeature).desk.runDue()).toMatchObject({ taken: 0 });
    expect((await h.api.post(`/api/complaints/${c.id}/close`, { resolution: 'Apologised, fitter warned' })).status).toBe(200);
    expect(await desk().runDue()).toMatchObject({ returnVisits: 1 });
    expect(await desk().runDue()).toMatchObject({ returnVisits: 0 });
    expect(await tickets('?kind=return-visit')).toMatchObject([{ parentTicketId: c.id, callIds: [callId] }]);
  });

  it('a follow-up is closed by a call placed through the hotline: the owner first, then the customer, who answers', async () => {
    const callId = await answeredCall();
    const t = (await h.api.post('/api/tickets', { kind: 'follow-up', callId, dueAt: inHours(3), summary: 'Call back with the repair date' })).body;
    const placed = await h.api.post(`/api/tickets/${t.id}/dial`);
    expect(placed.status).toBe(202);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.params.get('To')).toBe(A);
    expect(calls[0]!.params.get('From')).toBe(HOTLINE);
    const played = await playCallbackCall(h.twilio, h.clock, calls[0]!, { does: 'press', digit: '1' }, { does: 'answer' });
    expect(played.dialedNumber).toBe(CALLER);
    expect(await desk().runDue()).toMatchObject({ closedByCall: 1 });
    expect(await desk().runDue()).toMatchObject({ closedByCall: 0 });
    const done = (await h.api.get(`/api/tickets/${t.id}`)).body;
    expect(done).toMatchObject({ status: 'closed', late: false, closedBy: 'system' });
    expect(done.history.map((e: { event: string }) => e.event)).toEqual(['opened', 'dialled', 'closed']);
    // Nothing left to dial; a dispatch is not closed by a call.
    expect((await h.api.post(`/api/tickets/${t.id}/dial`)).status).toBe(409);
  });
  it('figures: tickets on time per agent and kind in the weekly summary; the monthly resolution rate counts every kind with its weight', async () => {
    const callId = await answeredCall();
    const f1 = (await h.api.post('/api/tickets', { kind: 'follow-up', callId, dueAt: inHours(2), summary: 'Call back with the bill' })).body;
    await h.api.post(`/api/tickets/${f1.id}/close`, { resolution: 'Called back with the amount' });
    await h.api.post('/api/tickets', { kind: 'follow-up', phone: '+8613911113333', ownerAgentId: agentB, dueAt: inHours(1), summary: 'Find the outage end' });
    expect((await h.api.patch(`/api/calls/${callId}`, { type: 'complaint' })).status).toBe(200);
    const [k] = await tickets('?kind=complaint');
    await h.api.post(`/api/tickets/${k!.id}/progress`, { note: 'Told them a fitter comes', channel: 'call' });
    await h.api.post(`/api/tickets/${k!.id}/close`, { resolution: 'Pipe repaired', faultClass: 'not-company' });
    h.clock.advance(2 * 3600);

    const weekly = (await h.api.get('/api/reports/weekly?week=2026-W48')).body;
    expect(Object.keys(weekly)).toEqual(expect.arrayContaining(['calls', 'days', 'callbacks', 'ratings', 'fines', 'agents', 'tickets']));
    const row = (agentId: string, kind: string) => weekly.tickets.find((x: { agentId: string; kind: string }) => x.agentId === agentId && x.kind === kind);
    expect(row(agentA, 'follow-up')).toMatchObject({ name: 'Agent A', tickets: 1, onTime: 1, late: 0, open: 0, onTimeRate: 1 });
    expect(row(agentA, 'complaint')).toMatchObject({ tickets: 1, onTime: 1, late: 0, open: 0 });
    expect(row(agentB, 'follow-up')).toMatchObject({ name: 'Agent B', tickets: 1, onTime: 0, late: 1, open: 1, onTimeRate: 0 });
    // The return visit the complaint opened is not yet due: neither on time nor late.
    expect(row(agentA, 'return-visit')).toMatchObject({ tickets: 1, onTime: 0, late: 0, open: 1 });

    const monthly = (await h.api.get('/api/reports/monthly?month=2026-11')).body;
    // Resolved on time: the follow-up and the complaint (2 of weight 4: B's late one and the open return visit count).
    expect(monthly.hotline).toMatchObject({ resolutionRate: 0.5, ticketWeight: 4, ticketWeightResolvedOnTime: 2, complaintCases: 1 });
    const a = monthly.agents.find((x: { agentId: string }) => x.agentId === agentA);
    const b = monthly.agents.find((x: { agentId: string }) => x.agentId === agentB);
    expect(a).toMatchObject({ complaintCases: 1, complaintWeight: 1, resolutionRate: 2 / 3 });
    expect(b).toMatchObject({ complaintCases: 0, complaintWeight: 0, resolutionRate: 0 });
  });
});

describe('tickets with two server instances', () => {
  let h: Hotline;
  let rest: AfterCallRest;

  beforeEach(async () => {
    h = await startHotline({ ADMIN_ALERT_PHONES: ADMIN }, START, { instances: 2 });
    rest = interceptAfterCallRest(h);
  });
  afterEach(async () => {
    await h.close();
    nock.cleanAll();
  });

  it('both sweeping at the same moment send each reminder, alert and chase once; notices that could not go out are sent by a later pass', async () => {
    const a = (await h.api.addAgent('Agent A', A)).id;
    const desks = h.instances.map((i) => (i.container.features.find((f) => f.name === 'tickets') as TicketFeature).desk);
    const due = new Date(h.clock.now().getTime() + 2 * 3_600_000).toISOString();
    expect((await h.api.post('/api/tickets', { kind: 'follow-up', phone: CALLER, ownerAgentId: a, dueAt: due, summary: 'Call back with the bill' })).status).toBe(201);
    expect((await h.api.post('/api/tickets', { kind: 'dispatch', phone: CALLER, ownerAgentId: a, assignee: { name: 'Meter team', mobile: FITTER }, summary: 'Replace the meter' })).status).toBe(201);
    h.clock.advance(3 * 3600);
    const sweep = async () => {
      const runs = await Promise.all(desks.map((d) => d.runDue()));
      return { reminded: runs[0]!.reminded + runs[1]!.reminded, alerted: runs[0]!.alerted + runs[1]!.alerted, chased: runs[0]!.chased + runs[1]!.chased };
    };
    // No number to text from yet (no SMS_FROM, no hotline, the customer never called): nothing is lost, each claim is given back.
    expect(await sweep()).toMatchObject({ reminded: 0, alerted: 0, chased: 0 });
    expect(rest.sms).toEqual([]);
    await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: accepts } });
    await afterCallOf(h).settled();
    const before = rest.sms.length;
    expect(await sweep()).toMatchObject({ reminded: 1, alerted: 1, chased: 1 });
    expect(await sweep()).toMatchObject({ reminded: 0, alerted: 0, chased: 0 });
    const sent = rest.sms.slice(before);
    expect(sent.filter((s) => s.To === A && s.Body!.includes('工单提醒'))).toHaveLength(1);
    expect(sent.filter((s) => s.To === ADMIN && s.Body!.includes('工单超时'))).toHaveLength(1);
    expect(sent.filter((s) => s.To === FITTER)).toHaveLength(1);
    expect(sent.every((s) => s.From === HOTLINE)).toBe(true);
  });
});

describe('a dispatch whose assignee is on a DingTalk group', () => {
  let h: Hotline;
  let fakes: ChannelFakes;

  beforeEach(async () => {
    h = await startHotline({ DINGTALK_API_BASE_URL: DINGTALK_API }, START);
    interceptAfterCallRest(h);
    fakes = fakeChannels({ now: () => h.clock.now(), dingtalkSecrets: { [DING_TOKEN]: DING_SECRET }, wecomApp: { corpId: 'ww0123456789', corpSecret: 'corp-secret-0123456789' } });
  });
  afterEach(async () => {
    await h.close();
    nock.cleanAll();
  });

  it('is handed over through the notifier\'s channel, the assignee @-mentioned, the customer\'s number masked, with the done link', async () => {
    const a = (await h.api.addAgent('Agent A', A)).id;
    const channel = await h.api.post('/api/notify-channels', { kind: 'dingtalk-robot', name: '维修群', accessToken: DING_TOKEN, secret: DING_SECRET });
    expect(channel.status, channel.text).toBe(201);
    const t = await h.api.post('/api/tickets', { kind: 'dispatch', phone: CALLER, ownerAgentId: a, assignee: { name: '维修班', mobile: FITTER, channel: channel.body.id }, summary: 'Replace the meter' });
    expect(t.status, t.text).toBe(201);
    expect(await (h.container.features.find((f) => f.name === 'tickets') as TicketFeature).desk.runDue()).toMatchObject({ chased: 1 });
    expect(await (h.container.features.find((f) => f.name === 'notify') as NotifyFeature).deliverDue()).toEqual({ sent: 1, later: 0, failed: 0 });
    expect(fakes.refused).toEqual([]);
    const [m] = fakes.messages;
    expect(m).toMatchObject({ service: 'dingtalk-robot', to: DING_TOKEN, mentioned: ['13700000007'] });
    expect(m!.content).toContain('Replace the meter');
    expect(m!.content).toContain('/tickets/done?token=');
    expect(m!.content).not.toContain('13911112222');
  });
});
