import nock from 'nock';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PostgresAuditStore } from '../../src/postgres/audit-store';
import { afterCallOf, interceptAfterCallRest, pagePathIn, type AfterCallRest } from '../support/after-call';
import { HOTLINE, startHotline, type Hotline } from '../support/hotline-harness';

const CALLER = '+8613911112222';
const PREFIXED = '+8617012345678';
const A = '+8613800000001';
const B = '+8613800000002';

const accepts = { does: 'accept', ringSeconds: 3, pressAfterSeconds: 1, talkSeconds: 30 } as const;

describe('who gets through: the blocklist, internal numbers, warn then block', () => {
  let h: Hotline;
  let rest: AfterCallRest;

  beforeEach(async () => {
    h = await startHotline();
    rest = interceptAfterCallRest(h);
    await h.api.addAgent('Agent A', A);
    await h.api.addAgent('Agent B', B);
  });
  afterEach(async () => {
    await h.close();
    nock.cleanAll();
  });

  const lastCall = async () => (await h.api.get('/api/calls')).body.calls[0];
  // A refused call takes no time: calls from several numbers may share their arrival second.
  const callFrom = async (from: string) => (await h.api.get(`/api/calls?caller=${encodeURIComponent(from)}`)).body.calls[0];
  const callbacks = async () => (await h.api.get('/api/callbacks')).body.callbacks as unknown[];
  const rejected = (t: { documents: { children: { name: string }[] }[] }) => t.documents[0]!.children.map((c) => c.name);

  it('refuses a blocked number and a blocked prefix with <Reject>: no agent rung, no callback, counted apart', async () => {
    const exact = await h.api.post('/api/blocklist', { pattern: CALLER, reason: 'harassment' });
    expect(exact.status).toBe(201);
    expect(exact.body).toMatchObject({ id: expect.any(String), pattern: CALLER, reason: 'harassment', addedBy: 'admin-token', active: true, expiresAt: null });
    expect((await h.api.post('/api/blocklist', { pattern: '+86170*', reason: 'spam' })).status).toBe(201);

    for (const from of [CALLER, PREFIXED]) {
      const t = await h.twilio.placeCall({ from, to: HOTLINE, agents: { [A]: accepts, [B]: accepts } });
      expect(rejected(t)).toEqual(['Reject']);
      expect(t.dialed).toEqual([]);
      expect(t.callerHeard).toEqual([]);
      expect(await callFrom(from)).toMatchObject({ from, blocked: true, internal: false, state: 'ended', outcome: null });
    }
    await afterCallOf(h).settled();
    expect(await callbacks()).toEqual([]);
    expect(rest.sms).toEqual([]);

    // A customer still gets through, and only they are in the figures.
    const ok = await h.twilio.placeCall({ from: '+8613955556666', to: HOTLINE, agents: { [A]: accepts, [B]: accepts } });
    expect(ok.bridgedTo).toBe(A);
    const summary = (await h.api.get('/api/analytics/summary')).body;
    expect(summary).toMatchObject({ blocked: 2, internal: 0, offered: 1, answered: 1, answerRate: 1 });
    expect(summary.agents.map((a: { offers: number }) => a.offers)).toEqual([1]);

    // Every change was audited with who made it.
    const audit = await new PostgresAuditStore(h.container.db).recent({ limit: 10, actionPrefix: 'api.POST /blocklist' });
    expect(audit.map((e) => e.actor)).toEqual(['admin-token', 'admin-token']);
  });

  it('lets a caller through once a temporary ban has expired, or a rule is lifted (the record stays)', async () => {
    const until = new Date(h.clock.now().getTime() + 3600_000).toISOString();
    const rule = (await h.api.post('/api/blocklist', { pattern: CALLER, reason: 'other', expiresAt: until })).body;
    expect(rejected(await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: accepts } }))).toEqual(['Reject']);
    h.clock.advance(3600);
    const t = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: accepts } });
    expect(t.bridgedTo).toBe(A);
    await afterCallOf(h).settled();
    // The refused call before it does not make this caller a repeat caller.
    expect(await lastCall()).toMatchObject({ blocked: false, outcome: 'answered', repeatCaller: false });
    expect((await h.api.get('/api/blocklist')).body.rules).toMatchObject([{ id: rule.id, active: false }]);

    // Lengthened again by PATCH, then lifted by DELETE: the rule stays on record, lifted.
    const later = new Date(h.clock.now().getTime() + 3600_000).toISOString();
    expect((await h.api.patch(`/api/blocklist/${rule.id}`, { expiresAt: later, reason: 'harassment' })).body).toMatchObject({ active: true, reason: 'harassment' });
    expect(rejected(await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: accepts } }))).toEqual(['Reject']);
    const lifted = await h.api.delete(`/api/blocklist/${rule.id}`);
    expect(lifted.body).toMatchObject({ active: false, liftedBy: 'admin-token' });
    expect((await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: accepts } })).bridgedTo).toBe(A);
    await afterCallOf(h).settled();
    // The answered call before it does (refused calls share its arrival second: find it by outcome).
    const answered = (await h.api.get(`/api/calls?caller=${encodeURIComponent(CALLER)}`)).body.calls.filter((c: { outcome: string }) => c.outcome === 'answered');
    expect(answered.map((c: { repeatCaller: boolean }) => c.repeatCaller)).toEqual([true, false]);
    expect((await h.api.get('/api/blocklist')).body.rules).toEqual([]);
    expect((await h.api.get('/api/blocklist?all=true')).body.rules).toHaveLength(1);
    expect((await h.api.patch(`/api/blocklist/${rule.id}`, { reason: 'spam' })).status).toBe(409);
  });

  it('blocks withheld callers with the anonymous rule', async () => {
    await h.api.post('/api/blocklist', { pattern: 'anonymous', reason: 'spam' });
    expect(rejected(await h.twilio.placeCall({ from: '+266696687', to: HOTLINE, agents: { [A]: accepts } }))).toEqual(['Reject']);
    expect((await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: accepts } })).bridgedTo).toBe(A);
  });

  it('refuses bad input with a 400 naming the field, and changes nothing', async () => {
    for (const body of [{ pattern: '12345', reason: 'spam' }, { pattern: '+86170', reason: 'nuisance' }, { pattern: CALLER, reason: 'spam', expiresAt: '2020-01-01T00:00:00Z' }, { pattern: '*', reason: 'spam' }]) {
      const res = await h.api.post('/api/blocklist', body);
      expect(res.status).toBe(400);
      expect(res.body.error.field).toBeDefined();
    }
    expect((await h.api.delete('/api/blocklist/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await h.api.get('/api/blocklist?all=true')).body.rules).toEqual([]);
  });

  it('tells an internal number or an agent phone that the line is for customers: nobody rung, in no figure', async () => {
    const added = await h.api.post('/api/internal-numbers', { pattern: '+8610555*', name: 'Head office' });
    expect(added.status).toBe(201);
    expect((await h.api.post('/api/internal-numbers', { pattern: '+8610555*' })).status).toBe(409);
    for (const from of ['+861055512345', B]) {
      const t = await h.twilio.placeCall({ from, to: HOTLINE, agents: { [A]: accepts, [B]: accepts } });
      expect(t.dialed).toEqual([]);
      expect(t.callerHeard).toEqual(['本热线仅供客户使用，内部电话请勿占线。再见。']);
      expect(await callFrom(from)).toMatchObject({ from, internal: true, blocked: false, outcome: null });
    }
    await afterCallOf(h).settled();
    expect(await callbacks()).toEqual([]);
    const summary = (await h.api.get('/api/analytics/summary')).body;
    expect(summary).toMatchObject({ internal: 2, blocked: 0, offered: 0, answered: 0, missed: 0 });
    expect(summary.byHour).toEqual([]);

    h.clock.advance(7 * 24 * 3600);
    const weekly = (await h.api.get('/api/reports/weekly')).body;
    expect(weekly.calls).toMatchObject({ internal: 2, offered: 0 });
    expect(weekly.internalCalls.map((c: { from: string }) => c.from)).toEqual(['+861055512345', B]);

    const list = (await h.api.get('/api/internal-numbers')).body;
    expect(list.internalNumbers).toMatchObject([{ pattern: '+8610555*', name: 'Head office' }]);
    expect(list.agentPhones.map((a: { phone: string }) => a.phone).sort()).toEqual([A, B]);
    expect((await h.api.delete(`/api/internal-numbers/${added.body.id}`)).status).toBe(204);
    expect((await h.twilio.placeCall({ from: '+861055512345', to: HOTLINE, agents: { [A]: accepts } })).bridgedTo).toBe(A);
  });

  it('warns a number an agent reported, and blocks it at the second report; admins see and lift reports', async () => {
    const report = async () => {
      await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: accepts } });
      await afterCallOf(h).settled();
      const path = pagePathIn(rest.sms.at(-1)!.Body!);
      expect((await request(h.app).get(path)).text).toContain(`action="${path}/report"`);
      const res = await request(h.app).post(`${path}/report`).type('form').send({});
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(`${path}?done=reported`);
    };
    await report();
    const reports = (await h.api.get('/api/caller-reports')).body.reports;
    expect(reports).toMatchObject([{ phone: CALLER, call: { outcome: 'answered' } }]);

    // Warned: the warning is said before the first agent's phone rings.
    const warned = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: accepts } });
    expect(warned.callerHeard[0]).toContain('骚扰来电将被屏蔽');
    expect(warned.bridgedTo).toBe(A);
    expect(await lastCall()).toMatchObject({ warned: true, blocked: false });
    await afterCallOf(h).settled();

    // The second report (on that warned call) blocks the number.
    const path = pagePathIn(rest.sms.at(-1)!.Body!);
    expect((await request(h.app).post(`${path}/report`).type('form').send({})).status).toBe(303);
    expect((await h.api.get('/api/blocklist')).body.rules).toMatchObject([{ pattern: CALLER, reason: 'harassment', fromReports: true, active: true }]);
    expect(rejected(await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: accepts } }))).toEqual(['Reject']);

    // Admins lift the reports and the rule: the number rings as any other.
    expect((await h.api.post('/api/caller-reports/lift', { phone: CALLER })).body).toEqual({ lifted: 2 });
    const rule = (await h.api.get('/api/blocklist')).body.rules[0];
    await h.api.delete(`/api/blocklist/${rule.id}`);
    const again = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: accepts } });
    expect(again.callerHeard.join('')).not.toContain('骚扰');
    expect(again.bridgedTo).toBe(A);
  });

  it('lets internal test calls ring when INTERNAL_TEST_CALLS is on, still out of the figures and never a callback', async () => {
    await h.close();
    nock.cleanAll();
    h = await startHotline({ INTERNAL_TEST_CALLS: 'true' });
    rest = interceptAfterCallRest(h);
    await h.api.addAgent('Agent A', A);
    await h.api.addAgent('Agent B', B);
    const t = await h.twilio.placeCall({ from: B, to: HOTLINE, agents: { [A]: { does: 'busy' }, [B]: { does: 'busy' } } });
    expect(t.dialed.length).toBeGreaterThan(0);
    await afterCallOf(h).settled();
    expect(await lastCall()).toMatchObject({ internal: true, outcome: 'missed' });
    expect(await callbacks()).toEqual([]);
    const summary = (await h.api.get('/api/analytics/summary')).body;
    expect(summary).toMatchObject({ internal: 1, offered: 0, missed: 0 });
    expect(summary.agents).toEqual([]);
  });
});
