import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { interceptAfterCallRest, rates } from '../support/after-call';
import { HOTLINE, startHotline, type Hotline } from '../support/hotline-harness';

const CALLER = '+8613911112222';
const OTHER = '+8613955556666';
const A = '+8613800000001';
const B = '+8613800000002';

describe('call notes, filters and customer files', () => {
  let h: Hotline;
  let agents: Record<string, string>;

  beforeEach(async () => {
    h = await startHotline();
    interceptAfterCallRest(h);
    agents = {};
    for (const [name, phone] of [['Agent A', A], ['Agent B', B]] as const) agents[phone] = (await h.api.addAgent(name, phone)).id;
  });
  afterEach(async () => {
    await h.close();
    nock.cleanAll();
  });

  const answeredBy = (agent: string, rating: string, from = CALLER, callerName?: string) =>
    h.twilio.placeCall({ from, to: HOTLINE, callerName, agents: { [A]: { does: agent === A ? 'accept' : 'ring-out' }, [B]: { does: agent === B ? 'accept' : 'ring-out' } }, onGather: rates({ digits: rating }) });
  const missed = (from = CALLER) => h.twilio.placeCall({ from, to: HOTLINE, agents: { [A]: { does: 'busy' }, [B]: { does: 'busy' } } });
  const calls = async (query = '') => {
    const res = await h.api.get(`/api/calls${query}`);
    expect(res.status).toBe(200);
    return res.body.calls as Record<string, any>[];
  };
  const latest = async () => (await calls())[0]!;

  it('PATCH /api/calls/:id sets type, summary and caller name, keeping who changed what and when', async () => {
    await answeredBy(A, '5');
    const call = await latest();
    expect(call).toMatchObject({ type: null, summary: null, callerName: null });

    h.clock.advance(600);
    const res = await h.api.patch(`/api/calls/${call.id}`, { type: 'complaint', summary: '  Invoice sent twice  ', callerName: '王先生' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: call.id, type: 'complaint', summary: 'Invoice sent twice', callerName: '王先生', rating: 5 });

    // Changing only the summary, and repeating the same type, audits only the summary.
    h.clock.advance(60);
    await h.api.patch(`/api/calls/${call.id}`, { type: 'complaint', summary: 'Invoice sent twice; refund promised' });
    const history = (await h.api.get(`/api/calls/${call.id}/notes-history`)).body.changes;
    expect(history).toEqual([
      { field: 'type', oldValue: null, newValue: 'complaint', changedBy: 'admin-token', changedAt: expect.any(String) },
      { field: 'summary', oldValue: null, newValue: 'Invoice sent twice', changedBy: 'admin-token', changedAt: expect.any(String) },
      { field: 'callerName', oldValue: null, newValue: '王先生', changedBy: 'admin-token', changedAt: expect.any(String) },
      { field: 'summary', oldValue: 'Invoice sent twice', newValue: 'Invoice sent twice; refund promised', changedBy: 'admin-token', changedAt: h.clock.now().toISOString() },
    ]);
  });

  it('PATCH refuses bad input with a 400 naming the field, and changes nothing', async () => {
    await answeredBy(A, '5');
    const { id } = await latest();
    const cases: [object, string][] = [
      [{ type: 'gossip' }, 'type'],
      [{ summary: 42 }, 'summary'],
      [{ summary: 'x'.repeat(2001) }, 'summary'],
      [{ callerName: 'n'.repeat(101) }, 'callerName'],
      [{ mood: 'happy' }, 'mood'],
    ];
    for (const [body, field] of cases) {
      const res = await h.api.patch(`/api/calls/${id}`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.field).toBe(field);
      expect(res.body.error.message).toContain(field);
    }
    expect((await h.api.patch(`/api/calls/${id}`, {})).status).toBe(400);
    expect((await h.api.patch('/api/calls/not-a-uuid', { type: 'other' })).body.error.field).toBe('id');
    expect((await h.api.patch('/api/calls/00000000-0000-4000-8000-000000000000', { type: 'other' })).status).toBe(404);
    expect(await latest()).toMatchObject({ type: null, summary: null, callerName: null });
    expect((await h.api.get(`/api/calls/${id}/notes-history`)).body.changes).toEqual([]);
  });

  it('filters the call list by outcome, agent, type, rating and caller number, and lists answered calls still untyped', async () => {
    await answeredBy(A, '5');
    const first = await latest();
    await h.api.patch(`/api/calls/${first.id}`, { type: 'repair' });
    h.clock.advance(300);
    await answeredBy(B, '2', OTHER);
    const second = await latest();
    h.clock.advance(300);
    await missed();
    const third = await latest();

    const ids = async (q: string) => (await calls(q)).map((c) => c.id);
    expect(await ids('?outcome=missed')).toEqual([third.id]);
    expect(await ids('?outcome=answered')).toEqual([second.id, first.id]);
    expect(await ids(`?agent=${agents[A]}`)).toEqual([first.id]);
    expect(await ids('?type=repair')).toEqual([first.id]);
    expect(await ids('?type=none')).toEqual([third.id, second.id]);
    expect(await ids('?rating=2')).toEqual([second.id]);
    expect(await ids(`?caller=${encodeURIComponent(CALLER)}`)).toEqual([third.id, first.id]);
    expect(await ids(`?caller=${encodeURIComponent(CALLER)}&outcome=answered&rating=5`)).toEqual([first.id]);
    expect(await ids('?limit=1&outcome=answered')).toEqual([second.id]);

    const unfinished = await h.api.get('/api/calls/unfinished-notes');
    expect(unfinished.body.calls.map((c: { id: string }) => c.id)).toEqual([second.id]);

    for (const [q, field] of [['?rating=7', 'rating'], ['?outcome=lost', 'outcome'], ['?type=chat', 'type'], ['?agent=7', 'agent']]) {
      const res = await h.api.get(`/api/calls${q}`);
      expect(res.status).toBe(400);
      expect(res.body.error.field).toBe(field);
    }
    const one = (await h.api.get(`/api/calls/${second.id}`)).body;
    expect(one).toMatchObject({ rating: 2, ratingStatus: 'rated', endedBy: 'agent', type: null, summary: null, customerId: expect.any(String), repeatCaller: false });
    expect(third).toMatchObject({ rating: null, ratingStatus: 'not-answered' });
  });

  it("files calls under the caller's customer, flags a repeat call within 7 days, and keeps Twilio's name only as a suggestion", async () => {
    await answeredBy(A, '5', CALLER, 'ZHANG SAN');
    const first = await latest();
    expect(first).toMatchObject({ repeatCaller: false, callerName: null, callerNameSuggestion: 'ZHANG SAN', customerId: expect.any(String) });

    h.clock.advance(3 * 24 * 3600);
    await missed();
    const second = await latest();
    expect(second).toMatchObject({ repeatCaller: true, customerId: first.customerId });
    await h.api.patch(`/api/calls/${first.id}`, { callerName: '张三' });

    h.clock.advance(8 * 24 * 3600);
    await answeredBy(B, '4', CALLER, 'SOMEONE ELSE');
    const third = await latest();
    expect(third).toMatchObject({ repeatCaller: false, customerId: first.customerId, callerNameSuggestion: 'SOMEONE ELSE' });

    const res = await h.api.get(`/api/customers/${encodeURIComponent(CALLER)}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: first.customerId, phone: CALLER, name: '张三', nameSuggestion: 'SOMEONE ELSE', notes: null });
    expect(res.body.calls.map((c: { id: string }) => c.id)).toEqual([third.id, second.id, first.id]);

    const patched = await h.api.patch(`/api/customers/${encodeURIComponent(CALLER)}`, { notes: 'VIP; prefers mornings' });
    expect(patched.body).toMatchObject({ name: '张三', notes: 'VIP; prefers mornings' });
    expect((await h.api.get(`/api/customers/${encodeURIComponent(OTHER)}`)).status).toBe(404);
    expect((await h.api.patch(`/api/customers/${encodeURIComponent(CALLER)}`, { name: 5 })).body.error.field).toBe('name');
  });

  it('counts the repeat-caller window from REPEAT_CALLER_DAYS', async () => {
    await h.close();
    h = await startHotline({ REPEAT_CALLER_DAYS: '2' });
    interceptAfterCallRest(h);
    await h.api.addAgent('Agent A', A);
    await missed();
    h.clock.advance(3 * 24 * 3600);
    await missed();
    expect((await latest()).repeatCaller).toBe(false);
    h.clock.advance(3600);
    await missed();
    expect((await latest()).repeatCaller).toBe(true);
  });
});
