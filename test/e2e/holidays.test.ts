import { readFileSync } from 'node:fs';
import nock from 'nock';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConsoleFeature } from '../../src/console/console-feature';
import { saysOf } from '../../src/simulator/twiml-tree';
import { interceptAfterCallRest } from '../support/after-call';
import { consoleSession } from '../support/console-session';
import { HOTLINE, startHotline, type Hotline } from '../support/hotline-harness';

const A = '+8613800000001';
const B = '+8613800000002';
const CALLER = '+8613911112222';
const WEEKDAYS_DAY = [1, 2, 3, 4, 5].map((day) => ({ day, start: '08:00', end: '20:00' }));
const accepts = { does: 'accept' as const, ringSeconds: 3, pressAfterSeconds: 1, talkSeconds: 30 };
const year2026 = JSON.parse(readFileSync('docs/holidays/2026.json', 'utf8'));

describe('holidays and make-up workdays (调休)', { timeout: 180_000 }, () => {
  let h: Hotline;
  afterEach(async () => {
    nock.cleanAll();
    await h.close();
  });

  const setup = async (start: string) => {
    h = await startHotline({}, start);
    const a = (await h.api.addAgent('Weekday', A)).id;
    const b = (await h.api.addAgent('Standby', B)).id;
    expect((await h.api.put('/api/agents/' + a + '/schedule', { weekly: WEEKDAYS_DAY })).status).toBe(200);
    expect((await h.api.put('/api/holidays?year=2026', year2026)).status).toBe(200);
    return { a, b };
  };

  it('on the make-up Saturday 2026-02-14 an agent with a Monday–Friday pattern is on duty and rung', async () => {
    const { a, b } = await setup('2026-02-14T02:00:00Z'); // 10:00 in Shanghai
    expect((await h.api.put('/api/agents/' + b + '/schedule', { weekly: [{ day: 6, start: '08:00', end: '20:00' }] })).status).toBe(200);
    const t = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: accepts, [B]: accepts } });
    expect(t.dialed).toEqual([A]);
    const call = (await h.api.get('/api/calls')).body.calls[0];
    expect(call.answeredByAgentId).toBe(a);
    // The Saturday-only agent is off: the day works as a Monday.
    expect(call.skipped).toEqual([{ agentId: b, reason: 'off-duty' }]);
  });

  it('on a holiday (国庆, Thursday 2026-10-01) the standby agent is rung and the weekday pattern is off', async () => {
    const { a, b } = await setup('2026-10-01T02:00:00Z');
    const hotline = await h.api.post('/api/hotlines', { number: HOTLINE, name: 'Service', agentIds: [a] });
    expect(hotline.status).toBe(201);
    expect(hotline.body.standbyAgentIds).toEqual([]);
    const patched = await h.api.patch(`/api/hotlines/${hotline.body.id}`, { standbyAgentIds: [b] });
    expect(patched.status).toBe(200);
    expect(patched.body.standbyAgentIds).toEqual([b]);
    const t = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: accepts, [B]: accepts } });
    expect(t.dialed).toEqual([B]);
    const call = (await h.api.get('/api/calls')).body.calls[0];
    expect(call.answeredByAgentId).toBe(b);
    expect(call.skipped).toEqual([{ agentId: a, reason: 'off-duty' }]);
    // The agents' API says as much: the standby agent is on duty today, the weekday one is not.
    expect((await h.api.get(`/api/agents/${b}`)).body.onDuty).toBe(true);
    expect((await h.api.get(`/api/agents/${a}`)).body.onDuty).toBe(false);

    // A dated day off still wins over standby duty: then nobody is rung.
    h.clock.advance(600);
    const off = await h.api.post('/api/shifts', { agentId: b, start: '2026-10-01T02:00:00Z', end: '2026-10-01T06:00:00Z', kind: 'off' });
    expect(off.status).toBe(201);
    interceptAfterCallRest(h);
    const none = await h.twilio.placeCall({ from: '+8613911114444', to: HOTLINE, agents: { [A]: accepts, [B]: accepts } });
    expect(none.dialed).toEqual([]);
    expect((await h.api.get(`/api/agents/${b}`)).body.onDuty).toBe(false);

    // The day after the festival week (Thursday 10-08) is ordinary again: the group, not the standby.
    h.clock.set(new Date('2026-10-08T02:00:00Z'));
    const next = await h.twilio.placeCall({ from: '+8613911113333', to: HOTLINE, agents: { [A]: accepts, [B]: accepts } });
    expect(next.dialed).toEqual([A]);
  });

  it('a missed call on a holiday afternoon is due the morning after, not two hours later', async () => {
    h = await startHotline({}, '2026-04-06T07:00:00Z'); // 清明, Monday 15:00 in Shanghai
    interceptAfterCallRest(h);
    await h.api.addAgent('Always', A); // no pattern: on duty at all times
    expect((await h.api.put('/api/holidays?year=2026', year2026)).status).toBe(200);
    await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: { does: 'ring-out' } } });
    const cbs = (await h.api.get('/api/callbacks')).body.callbacks;
    expect(cbs).toHaveLength(1);
    expect(cbs[0]).toMatchObject({ window: 'night', dueAt: '2026-04-07T02:00:00.000Z' });
  });

  it('GET returns what PUT stored; PUT names what is wrong with a 400', async () => {
    h = await startHotline({}, '2026-12-07T02:00:00Z');
    const got = await h.api.get('/api/holidays?year=2026');
    expect(got.body).toEqual({ year: 2026, days: [], fromSetting: [] });
    expect((await h.api.put('/api/holidays?year=2026', year2026)).status).toBe(200);
    const stored = (await h.api.get('/api/holidays?year=2026')).body;
    expect(stored.days).toHaveLength(39);
    expect(stored.days[3]).toEqual({ date: '2026-01-04', kind: 'workday', name: '元旦调休上班' });

    const bad = async (body: object, message: RegExp, year = 2026) => {
      const res = await h.api.put(`/api/holidays?year=${year}`, body);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(message);
    };
    await bad({ days: [{ date: '2027-01-01', kind: 'holiday', name: '元旦' }] }, /days\[0\]\.date: 2027-01-01 is not in 2026/);
    await bad({ days: [{ date: '2026-01-01', kind: 'holiday', name: '元旦' }, { date: '2026-01-01', kind: 'holiday', name: '元旦' }] }, /listed twice/);
    await bad({ days: [{ date: '2026-01-01', kind: 'holiday', name: '元旦', worksAs: 'friday' }] }, /worksAs: only a make-up workday/);
    await bad({ days: [{ date: '2026-01-04', kind: 'workday', name: 'x', worksAs: 'someday' }] }, /days\.0\.worksAs/);
    await bad({ year: 2027, days: [] }, /year: the body says 2027/);
    await bad({ days: [] }, /year: must be/, 1900);
    // Nothing above changed the stored year.
    expect((await h.api.get('/api/holidays?year=2026')).body.days).toHaveLength(39);
  });
});

describe('the holidays page and the roster grid', { timeout: 180_000 }, () => {
  let h: Hotline;
  afterEach(async () => {
    await h.close();
  });

  it('an admin adds, removes and pastes days; a supervisor reads but may not change; the grid shades the holiday and marks the make-up day', async () => {
    h = await startHotline({}, '2026-09-28T02:00:00Z');
    await h.api.addAgent('Always', A);
    const accounts = (h.container.features.find((f) => f.name === 'console') as ConsoleFeature).accounts;
    await accounts.create('wang', 'wang-password-1', 'admin');
    await accounts.create('zhou', 'zhou-password-1', 'supervisor');
    const admin = await consoleSession(h, 'wang', 'wang-password-1');
    const sup = await consoleSession(h, 'zhou', 'zhou-password-1');
    const form = (s: { cookie: string; csrf: string }, path: string, body: Record<string, string>) =>
      request(h.app).post(path).set('Cookie', s.cookie).type('form').send({ _csrf: s.csrf, ...body });
    const pageOf = (s: { cookie: string }, path: string) => request(h.app).get(path).set('Cookie', s.cookie);

    expect((await form(admin, '/console/holidays/paste', { year: '2026', json: JSON.stringify(year2026) })).status).toBe(303);
    expect((await h.api.get('/api/holidays?year=2026')).body.days).toHaveLength(39);
    expect((await form(admin, '/console/holidays/day', { year: '2026', date: '2026-10-10', kind: 'workday', name: '国庆节调休上班', worksAs: 'wednesday' })).status).toBe(303);
    expect((await form(admin, '/console/holidays/remove', { year: '2026', date: '2026-01-04' })).status).toBe(303);
    const stored = (await h.api.get('/api/holidays?year=2026')).body.days;
    expect(stored).toHaveLength(38);
    expect(stored.find((x: { date: string }) => x.date === '2026-10-10')).toEqual({ date: '2026-10-10', kind: 'workday', name: '国庆节调休上班', worksAs: 'wednesday' });
    const bad = await form(admin, '/console/holidays/paste', { year: '2026', json: '{"days": [{"date": "2025-12-31", "kind": "holiday", "name": "x"}]}' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('not in 2026');

    const read = await pageOf(sup, '/console/holidays?year=2026');
    expect(read.status).toBe(200);
    expect(read.text).toContain('data-date="2026-10-01"');
    expect(read.text).toContain('data-read-only');
    expect(read.text).not.toContain('/console/holidays/paste');
    expect((await form(sup, '/console/holidays/remove', { year: '2026', date: '2026-10-01' })).status).toBe(403);

    const grid = (await pageOf(sup, '/console/roster?week=2026-09-28')).text;
    expect(grid).toMatch(/class="day [^"]*holiday" data-day="2026-10-01"/);
    const next = (await pageOf(sup, '/console/roster?week=2026-10-05')).text;
    expect(next).toMatch(/class="day [^"]*makeup" data-day="2026-10-10"/);
    expect(next).toContain('按周三排班');
  });
});

describe("a hotline's own greeting and language", { timeout: 180_000 }, () => {
  let h: Hotline;
  afterEach(async () => {
    nock.cleanAll();
    await h.close();
  });

  it("an English hotline says its greeting and English prompts; the agent's whisper and the missed-call apology are English too", async () => {
    h = await startHotline({ GREETING_BEFORE_RING: 'true' }, '2026-11-23T02:00:00Z');
    interceptAfterCallRest(h);
    const a = (await h.api.addAgent('Ann', A)).id;
    const created = await h.api.post('/api/hotlines', { number: HOTLINE, name: 'Export desk', agentIds: [a], language: 'en-US', greeting: 'Welcome to the export desk.' });
    expect(created.status).toBe(201);
    const t = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: accepts } });
    expect(t.callerHeard[0]).toContain('Welcome to the export desk.');
    expect(t.callerHeard.join(' ')).toContain('press 1');
    expect(t.callerHeard.join('')).not.toMatch(/[\u4e00-\u9fff]/);
    expect(t.whispers.join(' ')).toContain('Hotline call, press 1');

    // Nobody free: the apology and the voice message prompt are English.
    const missed = await h.twilio.placeCall({ from: '+8613911113333', to: HOTLINE, agents: { [A]: { does: 'ring-out' } } });
    expect(missed.callerHeard.join(' ')).toMatch(/no agent can take your call|leave a message/i);
    expect(missed.callerHeard.join('')).not.toMatch(/[\u4e00-\u9fff]/);
  });

  it('while PostgreSQL is down, an English hotline\'s callers are still spoken to in English (its voice is kept in memory)', async () => {
    h = await startHotline({}, '2026-11-23T02:00:00Z');
    const a = (await h.api.addAgent('Ann', A)).id;
    expect((await h.api.post('/api/hotlines', { number: HOTLINE, name: 'Export desk', agentIds: [a], language: 'en-US' })).status).toBe(201);
    await h.container.lastKnownRoster.refresh(HOTLINE, h.clock.now());
    const db = h.container.db;
    const { query, transaction } = db;
    const refused = async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    };
    Object.assign(db, { query: refused, transaction: refused });
    try {
      // Carried from memory: Ann rings, her phone hears the English whisper; she lets it ring out, and the caller hears the English apology.
      const t = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: { does: 'ring-out' } } });
      expect(t.dialed).toEqual([A]);
      expect(h.container.spool!.depth()).toBeGreaterThan(0);
      expect(t.callerHeard.join(' ')).toMatch(/no agent can take your call/i);
      expect(t.callerHeard.join('')).not.toMatch(/[\u4e00-\u9fff]/);
    } finally {
      Object.assign(db, { query, transaction });
    }
  });

  it('without GREETING_BEFORE_RING the first agent still rings at once, with nothing said before; another number keeps the server language', async () => {
    h = await startHotline({}, '2026-11-23T02:00:00Z');
    const a = (await h.api.addAgent('Ann', A)).id;
    expect((await h.api.post('/api/hotlines', { number: HOTLINE, name: 'Export desk', agentIds: [a], language: 'en-US', greeting: 'Welcome to the export desk.' })).status).toBe(201);
    const t = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: accepts } });
    expect(t.firstRingAfterSeconds).toBeLessThanOrEqual(1);
    // The first document is the <Dial> alone; the caller hears English only after the talk (the rating).
    expect(saysOf(t.documents[0]!)).toEqual([]);
    expect(t.callerHeard.join(' ')).toContain('Please rate our service');
    expect(t.whispers.join(' ')).toContain('Hotline call, press 1');
    const other = await h.twilio.placeCall({ from: '+8613911113333', to: '+864008009999', agents: { [A]: accepts } });
    expect(other.whispers.join('')).toContain('热线来电');
  });
});
