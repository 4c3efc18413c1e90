import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOTLINE, startHotline, type Hotline } from '../support/hotline-harness';

const A = '+8613800000001';
const B = '+8613800000002';

describe('the admin API', () => {
  let h: Hotline;
  beforeAll(async () => {
    h = await startHotline();
  });
  afterAll(async () => h.close());

  it('wants the admin bearer token', async () => {
    expect((await request(h.app).get('/api/agents')).status).toBe(401);
    const wrong = await request(h.app).get('/api/agents').set('Authorization', 'Bearer not-the-token');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).toMatch(/not valid/);
  });

  it('adds agents with an E.164 number or a SIP URI and names the bad field otherwise', async () => {
    const sip = await h.api.post('/api/agents', { name: 'Trunk agent', phone: 'sip:13800000009@trunk.example.cn' });
    expect(sip.status).toBe(201);
    expect(sip.body).toMatchObject({ name: 'Trunk agent', phone: 'sip:13800000009@trunk.example.cn', active: true, paused: false });

    const badPhone = await h.api.post('/api/agents', { name: 'X', phone: '13800000001' });
    expect(badPhone.status).toBe(400);
    expect(badPhone.body.error.field).toBe('phone');
    const noName = await h.api.post('/api/agents', { phone: A });
    expect(noName.status).toBe(400);
    expect(noName.body.error.field).toBe('name');
    const extra = await h.api.post('/api/agents', { name: 'X', phone: A, role: 'boss' });
    expect(extra.status).toBe(400);
    const notJson = await request(h.app).post('/api/agents').set('Authorization', 'Bearer test-admin-token-0123456789').type('json').send('{"name":');
    expect(notJson.status).toBe(400);
    const names = (await h.api.get('/api/agents')).body.agents.map((a: { name: string }) => a.name);
    expect(names).toEqual(['Trunk agent']);
  });

  it('changes, pauses, reorders and deactivates agents, keeping them on record', async () => {
    const a = await h.api.addAgent('Agent A', A);
    const dup = await h.api.post('/api/agents', { name: 'Copy', phone: A });
    expect(dup.status).toBe(409);

    const patched = await h.api.patch(`/api/agents/${a.id}`, { paused: true, position: 0, name: 'Agent A2' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ paused: true, position: 0, name: 'Agent A2' });
    expect((await h.api.patch(`/api/agents/${a.id}`, { active: 'yes' })).body.error.field).toBe('active');
    expect((await h.api.patch('/api/agents/00000000-0000-4000-8000-000000000000', { paused: false })).status).toBe(404);
    expect((await h.api.patch('/api/agents/42', { paused: false })).body.error.field).toBe('id');

    const removed = await h.api.delete(`/api/agents/${a.id}`);
    expect(removed.body.active).toBe(false);
    expect((await h.api.get('/api/agents')).body.agents.map((x: { id: string }) => x.id)).not.toContain(a.id);
    expect((await h.api.get('/api/agents?includeInactive=true')).body.agents.map((x: { id: string }) => x.id)).toContain(a.id);
    // the phone is free again for a new active agent
    expect((await h.api.post('/api/agents', { name: 'New A', phone: A })).status).toBe(201);
  });

  it('pages through calls newest first and answers the summary figures', async () => {
    await h.api.addAgent('Agent B', B);
    const routable = (await h.api.get('/api/agents')).body.agents.filter((x: { paused: boolean }) => !x.paused);
    const accept = Object.fromEntries(routable.map((x: { phone: string }) => [x.phone, { does: 'accept' as const, ringSeconds: 2 }]));
    await h.twilio.placeCall({ from: '+8613911110001', to: HOTLINE, agents: accept }); // answered in time
    h.clock.advance(60);
    await h.twilio.placeCall({ from: '+8613911110002', to: HOTLINE, agents: Object.fromEntries(routable.map((x: { phone: string }) => [x.phone, { does: 'accept' as const, ringSeconds: 12 }])) }); // answered late
    h.clock.advance(60);
    await h.twilio.placeCall({ from: '+8613911110003', to: HOTLINE }); // missed: every agent rings out
    h.clock.advance(60);
    await h.twilio.placeCall({ from: '+8613911110004', to: HOTLINE, callerHangsUpDuringAttempt: 0 }); // abandoned

    const page1 = await h.api.get('/api/calls?limit=3');
    expect(page1.status).toBe(200);
    expect(page1.body.calls.map((c: { from: string }) => c.from)).toEqual(['+8613911110004', '+8613911110003', '+8613911110002']);
    const page2 = await h.api.get(`/api/calls?limit=3&cursor=${page1.body.nextCursor}`);
    expect(page2.body.calls.map((c: { from: string }) => c.from)).toEqual(['+8613911110001']);
    expect(page2.body.nextCursor).toBeNull();
    expect((await h.api.get('/api/calls?cursor=garbage')).body.error.field).toBe('cursor');
    expect((await h.api.get('/api/calls?from=yesterday')).body.error.field).toBe('from');

    const one = await h.api.get(`/api/calls/${page2.body.calls[0].id}`);
    expect(one.body).toMatchObject({ outcome: 'answered', withinAnswerRule: true });
    expect((await h.api.get('/api/calls/00000000-0000-4000-8000-000000000000')).status).toBe(404);

    const s = await h.api.get('/api/analytics/summary?from=2026-11-23T00:00:00Z&to=2026-11-24T00:00:00Z');
    expect(s.body).toMatchObject({ offered: 4, answered: 2, missed: 1, abandoned: 1, answerRate: 0.5, serviceLevel: 0.25, abandonmentRate: 0.25 });
    // waits: 1 s to the first ring + 2 s ringing + 1 s to press 1 = 4 s, and 1 + 12 + 1 = 14 s
    expect(s.body.averageSpeedOfAnswerSeconds).toBe(9);
    // Every call rang its first phone within a second of arriving (Twilio's Timestamps are whole seconds).
    expect(s.body.firstRingSeconds.mean).toBeGreaterThan(0);
    expect(s.body.firstRingSeconds.mean).toBeLessThanOrEqual(1);
    expect(s.body.firstRingSeconds.p90).toBeLessThanOrEqual(1);
    // 02:00Z-02:04Z is 10:00 in Shanghai: all four calls in one hour
    expect(s.body.byHour).toEqual([{ hour: 10, offered: 4, answered: 2, abandoned: 1, answerRate: 0.5, serviceLevel: 0.25 }]);
    const empty = await h.api.get('/api/analytics/summary?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z');
    expect(empty.body).toMatchObject({ offered: 0, answerRate: null, serviceLevel: null, averageSpeedOfAnswerSeconds: null });
    expect((await h.api.get('/api/analytics/summary?from=2026-11-24T00:00:00Z&to=2026-11-23T00:00:00Z')).status).toBe(400);
  });

  it('reports health and readiness', async () => {
    expect((await request(h.app).get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await request(h.app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ database: 'ok', coordination: 'ok' });
  });
});
