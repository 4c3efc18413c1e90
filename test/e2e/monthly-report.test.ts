import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ComplaintFeature } from '../../src/complaints/complaint-feature';
import { afterCallOf, interceptAfterCallRest } from '../support/after-call';
import { HOTLINE, startHotline, type Hotline } from '../support/hotline-harness';

const A = '+8613800000001';
const B = '+8613800000002';
const accepts = { does: 'accept', ringSeconds: 3, pressAfterSeconds: 1, talkSeconds: 30 } as const;

describe('the monthly evaluation (R8)', () => {
  let h: Hotline;
  let ids: Record<string, string>;

  beforeEach(async () => {
    // Monday 2 November 2026, 10:00 in Shanghai.
    h = await startHotline({}, '2026-11-02T02:00:00Z');
    interceptAfterCallRest(h);
    ids = { [A]: (await h.api.addAgent('Agent A', A)).id, [B]: (await h.api.addAgent('Agent B', B)).id };
  });
  afterEach(async () => {
    await h.close();
    nock.cleanAll();
  });

  it('heads the report with the hotline rates and grades each agent by the documented rule', async () => {
    // A answers at once; the complaint on that call gets a progress reply in time and is closed.
    await h.twilio.placeCall({ from: '+8613911110001', to: HOTLINE, agents: { [A]: accepts, [B]: accepts } });
    await afterCallOf(h).settled();
    const first = (await h.api.get('/api/calls')).body.calls[0].id;
    await h.api.patch(`/api/calls/${first}`, { type: 'complaint' });
    const desk = (h.container.features.find((f) => f.name === 'complaints') as ComplaintFeature).desk;
    await desk.runDue();
    const [complaint] = (await h.api.get('/api/complaints')).body.complaints;
    await h.api.post(`/api/complaints/${complaint.id}/progress`, { note: 'Called back, apologised', channel: 'call' });
    await h.api.post(`/api/complaints/${complaint.id}/close`, { resolution: 'Refunded' });

    // The rotation starts the next call at B, who answers at once; the one after at A, who lets
    // it ring out, and B answers after the rule.
    h.clock.advance(600);
    expect((await h.twilio.placeCall({ from: '+8613911110002', to: HOTLINE, agents: { [A]: accepts, [B]: accepts } })).dialed).toEqual([B]);
    h.clock.advance(600);
    expect((await h.twilio.placeCall({ from: '+8613911110003', to: HOTLINE, agents: { [A]: { does: 'ring-out' }, [B]: accepts } })).dialed).toEqual([A, B]);
    await afterCallOf(h).settled();
    // A blocked caller is in none of it.
    await h.api.post('/api/blocklist', { pattern: '+86170*', reason: 'spam' });
    await h.twilio.placeCall({ from: '+8617000000000', to: HOTLINE, agents: { [A]: accepts, [B]: accepts } });

    expect((await h.api.get('/api/reports/monthly?month=2026-13')).status).toBe(400);
    const res = await h.api.get('/api/reports/monthly?month=2026-11');
    expect(res.status).toBe(200);
    const r = res.body;
    expect(r.month).toBe('2026-11');
    expect(r.hotline).toMatchObject({ answerRate: 1, resolutionRate: 1, callbackRate: null, offered: 3, answered: 3, blocked: 1, complaintCases: 1 });
    const [a, b] = r.agents;
    // A: accept 1/2 (weight 30), within the rule 1/1 (20), complaints resolved in time 1/1 (15);
    // no callbacks and no ratings: (30 x 0.5 + 20 + 15) / 65 = 76.9 -> C.
    expect(a).toMatchObject({ agentId: ids[A], name: 'Agent A', offers: 2, accepted: 1, acceptRate: 0.5, answeredWithinRule: 1, withinRuleRate: 1, complaintCases: 1, complaintsAnsweredInTime: 1, complaintsResolved: 1, resolutionRate: 1, score: 76.9, grade: 'C' });
    // B: accept 2/2 (30), within the rule 1/2 (20): (30 + 10) / 50 = 80 -> B.
    expect(b).toMatchObject({ agentId: ids[B], offers: 2, accepted: 2, acceptRate: 1, answered: 2, answeredWithinRule: 1, withinRuleRate: 0.5, resolutionRate: null, score: 80, grade: 'B' });

    // An empty month grades nobody.
    expect((await h.api.get('/api/reports/monthly?month=2026-10')).body).toMatchObject({ hotline: { answerRate: null }, agents: [] });
  });

  it('lists every agent on the roster that month, ungraded when they did nothing, and nobody who joined after or left before it', async () => {
    await h.twilio.placeCall({ from: '+8613911110001', to: HOTLINE, agents: { [A]: accepts, [B]: accepts } });
    await afterCallOf(h).settled();
    const idle = (await h.api.addAgent('Idle all month', '+8613800000003')).id;
    const leftEarly = (await h.api.addAgent('Left on the 5th', '+8613800000004')).id;
    const leftLate = (await h.api.addAgent('Left on the 20th', '+8613800000005')).id;
    h.clock.set('2026-11-05T02:00:00Z');
    expect((await h.api.delete(`/api/agents/${leftEarly}`)).status).toBe(200);
    h.clock.set('2026-11-20T02:00:00Z');
    expect((await h.api.delete(`/api/agents/${leftLate}`)).status).toBe(200);
    h.clock.set('2026-12-03T02:00:00Z');
    const joinedLater = (await h.api.addAgent('Joined in December', '+8613800000006')).id;

    const november = (await h.api.get('/api/reports/monthly?month=2026-11')).body;
    const names = (r: { agents: { name: string }[] }) => r.agents.map((a) => a.name);
    expect(names(november)).toEqual(['Agent A', 'Agent B', 'Idle all month', 'Left on the 20th', 'Left on the 5th']);
    const ungraded = {
      offers: 0, accepted: 0, acceptRate: null, answered: 0, answeredWithinRule: 0, withinRuleRate: null,
      callbacksOwned: 0, callbacksOnTime: 0, callbacksLate: 0, returnVisitRate: null,
      complaintCases: 0, complaintWeight: 0, complaintsAnsweredInTime: 0, complaintsResolved: 0, resolutionRate: null,
      ratings: 0, averageRating: null, fines: 0, fineTotal: 0, qcReviews: 0, quality: null, score: null, grade: null,
    };
    for (const id of [idle, leftEarly, leftLate]) expect(november.agents.find((a: { agentId: string }) => a.agentId === id)).toEqual({ agentId: id, name: expect.any(String), ...ungraded });

    // December: those still on the roster, and the newcomer; not the two who left in November.
    const december = (await h.api.get('/api/reports/monthly?month=2026-12')).body;
    expect(names(december)).toEqual(['Agent A', 'Agent B', 'Idle all month', 'Joined in December']);
    expect(december.agents.find((a: { agentId: string }) => a.agentId === joinedLater)).toMatchObject({ score: null, grade: null });
  });
});
