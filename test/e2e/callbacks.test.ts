import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CallbackFeature } from '../../src/callbacks/callback-feature';
import { ACCOUNT_SID, HOTLINE, PUBLIC_BASE_URL, startHotline, TWILIO_API, type Hotline } from '../support/hotline-harness';
import { interceptTwilioRest, playCallbackCall, type RestCapture } from '../support/outbound-call';
import { find } from '../../src/simulator/twiml-tree';
import { randomSid } from '../support/twilio-driver';

const CALLER = '+8613911112222';
const A = '+8613800000001';
const B = '+8613800000002';
const C = '+8613800000003';
const OTHER = '+8613977778888';
const DUTY = '+8613000000000';
// The harness clock starts at 2026-11-23 10:00 in Shanghai: inside the day window.
const START = '2026-11-23T02:00:00Z';

const featureOf = (h: Hotline) => h.container.features.find((f) => f.name === 'callbacks') as CallbackFeature;

describe('a caller nobody answered', () => {
  let h: Hotline;
  let rest: RestCapture;
  let agents: Record<string, string>;

  beforeEach(async () => {
    h = await startHotline({}, START);
    rest = interceptTwilioRest(TWILIO_API, ACCOUNT_SID);
    agents = {};
    for (const [name, phone] of [['Agent A', A], ['Agent B', B], ['Agent C', C]] as const) agents[phone] = (await h.api.addAgent(name, phone)).id;
  });
  afterEach(async () => {
    nock.cleanAll();
    await h.close();
  });

  const callbacks = async (status?: string) => {
    const res = await h.api.get(`/api/callbacks${status ? `?status=${status}` : ''}`);
    expect(res.status).toBe(200);
    return res.body.callbacks as Record<string, any>[];
  };
  const missedCall = (extra: object = {}) => h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: { does: 'ring-out' }, [B]: { does: 'busy' }, [C]: { does: 'ring-out' } }, ...extra });

  it('gets one callback owned by the first agent who let it ring, due in 2 hours, and the owner is texted at once', async () => {
    const t = await missedCall();
    expect(t.dialed[0]).toBe(A);
    const [cb, ...others] = await callbacks();
    expect(others).toEqual([]);
    const call = (await h.api.get('/api/calls')).body.calls[0];
    expect(cb).toMatchObject({ phone: CALLER, callIds: [call.id], status: 'open', ownerAgentId: agents[A], window: 'day', attempts: [] });
    expect(cb!.dueAt).toBe(new Date(new Date(START).getTime() + 2 * 3_600_000).toISOString());

    expect(await featureOf(h).scheduler.runDue(h.clock.now())).toBe(1);
    expect(rest.sms).toHaveLength(1);
    const sms = rest.sms[0]!;
    expect(sms).toMatchObject({ To: A, From: HOTLINE });
    expect(sms.Body).toContain(CALLER);
    expect(sms.Body).toContain('12:00前回电');
    expect(sms.Body).toMatch(new RegExp(`${PUBLIC_BASE_URL}/callbacks/dial\\?token=`));

    // A second miss from the same number joins the open callback; nobody is texted twice.
    await missedCall();
    const again = await callbacks();
    expect(again).toHaveLength(1);
    expect(again[0]!.callIds).toHaveLength(2);
    await featureOf(h).scheduler.runDue(h.clock.now());
    expect(rest.sms).toHaveLength(1);

    // 30 minutes before the deadline the owner is reminded.
    h.clock.set(new Date(new Date(cb!.dueAt).getTime() - 30 * 60_000));
    await featureOf(h).scheduler.runDue(h.clock.now());
    expect(rest.sms).toHaveLength(2);
    expect(rest.sms[1]!.Body).toContain('回电提醒');
  });

  it('can be handed to another agent when its owner leaves the roster, who is then texted and places it', async () => {
    await missedCall();
    const [cb] = await callbacks();
    expect(cb!.ownerAgentId).toBe(agents[A]);
    await h.api.delete(`/api/agents/${agents[A]}`);
    await featureOf(h).scheduler.runDue(h.clock.now());
    expect(rest.sms).toEqual([]); // the departed owner is not texted

    const refused = await h.api.post(`/api/callbacks/${cb!.id}/dial`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('PATCH /api/callbacks/:id');
    const toInactive = await h.api.patch(`/api/callbacks/${cb!.id}`, { ownerAgentId: agents[A] });
    expect(toInactive.status).toBe(400);
    expect(toInactive.body.error.field).toBe('ownerAgentId');

    const moved = await h.api.patch(`/api/callbacks/${cb!.id}`, { ownerAgentId: agents[B] });
    expect(moved.status).toBe(200);
    expect(moved.body.ownerAgentId).toBe(agents[B]);
    await featureOf(h).scheduler.runDue(h.clock.now());
    expect(rest.sms.map((m) => m.To)).toEqual([B]);
    expect((await h.api.post(`/api/callbacks/${cb!.id}/dial`)).status).toBe(202);
    expect(rest.calls[0]!.params.get('To')).toBe(B);
  });

  it('lets the caller press 1 for a callback during a greeting before ringing (GREETING_BEFORE_RING)', async () => {
    await h.close();
    h = await startHotline({ GREETING_BEFORE_RING: 'true' }, START);
    for (const [name, phone] of [['Agent A', A], ['Agent B', B], ['Agent C', C]] as const) agents[phone] = (await h.api.addAgent(name, phone)).id;
    const t = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, pressWhileHolding: { beforeAttempt: 0, digit: '1' } });
    expect(t.callerHeard[0]).toContain('如需回电请按1');
    expect(t.dialed).toEqual([]);
    expect(t.callerHeard.at(-1)).toContain('我们会尽快给您回电');
    const call = (await h.api.get('/api/calls')).body.calls[0];
    expect(call).toMatchObject({ outcome: 'missed', missedReason: 'callback-requested' });
    expect(call.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['callback-requested']);
    // The agent who was about to be rung is free again.
    expect(await h.container.coordinator.holderOf(call.attempts[0].agentId)).toBeNull();
    const [cb] = await callbacks();
    expect(cb).toMatchObject({ phone: CALLER, requestedByCaller: true, status: 'open' });
    // Nobody's phone rang: the owner comes from the rotation.
    expect(Object.values(agents)).toContain(cb!.ownerAgentId);
    // ... and no agent counts as offered the call in the figures.
    const summary = await h.api.get('/api/analytics/summary?from=2026-11-23T00:00:00Z&to=2026-11-24T00:00:00Z');
    expect(summary.body).toMatchObject({ offered: 1, missed: 1, agents: [] });
  });

  it('is owned by nobody who rang only a moment before the caller hung up: the owner rotation decides', async () => {
    // A's phone is busy, B's rings for 3 s, then the caller gives up (~7 s in all, no misdial).
    const t = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: { does: 'busy' }, [B]: { does: 'ring-out' } }, callerHangsUpDuringAttempt: 1 });
    expect(t.dialed.slice(0, 2)).toEqual([A, B]);
    const call = (await h.api.get('/api/calls')).body.calls[0];
    expect(call).toMatchObject({ outcome: 'abandoned' });
    const [cb] = await callbacks();
    expect(cb!.ownerAgentId).not.toBe(agents[B]);
    // The owner rotation's first turn: the first agent on the roster.
    expect(cb!.ownerAgentId).toBe(agents[A]);
  });

  it('between two agents, a 1 makes the agent who let it ring the owner; another key carries on', async () => {
    const t = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, pressWhileHolding: { beforeAttempt: 1, digit: '1' } });
    expect(t.dialed).toEqual([A]);
    const [cb] = await callbacks();
    expect(cb!.ownerAgentId).toBe(agents[A]);

    // The rotation starts this call at B, who lets it ring; a 5 before C is rung changes nothing.
    const other = await h.twilio.placeCall({ from: '+8613977778888', to: HOTLINE, pressWhileHolding: { beforeAttempt: 1, digit: '5' }, agents: { [B]: { does: 'ring-out' }, [C]: { does: 'accept' } } });
    expect(other.dialed).toEqual([B, C]);
    expect(other.bridgedTo).toBe(C);
  });

  it('keeps a voice message with the callback, visible only through the admin API', async () => {
    const t = await missedCall({ voiceMessage: { seconds: 12 } });
    expect(t.voiceMessageSid).toMatch(/^RE/);
    expect(t.callerHeard.join()).toContain('留言');
    const [listed] = await callbacks();
    expect(listed!.hasVoiceMessage).toBe(true);
    expect(JSON.stringify(listed)).not.toContain('Recordings');
    const one = await h.api.get(`/api/callbacks/${listed!.id}`);
    expect(one.body.voiceMessage).toEqual({ sid: t.voiceMessageSid, seconds: 12 });
    // Never Twilio's media address (R12): the message is heard through GET /api/calls/:id/recording.
    expect(JSON.stringify(one.body)).not.toContain('Recordings');
  });

  it('is called back through the hotline number: owner first, then the customer, and then it is done', async () => {
    await missedCall();
    const [cb] = await callbacks();
    const placed = await h.api.post(`/api/callbacks/${cb!.id}/dial`);
    expect(placed.status).toBe(202);
    expect(rest.calls).toHaveLength(1);
    const req = rest.calls[0]!.params;
    expect(req.get('To')).toBe(A);
    expect(req.get('From')).toBe(HOTLINE);
    expect(req.get('Url')).toBe(`${PUBLIC_BASE_URL}/webhooks/voice/callback-owner?attempt=${placed.body.attempt.id}`);
    expect(req.get('StatusCallback')).toContain('/webhooks/voice/callback-status?');
    expect(req.getAll('StatusCallbackEvent')).toEqual(['initiated', 'ringing', 'answered', 'completed']);
    expect(placed.body.attempt.ownerCallSid).toBe(rest.calls[0]!.sid);

    // A second press while the first call is under way does not ring anyone twice.
    expect((await h.api.post(`/api/callbacks/${cb!.id}/dial`)).status).toBe(409);

    const t = await playCallbackCall(h.twilio, h.clock, rest.calls[0]!, { does: 'press', digit: '1' }, { does: 'answer' });
    expect(t.ownerHeard[0]).toContain('1 3 9 1 1 1 1 2 2 2 2');
    expect(t.dialedNumber).toBe(CALLER);
    expect(t.dial!.attrs.callerId).toBe(HOTLINE);

    const done = (await h.api.get(`/api/callbacks/${cb!.id}`)).body;
    expect(done.status).toBe('done');
    expect(done.attempts).toEqual([expect.objectContaining({ outcome: 'connected', placedVia: 'admin', agentId: agents[A] })]);
    expect(done.attempts[0].customerAnsweredAt).not.toBeNull();
    expect((await h.api.post(`/api/callbacks/${cb!.id}/dial`)).status).toBe(409);
  });

  it('is not done when the customer voicemail picked up, whichever comes first: the detection or the end of the leg', async () => {
    for (const detected of ['before-the-end', 'after-the-end'] as const) {
      const caller = detected === 'before-the-end' ? '+8613911113333' : '+8613911114444';
      await h.twilio.placeCall({ from: caller, to: HOTLINE });
      const cb = (await callbacks()).find((c) => c.phone === caller)!;
      expect((await h.api.post(`/api/callbacks/${cb.id}/dial`)).status).toBe(202);
      const t = await playCallbackCall(h.twilio, h.clock, rest.calls.at(-1)!, { does: 'press', digit: '1' }, { does: 'voicemail', detected });
      expect(t.dial!.children[0]!.attrs).toMatchObject({ machineDetection: 'Enable', amdStatusCallback: expect.stringContaining('/webhooks/voice/callback-amd?attempt=') });
      const after = (await h.api.get(`/api/callbacks/${cb.id}`)).body;
      expect(after).toMatchObject({ status: 'attempted', doneAt: null });
      expect(after.attempts).toEqual([expect.objectContaining({ outcome: 'customer-voicemail' })]);
    }
  });

  it('counts only dials that reached the customer, and gives up after 3 failed ones', async () => {
    await missedCall();
    const [cb] = await callbacks();
    const attempt = async (owner: Parameters<typeof playCallbackCall>[3], customer: Parameters<typeof playCallbackCall>[4]) => {
      expect((await h.api.post(`/api/callbacks/${cb!.id}/dial`)).status).toBe(202);
      await playCallbackCall(h.twilio, h.clock, rest.calls.at(-1)!, owner, customer);
      return (await h.api.get(`/api/callbacks/${cb!.id}`)).body;
    };
    // The owner's own voicemail or silence is not a call to the customer.
    let now = await attempt({ does: 'no-answer' }, undefined);
    expect(now).toMatchObject({ status: 'open', firstAttemptAt: null });
    now = await attempt({ does: 'press', digit: '1' }, { does: 'no-answer' });
    expect(now.status).toBe('attempted');
    expect(now.firstAttemptAt).not.toBeNull();
    now = await attempt({ does: 'press', digit: '1' }, { does: 'busy' });
    expect(now.status).toBe('attempted');
    now = await attempt({ does: 'press', digit: '1' }, { does: 'no-answer' });
    expect(now.status).toBe('unreachable');
    expect(now.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['owner-no-answer', 'customer-no-answer', 'customer-busy', 'customer-no-answer']);
  });

  it('is never opened for a withheld number: each miss stays visible as missed, with no customer file and no owner', async () => {
    const withheld = ['+266696687', '+266696687', '+86282452253', 'anonymous'];
    for (const from of withheld) await missedCall({ from });
    expect(await callbacks()).toEqual([]);
    const calls = (await h.api.get('/api/calls')).body.calls as Record<string, unknown>[];
    expect(calls).toHaveLength(4);
    for (const call of calls) expect(call).toMatchObject({ outcome: 'missed', customerId: null, repeatCaller: false });
    expect((await h.api.get(`/api/customers/${encodeURIComponent('+266696687')}`)).status).toBe(404);
    // Nobody is texted, and nothing lapses into a fine.
    h.clock.advance(3 * 3600);
    await featureOf(h).scheduler.runDue(h.clock.now());
    expect(rest.sms.filter((m) => m.Body?.includes('【热线回电】'))).toEqual([]);
    expect((await h.api.get('/api/fines?month=2026-11')).body.agents).toEqual([]);
  });

  describe('the owner pressed 1 and hung up before the customer was dialled', () => {
    const ownerHangsUp = async (cbId: string, beforeHangingUp?: () => Promise<void>) => {
      expect((await h.api.post(`/api/callbacks/${cbId}/dial`)).status).toBe(202);
      return playCallbackCall(h.twilio, h.clock, rest.calls.at(-1)!, { does: 'press-then-hang-up', beforeHangingUp });
    };

    it('is back to open at once, can be placed again, and still lapses and fines its owner', async () => {
      await missedCall();
      const [cb] = await callbacks();
      const t = await ownerHangsUp(cb!.id);
      expect(t.dial).not.toBeNull(); // the customer's <Dial> was on its way
      let now = (await h.api.get(`/api/callbacks/${cb!.id}`)).body;
      expect(now).toMatchObject({ status: 'open', firstAttemptAt: null });
      expect(now.attempts).toEqual([expect.objectContaining({ outcome: 'owner-hung-up', finishedAt: expect.any(String) })]);

      // Nothing is left in flight: it is placed again, and the owner lets it ring this time.
      expect((await h.api.post(`/api/callbacks/${cb!.id}/dial`)).status).toBe(202);
      await playCallbackCall(h.twilio, h.clock, rest.calls.at(-1)!, { does: 'no-answer' });

      h.clock.set(new Date(new Date(cb!.dueAt).getTime() + 60_000));
      await featureOf(h).scheduler.runDue(h.clock.now());
      now = (await h.api.get(`/api/callbacks/${cb!.id}`)).body;
      expect(now).toMatchObject({ status: 'open', lapsedAt: cb!.dueAt });
      const fines = (await h.api.get('/api/fines?month=2026-11')).body.agents;
      expect(fines).toEqual([expect.objectContaining({ agentId: agents[A], lapses: 1, total: 20 })]);
    });

    it('lapses even when its deadline was judged between the key and the hang-up', async () => {
      await missedCall();
      const [cb] = await callbacks();
      const due = new Date(cb!.dueAt).getTime();
      h.clock.set(new Date(due - 60_000)); // the key comes some seconds later, before the deadline
      await ownerHangsUp(cb!.id, async () => {
        // The deadline is judged while the press still looks like a dial of the customer.
        h.clock.set(new Date(due + 1_000));
        await featureOf(h).scheduler.runDue(h.clock.now());
        const judged = (await h.api.get(`/api/callbacks/${cb!.id}`)).body;
        expect(judged).toMatchObject({ status: 'attempted', lapsedAt: null });
        expect(judged.jobs.find((j: { kind: string }) => j.kind === 'deadline').status).toBe('skipped');
      });
      h.clock.advance(120);
      await featureOf(h).scheduler.runDue(h.clock.now());
      expect((await h.api.get(`/api/callbacks/${cb!.id}`)).body).toMatchObject({ status: 'open', lapsedAt: cb!.dueAt });
      expect((await h.api.get('/api/fines?month=2026-11')).body.agents).toEqual([expect.objectContaining({ agentId: agents[A], total: 20 })]);
    });

    it("counts the customer's leg after all when its reports come after the owner's hang-up", async () => {
      await missedCall();
      const [cb] = await callbacks();
      const t = await ownerHangsUp(cb!.id);
      // The owner hung up while the customer's phone rang: Twilio's reports of that leg arrive last.
      const leg = t.dial!.children[0]!;
      const child = randomSid('CA');
      const base = { AccountSid: ACCOUNT_SID, CallSid: child, CallbackSource: 'call-progress-events', Timestamp: h.clock.now().toUTCString() };
      for (const [i, CallStatus] of ['initiated', 'ringing', 'canceled'].entries()) {
        expect((await h.twilio.post(leg.attrs.statusCallback!, { ...base, CallStatus, SequenceNumber: String(i) })).status).toBe(204);
      }
      const owner = rest.calls.at(-1)!;
      await h.twilio.post(t.dial!.attrs.action!, { AccountSid: ACCOUNT_SID, CallSid: owner.sid, CallStatus: 'completed', DialCallStatus: 'canceled', DialCallSid: child, DialBridged: 'false' });
      const now = (await h.api.get(`/api/callbacks/${cb!.id}`)).body;
      expect(now).toMatchObject({ status: 'attempted', firstAttemptAt: expect.any(String) });
      expect(now.attempts).toEqual([expect.objectContaining({ outcome: 'customer-canceled' })]);
    });
  });

  describe("the owner's phone is one agent's phone", () => {
    it('is claimed for the whole callback call: no hotline call rings the owner meanwhile, and they are free once it ends', async () => {
      await missedCall();
      const [cb] = await callbacks();
      // Only the owner is on duty now.
      await h.api.delete(`/api/agents/${agents[B]}`);
      await h.api.delete(`/api/agents/${agents[C]}`);
      const placed = await h.api.post(`/api/callbacks/${cb!.id}/dial`);
      expect(placed.status).toBe(202);
      // A hotline caller who would give up after waiting a while (for no longer than a phone rings).
      const hotlineCall = (hangsUpAfterSeconds?: number) => h.twilio.placeCall({ from: OTHER, to: HOTLINE, hangsUpAfterSeconds, agents: { [A]: { does: 'accept', talkSeconds: 5 } } });

      // While the owner's phone rings for the callback...
      expect((await hotlineCall(8)).dialed).toEqual([]);
      // ...and while they talk to the customer.
      let duringTalk: string[] | undefined;
      await playCallbackCall(h.twilio, h.clock, rest.calls[0]!, { does: 'press', digit: '1' }, {
        does: 'answer',
        whileTalking: async () => void (duringTalk = (await hotlineCall()).dialed),
      });
      expect(duringTalk).toEqual([]);
      expect((await h.api.get(`/api/callbacks/${cb!.id}`)).body.status).toBe('done');
      expect(await h.container.coordinator.holderOf(agents[A]!)).toBeNull();
      expect((await hotlineCall()).bridgedTo).toBe(A);
    });

    it('is refused (409) while the owner is ringing or talking for a hotline call, and placed once they are free', async () => {
      await missedCall();
      const [cb] = await callbacks();
      let refused: { status: number; body: any } | undefined;
      // B and C are busy, so the hotline call is A's.
      const t = await h.twilio.placeCall({
        from: OTHER,
        to: HOTLINE,
        agents: {
          [A]: { does: 'accept', whileTalking: async () => void (refused = await h.api.post(`/api/callbacks/${cb!.id}/dial`)) },
          [B]: { does: 'busy' },
          [C]: { does: 'busy' },
        },
      });
      expect(t.bridgedTo).toBe(A);
      expect(refused!.status).toBe(409);
      expect(refused!.body.error.message).toContain('hotline call');
      expect(rest.calls).toEqual([]);
      expect((await h.api.get(`/api/callbacks/${cb!.id}`)).body.attempts).toEqual([]);
      expect((await h.api.post(`/api/callbacks/${cb!.id}/dial`)).status).toBe(202);
    });
  });

  it("never sends the owner's leg to the duty number when a callback webhook fails", async () => {
    await h.close();
    h = await startHotline({ FALLBACK_NUMBER: DUTY }, START);
    rest = interceptTwilioRest(TWILIO_API, ACCOUNT_SID);
    for (const [name, phone] of [['Agent A', A], ['Agent B', B], ['Agent C', C]] as const) agents[phone] = (await h.api.addAgent(name, phone)).id;
    await missedCall();
    const [cb] = await callbacks();
    expect((await h.api.post(`/api/callbacks/${cb!.id}/dial`)).status).toBe(202);
    const t = await playCallbackCall(h.twilio, h.clock, rest.calls[0]!, { does: 'press', digit: '1' }, { does: 'no-answer' }, {
      // The database fails just as the customer's <Dial> reports back.
      beforeDialAction: async () => void vi.spyOn(featureOf(h).callbacks, 'getAttempt').mockRejectedValueOnce(new Error('database down')),
    });
    expect(t.afterDial).not.toBeNull();
    expect(find(t.afterDial!, 'Dial')).toBeUndefined();
    expect(JSON.stringify(t.afterDial)).not.toContain(DUTY);
    expect(find(t.afterDial!, 'Hangup')).toBeDefined();
  });

  it('closes itself when the caller phones again and is answered', async () => {
    await missedCall();
    await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: { does: 'accept' }, [B]: { does: 'accept' }, [C]: { does: 'accept' } } });
    const [cb] = await callbacks();
    const calls = (await h.api.get('/api/calls')).body.calls;
    expect(cb).toMatchObject({ status: 'closed', closedByCallId: calls[0].id });
    expect(await callbacks('open')).toEqual([]);
    await featureOf(h).scheduler.runDue(h.clock.now());
    // (Other features may text the agent who answered; no callback SMS goes out.)
    expect(rest.sms.filter((m) => m.Body?.includes('【热线回电】'))).toEqual([]);
  });

  it('ignores a hang-up within the first seconds (a misdial), but not a caller who gave up waiting', async () => {
    await h.twilio.placeCall({ from: CALLER, to: HOTLINE, callerHangsUpDuringAttempt: 0 });
    expect(await callbacks()).toEqual([]);
    await h.twilio.placeCall({ from: CALLER, to: HOTLINE, callerHangsUpDuringAttempt: 1 });
    const [cb] = await callbacks();
    expect(cb).toMatchObject({ phone: CALLER, ownerAgentId: expect.any(String) });
  });

  it('places the call from the signed link only on POST, and refuses a wrong token', async () => {
    await missedCall();
    await featureOf(h).scheduler.runDue(h.clock.now());
    const link = /https:\/\/\S+/.exec(rest.sms[0]!.Body!)![0];
    const path = link.slice(PUBLIC_BASE_URL.length);
    const request = (await import('supertest')).default;
    const page = await request(h.app).get(path);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<form method="post"');
    expect(rest.calls).toHaveLength(0);

    const token = new URL(link).searchParams.get('token')!;
    const placed = await request(h.app).post('/callbacks/dial').type('form').send({ token });
    expect(placed.status).toBe(202);
    expect(rest.calls).toHaveLength(1);
    expect(rest.calls[0]!.params.get('To')).toBe(A);

    expect((await request(h.app).get('/callbacks/dial?token=' + token.slice(0, -2) + 'xx')).status).toBe(401);
    expect((await request(h.app).post('/callbacks/dial').type('form').send({ token: 'nonsense' })).status).toBe(401);
  });

  it("stops a link working for its agent once the callback is handed to another: the customer's number is no longer shown to them", async () => {
    await missedCall();
    await featureOf(h).scheduler.runDue(h.clock.now());
    const link = /https:\/\/\S+/.exec(rest.sms[0]!.Body!)![0];
    const path = link.slice(PUBLIC_BASE_URL.length);
    const token = new URL(link).searchParams.get('token')!;
    const request = (await import('supertest')).default;
    expect((await request(h.app).get(path)).text).toContain(CALLER.slice(1));

    const [cb] = await callbacks();
    expect((await h.api.patch(`/api/callbacks/${cb!.id}`, { ownerAgentId: agents[B] })).status).toBe(200);
    const old = await request(h.app).get(path);
    expect(old.status).toBe(403);
    expect(old.text).not.toContain(CALLER.slice(1));
    expect(old.text).not.toContain(CALLER.slice(-4));
    const placed = await request(h.app).post('/callbacks/dial').type('form').send({ token });
    expect(placed.status).toBe(403);
    expect(placed.text).not.toContain(CALLER.slice(1));
    expect(rest.calls).toHaveLength(0);

    // The new owner's own link works.
    await featureOf(h).scheduler.runDue(h.clock.now());
    const theirs = /https:\/\/\S+/.exec(rest.sms.find((m) => m.To === B)!.Body!)![0];
    const page = await request(h.app).get(theirs.slice(PUBLIC_BASE_URL.length));
    expect(page.status).toBe(200);
    expect(page.text).toContain(CALLER.slice(1));
  });

  it('answers bad input with a 400 naming the field, and a wrong token with 401', async () => {
    const bad = await h.api.get('/api/callbacks?status=lost');
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('status');
    const badId = await h.api.post('/api/callbacks/not-an-id/dial');
    expect(badId.status).toBe(400);
    expect(badId.body.error.field).toBe('id');
    expect((await h.api.get(`/api/callbacks/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`)).status).toBe(404);
    const request = (await import('supertest')).default;
    expect((await request(h.app).get('/api/callbacks').set('Authorization', 'Bearer wrong-token-wrong-token')).status).toBe(401);
    expect((await request(h.app).get('/api/fines')).status).toBe(401);
  });
});
