import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HOTLINE, startHotline, type Hotline } from '../support/hotline-harness';

const CALLER = '+8613911112222';
const A = '+8613800000001';
const B = '+8613800000002';
const C = 'sip:13800000003@trunk.example.cn';

describe('an incoming hotline call', () => {
  let h: Hotline;
  let agents: Record<string, string>;

  beforeEach(async () => {
    h = await startHotline();
    agents = {};
    for (const [name, phone] of [['Agent A', A], ['Agent B', B], ['Agent C', C]] as const) {
      agents[phone] = (await h.api.addAgent(name, phone)).id;
    }
  });
  afterEach(async () => {
    await h.close();
  });

  const onlyCall = async () => {
    const list = await h.api.get('/api/calls');
    expect(list.status).toBe(200);
    expect(list.body.calls).toHaveLength(1);
    return list.body.calls[0];
  };

  it('rings the first agent from the first second; a second-ring answer with 1 a second later is within the rule, recorded as lived', async () => {
    const t = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: { does: 'accept', ringSeconds: 6, pressAfterSeconds: 1, talkSeconds: 90 } } });
    // The incoming answer is the <Dial> itself: the caller hears ringing, the call is not yet answered.
    const first = t.documents[0]!;
    expect(first.children.map((c) => c.name)).toEqual(['Dial']);
    expect(first.children[0]!.attrs.answerOnBridge).toBe('true');
    expect(t.dialed).toEqual([A]);
    expect(t.bridgedTo).toBe(A);
    expect(t.whispers).toEqual(['热线来电，按1接听。']);

    // 1 s of post-dial delay, 6 s ringing, 1 s to press 1 (the key cuts the whisper short).
    expect(t.firstRingAfterSeconds).toBe(1);
    expect(t.waitedSeconds).toBeCloseTo(8, 5);
    const call = await onlyCall();
    expect(call).toMatchObject({ callSid: t.callSid, from: CALLER, to: HOTLINE, outcome: 'answered', answeredByAgentId: agents[A], withinAnswerRule: true, endedBy: 'agent', lineWaitSeconds: 0 });
    expect(Math.abs(call.waitSeconds - t.waitedSeconds!)).toBeLessThanOrEqual(1);
    // Twilio's Timestamps have whole seconds: the recorded first ring is within a second of the lived one.
    expect(Math.abs(call.firstRingSeconds - t.firstRingAfterSeconds!)).toBeLessThanOrEqual(1);
    expect(call.talkSeconds).toBe(90);
    expect(call.attempts).toEqual([expect.objectContaining({ agentId: agents[A], ringSeconds: 6, outcome: 'accepted' })]);
  });

  it('on the second agent\'s turn the hold prompt is part of the wait, and the wait on record is the one lived', async () => {
    const t = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [B]: { does: 'accept', ringSeconds: 6, pressAfterSeconds: 1 } } });
    expect(t.dialed).toEqual([A, B]);
    expect(t.bridgedTo).toBe(B);
    // After the first agent: a short hold message with the callback offer, then the next phone rings.
    const second = t.documents[1]!;
    expect(second.children.map((c) => c.name)).toEqual(['Gather', 'Dial']);
    expect(t.callerHeard[0]).toBe('请稍候，如需回电请按1。');
    // The caller has waited past the rule by the time the whisper plays: the agent is asked to apologise first.
    expect(t.whispers.join()).toContain('请先致歉');

    const call = await onlyCall();
    expect(call.outcome).toBe('answered');
    expect(call.answeredByAgentId).toBe(agents[B]);
    expect(call.withinAnswerRule).toBe(false);
    expect(Math.abs(call.waitSeconds - t.waitedSeconds!)).toBeLessThanOrEqual(1);
    // 15 s of the first Dial (10 s timeout + Twilio's 5 s), ~3.2 s of hold prompt and key window, 1 + 6 + 1.
    expect(t.waitedSeconds!).toBeGreaterThan(25);
    expect(t.waitedSeconds!).toBeLessThan(27);
    expect(call.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['no-answer', 'accepted']);
  });

  it('asks for the apology at the key press when the agent took long enough to push the caller past the rule', async () => {
    const t = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: { does: 'accept', ringSeconds: 5, pressAfterSeconds: 5 } } });
    // The whisper started 6 s in (no apology due yet); the 1 came at 11 s.
    expect(t.whispers).toEqual(['热线来电，按1接听。', '请先向客户致歉。']);
    const call = await onlyCall();
    expect(call.withinAnswerRule).toBe(false);
    // Put through once the cue (1.6 s) was said: the wait on record is the one the caller lived.
    expect(Math.abs(call.waitSeconds - t.waitedSeconds!)).toBeLessThanOrEqual(0.01);
    expect(call.waitSeconds).toBeCloseTo(12.6, 0);
  });

  it('can say a recorded greeting before ringing (GREETING_BEFORE_RING), at the cost of the caller\'s seconds', async () => {
    await h.close();
    h = await startHotline({ GREETING_BEFORE_RING: 'true' });
    agents = {};
    for (const phone of [A, B, C]) agents[phone] = (await h.api.addAgent(phone, phone)).id;
    const t = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: { does: 'accept', ringSeconds: 6, pressAfterSeconds: 1 } } });
    expect(t.documents[0]!.children.map((c) => c.name)).toEqual(['Gather', 'Dial']);
    expect(t.callerHeard[0]).toContain('正在为您接通');
    // The same second-ring answer now falls outside the rule: the greeting and its key window cost ~5.4 s.
    expect(t.firstRingAfterSeconds!).toBeGreaterThan(6);
    const call = await onlyCall();
    expect(call.withinAnswerRule).toBe(false);
    expect(Math.abs(call.waitSeconds - t.waitedSeconds!)).toBeLessThanOrEqual(1);
  });

  it('never lets voicemail take the call: a pick-up without a key press moves on', async () => {
    const t = await h.twilio.placeCall({
      from: CALLER,
      to: HOTLINE,
      agents: { [A]: { does: 'voicemail', ringSeconds: 1 }, [B]: { does: 'press', digit: '9' }, [C]: { does: 'accept' } },
    });
    expect(t.dialed).toEqual([A, B, C]);
    expect(t.bridgedTo).toBe(C);
    const call = await onlyCall();
    expect(call.answeredByAgentId).toBe(agents[C]);
    expect(call.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['rejected-by-screen', 'rejected-by-screen', 'accepted']);
  });

  it('rings a SIP endpoint with <Sip> and a number with <Number>', async () => {
    const t = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [C]: { does: 'accept' } } });
    const legs = t.documents.flatMap((d) => d.children.filter((c) => c.name === 'Dial').map((dial) => dial.children[0]!));
    expect(legs.map((l) => [l.name, l.text])).toEqual([
      ['Number', A],
      ['Number', B],
      ['Sip', C],
    ]);
    expect(legs[0]!.attrs.statusCallbackEvent).toBe('initiated ringing answered completed');
  });

  it('ends as missed with an apology when every agent is busy or absent', async () => {
    const t = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: { does: 'busy' }, [B]: { does: 'fail' }, [C]: { does: 'ring-out' } } });
    expect(t.dialed).toEqual([A, B, C]);
    expect(t.bridgedTo).toBeNull();
    expect(t.callerHeard.at(-1)).toContain('非常抱歉');
    const call = await onlyCall();
    expect(call).toMatchObject({ outcome: 'missed', missedReason: 'all-agents-tried', answeredByAgentId: null, withinAnswerRule: false });
    expect(call.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['busy', 'failed', 'no-answer']);
  });

  it('ends as abandoned when the caller hangs up while an agent is ringing, and frees that agent', async () => {
    const t = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, callerHangsUpDuringAttempt: 1 });
    expect(t.dialed).toEqual([A, B]);
    expect(t.callerHungUp).toBe(true);
    const call = await onlyCall();
    expect(call.outcome).toBe('abandoned');
    expect(call.endedBy).toBe('caller');
    expect(call.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['no-answer', 'caller-gone']);
    expect(await h.container.coordinator.holderOf(agents[B]!)).toBeNull();

    // The freed agent is offered the next call straight away.
    const next = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [B]: { does: 'accept' } } });
    expect(next.bridgedTo).toBe(B);
  });

  it('stops hunting once the caller has waited the maximum', async () => {
    await h.close();
    h = await startHotline({ MAX_CALLER_WAIT_SECONDS: '40', AGENT_RING_SECONDS: '20' });
    for (const phone of [A, B, C]) await h.api.addAgent(phone, phone);
    const t = await h.twilio.placeCall({ from: CALLER, to: HOTLINE });
    // 20 s wanted, Twilio adds 5: Dial timeout 15. After the first ring-out (20 s) and the hold
    // prompt (3.2 s) 16.8 s remain: the second phone rings 11 + 5 s; no time is left for a third.
    expect(t.dialTimeouts).toEqual([15, 11]);
    expect(t.dialed.length).toBe(2);
    const call = await onlyCall();
    expect(call.outcome).toBe('missed');
    expect(call.missedReason).toBe('max-wait');
    // No phone rang past the caller's remaining wait: the apology came within the maximum (plus
    // the whole seconds Twilio's <Dial timeout> is rounded to).
    const waited = (Date.parse(call.endedAt) - Date.parse(call.startedAt)) / 1000;
    expect(waited).toBeLessThanOrEqual(40 + 1);
  });

  it('measures ring time from Twilio timestamps even when status callbacks come reversed and twice', async () => {
    for (const legEvents of ['reversed', 'duplicated'] as const) {
      await h.twilio.placeCall({ from: CALLER, to: HOTLINE, legEvents, agents: { [A]: { does: 'accept', ringSeconds: 4 }, [B]: { does: 'accept', ringSeconds: 4 } } });
    }
    const list = await h.api.get('/api/calls');
    expect(list.body.calls).toHaveLength(2);
    for (const call of list.body.calls) {
      expect(call.attempts).toHaveLength(1);
      expect(call.attempts[0].ringSeconds).toBe(4);
    }
    const rows = await h.container.db.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM leg_events');
    // initiated, ringing, in-progress, completed per leg: duplicates are not stored twice
    expect(rows[0]!.n).toBe(8);
  });

  it('answers a repeated incoming webhook without ringing anyone twice', async () => {
    const params = { CallSid: 'CA' + 'b'.repeat(32), From: CALLER, To: HOTLINE, CallStatus: 'ringing' };
    const first = await h.twilio.post(h.twilio.url('/webhooks/voice/incoming'), params);
    const again = await h.twilio.post(h.twilio.url('/webhooks/voice/incoming'), params);
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    const dialOf = (xml: string) => /<Number[^>]*>([^<]+)<\/Number>/.exec(xml)?.[1];
    expect(dialOf(again.text)).toBe(dialOf(first.text));
    const call = await onlyCall();
    expect(call.attempts).toHaveLength(1);
  });

  describe('when the agent pressed 1 but the bridge never happened', () => {
    const pressOne = async (sid: string) => {
      const first = await h.twilio.post(h.twilio.url('/webhooks/voice/incoming'), { CallSid: sid, From: CALLER, To: HOTLINE });
      const attempt = /attempt=([0-9a-f-]{36})/.exec(first.text)![1]!;
      const child = 'CA' + 'f'.repeat(32);
      h.clock.advance(4);
      await h.twilio.post(h.twilio.url(`/webhooks/voice/screen?attempt=${attempt}`), { CallSid: child });
      await h.twilio.post(h.twilio.url(`/webhooks/voice/screen-result?attempt=${attempt}`), { CallSid: child, Digits: '1' });
      h.clock.advance(1);
      return attempt;
    };
    const dialResult = (attempt: string, sid: string, callStatus: string, bridged: boolean) =>
      h.twilio.post(h.twilio.url(`/webhooks/voice/dial-result?attempt=${attempt}`), { CallSid: sid, CallStatus: callStatus, DialCallStatus: 'completed', DialBridged: String(bridged) });

    it('rings the next agent for the caller who is still waiting', async () => {
      const sid = 'CA' + '7'.repeat(32);
      const attempt = await pressOne(sid);
      const next = await dialResult(attempt, sid, 'in-progress', false);
      expect(next.text).toContain(`>${B}</Number>`);
      const call = await onlyCall();
      expect(call).toMatchObject({ state: 'hunting', outcome: null, answeredByAgentId: null });
      expect(call.attempts.map((a: { outcome: string | null }) => a.outcome)).toEqual(['not-bridged', null]);
    });

    it('records a caller who hung up in between as abandoned, not answered, and frees the agent', async () => {
      const sid = 'CA' + 'c'.repeat(32);
      const attempt = await pressOne(sid);
      const after = await dialResult(attempt, sid, 'completed', false);
      expect(after.text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
      expect(await onlyCall()).toMatchObject({ outcome: 'abandoned', answeredByAgentId: null, withinAnswerRule: false, talkSeconds: null, waitSeconds: 5 });
      expect(await h.container.coordinator.holderOf(agents[A]!)).toBeNull();
    });

    it('leaves the outcome to the Dial action when the caller status callback comes first', async () => {
      const sid = 'CA' + '8'.repeat(32);
      const attempt = await pressOne(sid);
      await h.twilio.callStatus(sid, 'completed');
      expect((await onlyCall()).state).toBe('connected');
      await dialResult(attempt, sid, 'completed', false);
      expect(await onlyCall()).toMatchObject({ outcome: 'abandoned', answeredByAgentId: null });
    });

    it('still records a real conversation as answered whichever callback comes first', async () => {
      const sid = 'CA' + '9'.repeat(32);
      const attempt = await pressOne(sid);
      h.clock.advance(30);
      await h.twilio.callStatus(sid, 'completed');
      await dialResult(attempt, sid, 'completed', true);
      expect(await onlyCall()).toMatchObject({ outcome: 'answered', endedBy: 'caller', answeredByAgentId: agents[A], talkSeconds: 31 });
    });
  });

  it('rings an agent for a repeated incoming webhook that overtook the first one', async () => {
    const sid = 'CA' + 'a'.repeat(32);
    // The first request stored the call but had not yet offered it to anyone.
    await h.container.calls.createCall({ callSid: sid, from: CALLER, to: HOTLINE, callerName: null, startedAt: h.clock.now() }, 0);
    const repeat = await h.twilio.post(h.twilio.url('/webhooks/voice/incoming'), { CallSid: sid, From: CALLER, To: HOTLINE });
    expect(repeat.text).toContain(`>${A}</Number>`);
    expect((await onlyCall()).attempts).toHaveLength(1);
  });

  it('skips a paused agent and an inactive one', async () => {
    await h.api.patch(`/api/agents/${agents[A]}`, { paused: true });
    await h.api.delete(`/api/agents/${agents[B]}`);
    const t = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [C]: { does: 'accept' } } });
    expect(t.dialed).toEqual([C]);
  });
});
