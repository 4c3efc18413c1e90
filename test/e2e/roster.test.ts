import nock from 'nock';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { find } from '../../src/simulator/twiml-tree';
import { interceptAfterCallRest } from '../support/after-call';
import { HOTLINE, startHotline, type Hotline } from '../support/hotline-harness';

const A = '+8613800000001';
const B = '+8613800000002';
const C = '+8613800000003';
const D = '+8613800000004';
const CALLER = '+8613911112222';
// Wednesday 2026-11-25 03:00 in Shanghai.
const NIGHT = '2026-11-24T19:00:00Z';
const WEEKDAYS_DAY = [1, 2, 3, 4, 5].map((day) => ({ day, start: '08:00', end: '20:00' }));
const EVERY_NIGHT = [1, 2, 3, 4, 5, 6, 7].map((day) => ({ day, start: '20:00', end: '08:00' }));
const accepts = { does: 'accept' as const, ringSeconds: 3, pressAfterSeconds: 1, talkSeconds: 30 };

// Each test starts a whole server with its own database; on a busy machine that alone takes seconds.
describe('the roster decides who is rung', { timeout: 180_000 }, () => {
  let h: Hotline;
  afterEach(async () => {
    nock.cleanAll();
    await h.close();
  });

  const setup = async (start?: string, env: Record<string, string> = {}) => {
    h = await startHotline({ AUTO_PAUSE_AFTER: '2', ...env }, start);
    const ids: Record<string, string> = {};
    for (const [name, phone] of [['Day', A], ['Night', B], ['Other', C]] as const) ids[phone] = (await h.api.addAgent(name, phone)).id;
    return ids;
  };
  const schedule = async (id: string, weekly: object[]) => expect((await h.api.put(`/api/agents/${id}/schedule`, { weekly })).status).toBe(200);
  const lastCall = async () => (await h.api.get('/api/calls')).body.calls[0];

  it('a call at 03:00 rings only the night-duty agent, and the call says who was skipped and why', async () => {
    const ids = await setup(NIGHT);
    await schedule(ids[A]!, WEEKDAYS_DAY);
    await schedule(ids[B]!, EVERY_NIGHT);
    await schedule(ids[C]!, WEEKDAYS_DAY);
    const t = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: accepts, [B]: accepts, [C]: accepts } });
    expect(t.dialed).toEqual([B]);
    const call = await lastCall();
    expect(call.answeredByAgentId).toBe(ids[B]);
    expect(call.skipped).toEqual(expect.arrayContaining([{ agentId: ids[A], reason: 'off-duty' }, { agentId: ids[C], reason: 'off-duty' }]));
    const single = (await h.api.get(`/api/calls/${call.id}`)).body;
    expect(single.skipped).toHaveLength(2);
    expect((await h.api.get(`/api/agents/${ids[B]}`)).body).toMatchObject({ onDuty: true, onLeave: false, coveringFor: [] });
    expect((await h.api.get(`/api/agents/${ids[A]}`)).body).toMatchObject({ onDuty: false });

    // The roster shows the night: B on duty until 08:00, then A and C.
    const roster = await h.api.get('/api/roster').query({ from: NIGHT, to: '2026-11-25T01:00:00Z' });
    expect(roster.status).toBe(200);
    expect(roster.body.gaps).toEqual([]);
    expect(roster.body.intervals.map((i: { start: string; onDuty: { agentId: string }[] }) => [i.start, i.onDuty.map((o) => o.agentId).sort()])).toEqual([
      [new Date(NIGHT).toISOString(), [ids[B]]],
      ['2026-11-25T00:00:00.000Z', [ids[A], ids[C]].sort()],
    ]);
  });

  it('a call when nobody is on duty rings no one, offers a voice message, and becomes a night callback even by day', async () => {
    const ids = await setup();
    interceptAfterCallRest(h);
    // Monday 10:00: everyone works only at the weekend.
    for (const phone of [A, B, C]) await schedule(ids[phone]!, [{ day: 6, start: '08:00', end: '20:00' }]);
    const t = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: accepts, [B]: accepts, [C]: accepts } });
    expect(t.dialed).toEqual([]);
    const call = await lastCall();
    expect(call).toMatchObject({ outcome: 'missed', attempts: [] });
    expect(call.skipped.map((s: { reason: string }) => s.reason)).toEqual(['off-duty', 'off-duty', 'off-duty']);
    expect(t.documents.some((d) => find(d, 'Record') !== undefined)).toBe(true);
    const cbs = (await h.api.get('/api/callbacks')).body.callbacks;
    expect(cbs).toHaveLength(1);
    expect(cbs[0]).toMatchObject({ phone: CALLER, window: 'night' });
    // Night rule: due after the day window opens next (Tuesday 08:00 + 2 h), not 2 hours from now.
    expect(cbs[0].dueAt).toBe('2026-11-24T02:00:00.000Z');

    const roster = await h.api.get('/api/roster').query({ from: '2026-11-23T00:00:00Z', to: '2026-11-24T00:00:00Z' });
    expect(roster.body.gaps).toEqual([{ start: '2026-11-23T00:00:00.000Z', end: '2026-11-24T00:00:00.000Z' }]);
  });

  it('an agent on leave is never rung; their substitute takes their shifts and their open callbacks, and is texted', async () => {
    const ids = await setup(NIGHT);
    const rest = interceptAfterCallRest(h);
    await schedule(ids[A]!, WEEKDAYS_DAY);
    await schedule(ids[B]!, EVERY_NIGHT);
    await schedule(ids[C]!, WEEKDAYS_DAY);
    // B owes a callback from an earlier miss (handed to B: a night callback's owner is chosen by rotation).
    await h.twilio.placeCall({ from: '+8613955556666', to: HOTLINE, agents: { [B]: { does: 'ring-out' } } });
    const owed = (await h.api.get('/api/callbacks')).body.callbacks[0];
    expect((await h.api.patch(`/api/callbacks/${owed.id}`, { ownerAgentId: ids[B] })).status).toBe(200);

    const leave = await h.api.post('/api/leaves', { agentId: ids[B], start: NIGHT, end: '2026-11-30T00:00:00Z', kind: 'sick', substituteAgentId: ids[C] });
    expect(leave.status).toBe(201);
    expect(leave.body.id).toMatch(/[0-9a-f-]{36}/);
    expect((await h.api.get('/api/callbacks')).body.callbacks[0].ownerAgentId).toBe(ids[C]);
    expect(rest.sms.some((s) => s.To === C && s.Body!.includes('Night'))).toBe(true);

    for (let i = 0; i < 3; i++) {
      h.clock.advance(60);
      const t = await h.twilio.placeCall({ from: `+861390000000${i}`, to: HOTLINE, agents: { [A]: accepts, [B]: accepts, [C]: accepts } });
      expect(t.dialed).toEqual([C]);
    }
    const call = await lastCall();
    expect(call.skipped).toEqual(expect.arrayContaining([{ agentId: ids[B], reason: 'on-leave' }, { agentId: ids[A], reason: 'off-duty' }]));
    expect((await h.api.get(`/api/agents/${ids[C]}`)).body).toMatchObject({ onDuty: true, coveringFor: [ids[B]] });
    expect((await h.api.get(`/api/agents/${ids[B]}`)).body).toMatchObject({ onDuty: false, onLeave: true });
  });

  it('a substitute from outside the group joins it only once the leave begins, and the roster read before says so', async () => {
    const ids = await setup(NIGHT);
    interceptAfterCallRest(h);
    expect((await h.api.post('/api/hotlines', { number: HOTLINE, name: 'Sales', agentIds: [ids[A]] })).status).toBe(201);
    const begins = new Date(Date.parse(NIGHT) + 5 * 60_000).toISOString();
    expect((await h.api.post('/api/leaves', { agentId: ids[A], start: begins, end: '2026-11-30T00:00:00Z', kind: 'sick', substituteAgentId: ids[B] })).status).toBe(201);
    const everyone = { [A]: accepts, [B]: accepts, [C]: accepts };
    // Two calls, so that the rotation would have put B first once had B been in the group already.
    for (let i = 0; i < 2; i++) {
      h.clock.advance(60);
      expect((await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: everyone })).dialed).toEqual([A]);
    }
    // The roster read says until when it holds: the instant the leave begins.
    const read = await h.container.roster.candidates({ id: '', to: HOTLINE }, h.clock.now());
    expect(read.agents.map((a) => a.phone)).toEqual([A]);
    expect(read.validUntil?.toISOString()).toBe(begins);
    h.clock.set(new Date(Date.parse(begins) + 1_000));
    expect((await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: everyone })).dialed).toEqual([B]);
  });

  it('refuses a second annual leave overlapping the first, naming it, and a substitute who is away or inactive', async () => {
    const ids = await setup();
    const first = await h.api.post('/api/leaves', { agentId: ids[A], start: '2026-12-01T00:00:00Z', end: '2026-12-08T00:00:00Z', kind: 'annual', substituteAgentId: ids[B] });
    expect(first.status).toBe(201);
    const second = await h.api.post('/api/leaves', { agentId: ids[C], start: '2026-12-07T00:00:00Z', end: '2026-12-10T00:00:00Z', kind: 'annual', substituteAgentId: ids[B] });
    expect(second.status).toBe(409);
    expect(second.body.error.message).toContain(first.body.id);
    // Not annual: allowed, but not with A (away) as the substitute.
    const awaySub = await h.api.post('/api/leaves', { agentId: ids[C], start: '2026-12-07T00:00:00Z', end: '2026-12-10T00:00:00Z', kind: 'sick', substituteAgentId: ids[A] });
    expect(awaySub.status).toBe(409);
    expect(awaySub.body.error.field).toBe('substituteAgentId');
    await h.api.delete(`/api/agents/${ids[B]}`);
    const inactiveSub = await h.api.post('/api/leaves', { agentId: ids[C], start: '2026-12-20T00:00:00Z', end: '2026-12-21T00:00:00Z', kind: 'sick', substituteAgentId: ids[B] });
    expect(inactiveSub.status).toBe(409);
    expect((await h.api.get('/api/leaves')).body.leaves).toHaveLength(1);
    const audit = await h.container.db.query<{ action: string; actor: string }>(`SELECT action, actor FROM audit_log WHERE action LIKE 'roster.%'`);
    expect(audit).toEqual([{ action: 'roster.leave-added', actor: 'admin-token' }]);
  });

  it('two missed offers pause an agent, who is texted and comes back by texting ON; a stranger or an unsigned text changes nothing', async () => {
    h = await startHotline({ AUTO_PAUSE_AFTER: '2' });
    const rest = interceptAfterCallRest(h);
    const a = await h.api.addAgent('Solo', A);
    await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: { does: 'ring-out' } } });
    expect((await h.api.get(`/api/agents/${a.id}`)).body.paused).toBe(false);
    h.clock.advance(60);
    await h.twilio.placeCall({ from: '+8613911113333', to: HOTLINE, agents: { [A]: { does: 'voicemail' } } });
    const paused = (await h.api.get(`/api/agents/${a.id}`)).body;
    expect(paused).toMatchObject({ paused: true, pausedReason: 'auto-pause', onDuty: false });
    const text = rest.sms.find((s) => s.To === A && s.Body!.includes('暂停'));
    expect(text?.Body).toContain('ON');

    // While paused, a call rings nobody and says why.
    h.clock.advance(60);
    const t = await h.twilio.placeCall({ from: '+8613911114444', to: HOTLINE, agents: { [A]: accepts } });
    expect(t.dialed).toEqual([]);
    expect((await lastCall()).skipped).toEqual([{ agentId: a.id, reason: 'paused' }]);

    const sms = (from: string, body: string) => h.twilio.post(h.twilio.url('/webhooks/sms/incoming'), { From: from, To: HOTLINE, Body: body, MessageSid: 'SM' + '0'.repeat(32), AccountSid: h.config.TWILIO_ACCOUNT_SID });
    const stranger = await sms('+8613999999999', 'ON');
    expect(stranger.status).toBe(200);
    expect(stranger.text).toMatch(/<Response><Message>.*上班.*<\/Message><\/Response>/);
    const unsigned = await request(h.app).post('/webhooks/sms/incoming').type('form').send({ From: A, To: HOTLINE, Body: 'ON' });
    expect(unsigned.status).toBeGreaterThanOrEqual(400);
    expect((await h.api.get(`/api/agents/${a.id}`)).body.paused).toBe(true);
    const nonsense = await sms(A, 'hello');
    expect(nonsense.text).toContain('STATUS');
    expect((await h.api.get(`/api/agents/${a.id}`)).body.paused).toBe(true);

    const status = await sms(A, '状态');
    expect(status.text).toContain('暂停中');
    const on = await sms(A, ' on ');
    expect(on.text).toContain('已上班');
    expect((await h.api.get(`/api/agents/${a.id}`)).body).toMatchObject({ paused: false, pausedReason: null, onDuty: true });
    const off = await sms(A, '下班');
    expect(off.text).toContain('已下班');
    expect((await h.api.get(`/api/agents/${a.id}`)).body).toMatchObject({ paused: true, pausedReason: 'sms' });

    const audit = await h.container.db.query<{ action: string; actor: string }>(`SELECT action, actor FROM audit_log WHERE action LIKE 'roster.%' ORDER BY id`);
    expect(audit).toEqual([
      { action: 'roster.pause', actor: 'auto-pause' },
      { action: 'roster.resume', actor: `agent:${a.id}` },
      { action: 'roster.pause', actor: `agent:${a.id}` },
    ]);
  });

  it('a paused agent who texts STATUS is told they are paused and by whom (themselves, an admin, the auto-pause), not that they are off shift', async () => {
    // Monday 10:00: a weekday shift is on, and nobody has a schedule that says otherwise.
    h = await startHotline({ AUTO_PAUSE_AFTER: '1' });
    interceptAfterCallRest(h);
    const byText = await h.api.addAgent('By text', A);
    const byAdmin = await h.api.addAgent('By admin', B);
    const missed = await h.api.addAgent('Missed', C);
    const sms = (from: string, body: string) => h.twilio.post(h.twilio.url('/webhooks/sms/incoming'), { From: from, To: HOTLINE, Body: body, MessageSid: 'SM' + '0'.repeat(32), AccountSid: h.config.TWILIO_ACCOUNT_SID });

    const working = await sms(A, 'STATUS');
    expect(working.text).toContain('接听中');
    expect(working.text).toContain('当前在班');

    await sms(A, 'OFF');
    expect((await h.api.get(`/api/agents/${byText.id}`)).body).toMatchObject({ paused: true, pausedReason: 'sms' });
    const own = (await sms(A, 'STATUS')).text;
    expect(own).toContain('暂停中');
    expect(own).toContain('您本人短信暂停');
    expect(own).toContain('ON');
    expect(own).not.toContain('不在班');

    expect((await h.api.patch(`/api/agents/${byAdmin.id}`, { paused: true })).status).toBe(200);
    const admin = (await sms(B, '状态')).text;
    expect(admin).toContain('管理员暂停');
    expect(admin).toContain('联系管理员');
    expect(admin).not.toContain('不在班');

    // C is the only one left to ring, lets it ring out, and is paused by the auto-pause.
    await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [C]: { does: 'ring-out' } } });
    expect((await h.api.get(`/api/agents/${missed.id}`)).body).toMatchObject({ paused: true, pausedReason: 'auto-pause' });
    const auto = (await sms(C, 'status')).text;
    expect(auto).toContain('连续未接');
    expect(auto).toContain('自动暂停');
    expect(auto).not.toContain('不在班');
  });

  it('STATUS answers in English when the hotline speaks English', async () => {
    h = await startHotline({ PROMPT_LANGUAGE: 'en-US' });
    interceptAfterCallRest(h);
    await h.api.addAgent('By text', A);
    const sms = (body: string) => h.twilio.post(h.twilio.url('/webhooks/sms/incoming'), { From: A, To: HOTLINE, Body: body, MessageSid: 'SM' + '0'.repeat(32), AccountSid: h.config.TWILIO_ACCOUNT_SID });
    await sms('OFF');
    const text = (await sms('STATUS')).text;
    expect(text).toContain('paused by you');
    expect(text).toContain('Reply ON');
    expect(text).not.toContain('off duty');
  });

  it('AUTO_PAUSE_RESUME_MINUTES brings an auto-paused agent back on its own', async () => {
    h = await startHotline({ AUTO_PAUSE_AFTER: '1', AUTO_PAUSE_RESUME_MINUTES: '30' });
    interceptAfterCallRest(h);
    const a = await h.api.addAgent('Solo', A);
    await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: { does: 'ring-out' } } });
    expect((await h.api.get(`/api/agents/${a.id}`)).body.pausedReason).toBe('auto-pause');
    const roster = h.container.features.find((f) => f.name === 'roster') as unknown as { tick(): Promise<void> };
    h.clock.advance(10 * 60);
    await roster.tick();
    expect((await h.api.get(`/api/agents/${a.id}`)).body.paused).toBe(true);
    h.clock.advance(25 * 60);
    await roster.tick();
    expect((await h.api.get(`/api/agents/${a.id}`)).body.paused).toBe(false);
  });

  it('30 calls to each of two hotline numbers spread evenly within each number\'s group', async () => {
    h = await startHotline();
    const id: Record<string, string> = {};
    for (const [i, phone] of [A, B, C, D].entries()) id[phone] = (await h.api.addAgent(`Agent ${i + 1}`, phone)).id;
    const OTHER_LINE = '+864008005678';
    const sales = await h.api.post('/api/hotlines', { number: HOTLINE, name: 'Sales', agentIds: [id[A], id[B], id[C]] });
    expect(sales.status).toBe(201);
    const service = await h.api.post('/api/hotlines', { number: OTHER_LINE, name: 'Service', agentIds: [id[C], id[D]], language: 'zh-CN' });
    expect(service.status).toBe(201);
    expect((await h.api.post('/api/hotlines', { number: OTHER_LINE, name: 'Again', agentIds: [] })).status).toBe(409);

    const firsts = new Map<string, number>();
    const everyone = Object.fromEntries([A, B, C, D].map((p) => [p, accepts]));
    for (let i = 0; i < 30; i++) {
      for (const to of [HOTLINE, OTHER_LINE]) {
        h.clock.advance(60);
        const t = await h.twilio.placeCall({ from: `+86139${String(i).padStart(8, '0')}`, to, agents: everyone });
        const key = `${to} ${t.dialed[0]}`;
        firsts.set(key, (firsts.get(key) ?? 0) + 1);
      }
    }
    expect([...firsts.entries()].sort()).toEqual(
      [
        [`${HOTLINE} ${A}`, 10],
        [`${HOTLINE} ${B}`, 10],
        [`${HOTLINE} ${C}`, 10],
        [`${OTHER_LINE} ${C}`, 15],
        [`${OTHER_LINE} ${D}`, 15],
      ].sort(),
    );
    const onOther = await h.api.get('/api/calls').query({ hotline: OTHER_LINE, limit: 200 });
    expect(onOther.body.calls).toHaveLength(30);
    const figures = await h.api.get('/api/analytics/summary').query({ from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z', hotline: OTHER_LINE });
    expect(figures.body).toMatchObject({ offered: 30, answered: 30 });
    expect(figures.body.agents.map((a: { agentId: string; offeredFirst: number }) => [a.agentId, a.offeredFirst]).sort()).toEqual([[id[C], 15], [id[D], 15]].sort());
    const patched = await h.api.patch(`/api/hotlines/${service.body.id}`, { agentIds: [id[D]] });
    expect(patched.body.agentIds).toEqual([id[D]]);
    expect((await h.api.get('/api/hotlines')).body.hotlines).toHaveLength(2);
  });

  it('a night callback is owned by an agent on duty when it falls due, not by the night shift or someone off that day', async () => {
    const ids = await setup(NIGHT);
    interceptAfterCallRest(h);
    await schedule(ids[A]!, WEEKDAYS_DAY);
    await schedule(ids[B]!, EVERY_NIGHT);
    // C works only at the weekend: not there on Wednesday morning when these fall due.
    await schedule(ids[C]!, [{ day: 6, start: '08:00', end: '20:00' }]);
    const callers = ['+8613911110001', '+8613911110002', '+8613911110003'];
    for (const from of callers) await h.twilio.placeCall({ from, to: HOTLINE, agents: { [A]: accepts, [B]: { does: 'ring-out' }, [C]: accepts } });
    const cbs = (await h.api.get('/api/callbacks')).body.callbacks as { phone: string; window: string; ownerAgentId: string }[];
    expect(cbs.map((c) => c.phone).sort()).toEqual(callers);
    for (const cb of cbs) expect(cb).toMatchObject({ window: 'night', ownerAgentId: ids[A] });
  });

  it('a call that passes over 160 agents records why in a few rows, not one per agent, and still says why for each', async () => {
    const ids = await setup(NIGHT);
    await schedule(ids[A]!, WEEKDAYS_DAY);
    await schedule(ids[C]!, WEEKDAYS_DAY);
    const offDuty = [ids[A]!, ids[C]!];
    const paused: string[] = [];
    for (let i = 0; i < 158; i++) {
      const phone = `+86137${String(i).padStart(8, '0')}`;
      if (i % 4 === 0) {
        const id = (await h.api.addAgent(`Day ${i}`, phone)).id;
        await schedule(id, WEEKDAYS_DAY);
        offDuty.push(id);
      } else paused.push((await h.api.addAgent(`Paused ${i}`, phone, { paused: true })).id);
    }
    // Every row of every table, so the count does not depend on where the skips are kept.
    const allRows = async () => {
      const tables = await h.container.db.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
      let n = 0;
      for (const t of tables) n += Number((await h.container.db.query<{ n: string }>(`SELECT count(*) AS n FROM "${t.tablename}"`))[0]!.n);
      return n;
    };
    const before = await allRows();
    const t = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [B]: accepts } });
    expect(t.dialed).toEqual([B]);
    // The call, its attempt, its events and figures: a few dozen rows at most, whatever the roster.
    expect((await allRows()) - before).toBeLessThan(60);

    const call = (await h.api.get(`/api/calls/${(await lastCall()).id}`)).body;
    expect(call.skipped).toHaveLength(160);
    expect(call.skipped).toEqual(
      expect.arrayContaining([...offDuty.map((agentId) => ({ agentId, reason: 'off-duty' })), ...paused.map((agentId) => ({ agentId, reason: 'paused' }))]),
    );
  });
});
