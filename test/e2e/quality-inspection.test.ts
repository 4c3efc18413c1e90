import nock from 'nock';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiTokenHash } from '../../src/api/admin-auth';
import type { ConsoleFeature } from '../../src/console/console-feature';
import { DEFAULT_CHECKLIST } from '../../src/domain/quality-inspection';
import { PostgresApiTokenStore } from '../../src/postgres/api-token-store';
import { afterCallOf, interceptAfterCallRest } from '../support/after-call';
import { consoleSession } from '../support/console-session';
import { ADMIN_TOKEN, HOTLINE, startHotline, type Hotline } from '../support/hotline-harness';

const A = '+8613800000001';
const B = '+8613800000002';
// A hangs up on the caller every time; B lets the caller hang up first.
const agentHangsUp = { does: 'accept', ringSeconds: 3, pressAfterSeconds: 1, talkSeconds: 30, hangsUpFirst: 'agent' } as const;
const callerHangsUp = { does: 'accept', ringSeconds: 3, pressAfterSeconds: 1, talkSeconds: 30, hangsUpFirst: 'caller' } as const;

interface Queued {
  callId: string;
  agentId: string;
  week: string;
}

describe('quality inspection (质检): the weekly sample, reviews, and the monthly quality part', () => {
  let h: Hotline;
  let ids: Record<string, string>;

  beforeEach(async () => {
    // Monday 2 November 2026, 10:00 in Shanghai (ISO week 2026-W45); two instances share the database.
    h = await startHotline({ QC_SAMPLE_PER_WEEK: '2' }, '2026-11-02T02:00:00Z', { instances: 2 });
    interceptAfterCallRest(h);
    ids = { [A]: (await h.api.addAgent('Agent A', A)).id, [B]: (await h.api.addAgent('Agent B', B)).id };
    // The rotation alternates: A, B, A, B, A answer the five calls of the week.
    for (let i = 0; i < 5; i++) {
      h.clock.advance(3600);
      await h.twilio.placeCall({ from: `+861391111000${i}`, to: HOTLINE, agents: { [A]: agentHangsUp, [B]: callerHangsUp } });
    }
    await afterCallOf(h).settled();
  });
  afterEach(async () => {
    await h.close();
    nock.cleanAll();
  });

  const queueOf = async (app = h.app, agentId?: string) =>
    (await request(app).get(`/api/qc/queue${agentId ? `?agentId=${agentId}` : ''}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`)).body.queue as Queued[];

  it('samples QC_SAMPLE_PER_WEEK answered calls per agent from each finished week, the same on every instance and until reviewed', async () => {
    const answered = (await h.api.get('/api/calls')).body.calls.filter((c: { outcome: string }) => c.outcome === 'answered');
    expect(answered).toHaveLength(5);
    // The week is still going on: nothing is drawn yet.
    expect(await queueOf()).toEqual([]);

    h.clock.set(new Date('2026-11-09T01:00:00Z'));
    const queue = await queueOf();
    expect(queue).toHaveLength(4);
    expect(queue.filter((q) => q.agentId === ids[A])).toHaveLength(2);
    expect(queue.filter((q) => q.agentId === ids[B])).toHaveLength(2);
    expect(new Set(queue.map((q) => q.week))).toEqual(new Set(['2026-W45']));
    expect(await queueOf(h.instances[1]!.app)).toEqual(queue);
    expect(await queueOf(h.app, ids[A])).toEqual(queue.filter((q) => q.agentId === ids[A]));

    // A call of the new week changes nothing in last week's draw.
    await h.twilio.placeCall({ from: '+8613911119999', to: HOTLINE, agents: { [A]: agentHangsUp, [B]: callerHangsUp } });
    await afterCallOf(h).settled();
    expect(await queueOf()).toEqual(queue);

    const b = queue.find((q) => q.agentId === ids[B])!;
    const inspector = [{ id: 'greeting', score: 15 }, { id: 'courtesy', score: 15 }, { id: 'anything-else', score: 10 }, { id: 'thanks', score: 10 }];
    expect((await h.api.post('/api/qc/reviews', { callId: b.callId, items: inspector })).status).toBe(201);
    expect((await queueOf()).map((q) => q.callId)).toEqual(queue.filter((q) => q.callId !== b.callId).map((q) => q.callId));
    expect((await queueOf(h.instances[1]!.app)).map((q) => q.callId)).not.toContain(b.callId);
  });

  it('fills in the record items, takes the inspector\'s for the rest, refuses bad input naming the problem, and moves the monthly quality part and grade', async () => {
    h.clock.set(new Date('2026-11-09T01:00:00Z'));
    const a = (await queueOf()).find((q) => q.agentId === ids[A])!;
    const before = (await h.api.get('/api/reports/monthly?month=2026-11')).body;
    const agentA = before.agents.find((x: { agentId: string }) => x.agentId === ids[A]);
    expect(agentA).toMatchObject({ quality: null, qcReviews: 0 });
    expect(before.gradeRule.weights.quality).toBe(20);

    // No greeting, no "anything else?", no thanks: a poor call.
    const inspector = [{ id: 'greeting', score: 0 }, { id: 'courtesy', score: 5, note: 'curt' }, { id: 'anything-else', score: 0 }, { id: 'thanks', score: 0 }];
    const refused = async (body: object, status: number, message: RegExp) => {
      const res = await h.api.post('/api/qc/reviews', body);
      expect(res.status).toBe(status);
      expect(res.body.error.message).toMatch(message);
    };
    await refused({ items: inspector }, 400, /^callId: is required/);
    await refused({ callId: 'nope', items: inspector }, 400, /^callId: must be a call id/);
    await refused({ callId: a.callId, items: 'all good' }, 400, /^items: must be a list/);
    await refused({ callId: a.callId, items: [...inspector, { id: 'smile', score: 5 }] }, 400, /^items\.4\.id: 'smile' is not on the checklist/);
    await refused({ callId: a.callId, items: [{ id: 'greeting', score: 99 }, ...inspector.slice(1)] }, 400, /^items\.0\.score: must be a whole number from 0 to 15/);
    await refused({ callId: a.callId, items: [...inspector, { id: 'not-hung-up-first', score: 15 }] }, 400, /^items\.4\.id: 'not-hung-up-first' is answered by the call's record \(the agent hung up first\)/);
    await refused({ callId: a.callId, items: inspector.slice(1) }, 400, /^items: 'greeting' is missing/);
    await refused({ callId: '00000000-0000-4000-8000-000000000000', items: inspector }, 404, /no answered call/);
    // A viewer's personal token opens no API at all.
    const viewer = await (h.container.features.find((f) => f.name === 'console') as ConsoleFeature).accounts.create('li', 'li-password-1', 'viewer');
    await new PostgresApiTokenStore(h.container.db).create(viewer.id, 'old', apiTokenHash('tr_viewer-token'), h.clock.now());
    const forbidden = await request(h.app).post('/api/qc/reviews').set('Authorization', 'Bearer tr_viewer-token').send({ callId: a.callId, items: inspector });
    expect(forbidden.status).toBe(403);
    // ... nor the QC pages of the console.
    const session = await consoleSession(h, 'li', 'li-password-1');
    expect((await request(h.app).get('/console/qc').set('Cookie', session.cookie)).status).toBe(403);
    expect((await request(h.app).post(`/console/qc/calls/${a.callId}`).set('Cookie', session.cookie).type('form').send({ _csrf: session.csrf, 'score.greeting': '15' })).status).toBe(403);
    expect((await h.api.get('/api/qc/reviews?month=2026-11')).body.reviews).toEqual([]);

    const res = await h.api.post('/api/qc/reviews', { callId: a.callId, items: inspector });
    expect(res.status).toBe(201);
    // A hung up first and handed nobody to the rating: 10 + 0 + 10 + 5 + 0 + 0 + 0 + 0 = 25 of 100.
    expect(res.body).toMatchObject({ callId: a.callId, agentId: ids[A], reviewedBy: 'admin-token', score: 25 });
    expect(res.body.items.map((i: { id: string; score: number; source: string }) => [i.id, i.score, i.source])).toEqual([
      ['answered-in-time', 10, 'record'], ['greeting', 0, 'inspector'], ['apology', 10, 'record'], ['courtesy', 5, 'inspector'],
      ['anything-else', 0, 'inspector'], ['thanks', 0, 'inspector'], ['handover', 0, 'record'], ['not-hung-up-first', 0, 'record'],
    ]);
    expect(res.body.items[3].note).toBe('curt');
    expect((await h.api.post('/api/qc/reviews', { callId: a.callId, items: inspector })).status).toBe(409);

    const listed = await h.api.get(`/api/qc/reviews?agentId=${ids[A]}&month=2026-11`);
    expect(listed.body).toMatchObject({ month: '2026-11', reviews: [{ callId: a.callId, score: 25 }] });
    expect((await h.api.get(`/api/qc/reviews?agentId=${ids[B]}&month=2026-11`)).body.reviews).toEqual([]);
    expect((await h.api.get('/api/qc/reviews?month=2026-10')).body.reviews).toEqual([]);
    expect((await h.api.get('/api/qc/reviews?month=November')).status).toBe(400);

    // The quality part (0.25, weight 20) joins the parts A already had.
    const after = (await h.api.get('/api/reports/monthly?month=2026-11')).body.agents.find((x: { agentId: string }) => x.agentId === ids[A]);
    expect(after).toMatchObject({ quality: 0.25, qcReviews: 1 });
    const w = before.gradeRule.weights as Record<string, number>;
    const rates: [string, number | null][] = [['accept', agentA.acceptRate], ['withinRule', agentA.withinRuleRate], ['callbacks', agentA.returnVisitRate], ['complaints', agentA.resolutionRate], ['rating', agentA.averageRating === null ? null : (agentA.averageRating - 1) / 4], ['quality', 0.25]];
    const parts = rates.filter(([, r]) => r !== null) as [string, number][];
    const expected = Math.round((1000 * parts.reduce((s, [p, r]) => s + w[p]! * r, 0)) / parts.reduce((s, [p]) => s + w[p]!, 0)) / 10 - before.gradeRule.finePoints * agentA.fines;
    expect(after.score).toBe(expected);
    expect(after.score).toBeLessThan(agentA.score);
    expect(after.grade).toBe(expected >= 90 ? 'A' : expected >= 80 ? 'B' : expected >= 70 ? 'C' : expected >= 60 ? 'D' : 'E');
    expect(after.grade).not.toBe(agentA.grade);
    // The same by hand, by the README's rule: A accepted all 3 offers (30 × 1) and answered them within
    // the rule (20 × 1); no callbacks, complaints, ratings or fines to measure. Before: 100 × 50/50 =
    // 100, A. After: 100 × (30 + 20 + 20 × 0.25) / 70 = 78.6, C.
    expect([agentA.acceptRate, agentA.withinRuleRate, agentA.returnVisitRate, agentA.resolutionRate, agentA.averageRating, agentA.fines]).toEqual([1, 1, null, null, null, 0]);
    expect([agentA.score, agentA.grade, after.score, after.grade]).toEqual([100, 'A', 78.6, 'C']);
  });

  it('keeps the checklist in the database, seeded from the service rules and editable', async () => {
    expect((await h.api.get('/api/qc/checklist')).body.items).toEqual(DEFAULT_CHECKLIST);
    expect((await h.api.put('/api/qc/checklist', { items: [{ id: 'greeting', label: 'Greeting', points: 10 }, { id: 'greeting', label: 'Again', points: 5 }] })).body.error.message).toBe('items: must not repeat an id');
    expect((await h.api.put('/api/qc/checklist', { items: [{ id: 'Greeting!', label: 'Greeting', points: 10 }] })).body.error.message).toMatch(/^items\.0\.id: must be 1-40 lowercase/);
    expect((await h.api.put('/api/qc/checklist', { items: [{ id: 'greeting', label: 'Greeting', points: 0 }] })).body.error.message).toBe('items.0.points: must be at least 1');
    expect((await h.api.get('/api/qc/checklist')).body.items).toEqual(DEFAULT_CHECKLIST);

    const items = [{ id: 'greeting', label: 'Greeting', points: 20 }, { id: 'handover', label: 'Hand-over', points: 20 }];
    expect((await h.api.put('/api/qc/checklist', { items })).body.items).toEqual(items);
    h.clock.set(new Date('2026-11-09T01:00:00Z'));
    const b = (await queueOf()).find((q) => q.agentId === ids[B])!;
    // B let the caller hang up: the hand-over item is the record's; 15 + 20 of 40.
    const res = await h.api.post('/api/qc/reviews', { callId: b.callId, items: [{ id: 'greeting', score: 15 }] });
    expect(res.status).toBe(201);
    expect(res.body.score).toBe(87.5);
  });
});
