import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { interceptAfterCallRest } from '../support/after-call';
import { HOTLINE, startHotline, type Hotline } from '../support/hotline-harness';

const A = '+8613800000001';
const B = '+8613800000002';
const FIRST = '+8613911110001';
const SECOND = '+8613911110002';
const THIRD = '+8613911110003';

interface CallJson {
  callSid: string;
  outcome: string;
  missedReason: string | null;
  answeredByAgentId: string | null;
  lineWaitSeconds: number;
  waitSeconds: number;
  attempts: { agentId: string; outcome: string }[];
}

describe('when every agent is busy, callers wait in a fair line', () => {
  let h: Hotline;
  let a: string;

  beforeEach(async () => {
    h = await startHotline();
    // Moving a waiting caller is a REST call update, which the model of Twilio obeys.
    interceptAfterCallRest(h);
    a = (await h.api.addAgent('Agent A', A)).id;
  });
  afterEach(async () => {
    await h.close();
  });

  const callOf = async (sid: string): Promise<CallJson> => {
    const list = await h.api.get('/api/calls');
    return list.body.calls.find((c: CallJson) => c.callSid === sid);
  };

  it('holds the next caller, rings them when the agent frees up before a later caller, and turns a wait that runs out into a callback', async () => {
    const [first, second, third] = await h.twilio.placeCalls([
      { from: FIRST, to: HOTLINE, agents: { [A]: { does: 'accept', ringSeconds: 3, talkSeconds: 30 } } },
      { from: SECOND, to: HOTLINE, arriveAfterSeconds: 5, agents: { [A]: { does: 'accept', ringSeconds: 2, talkSeconds: 40 } } },
      { from: THIRD, to: HOTLINE, arriveAfterSeconds: 8, agents: { [A]: { does: 'accept' } } },
    ]);
    expect(first!.bridgedTo).toBe(A);

    // The second caller held (hold message, music) and was rung as soon as A's talk ended.
    expect(second!.callerHeard[0]).toBe('客服正忙，请稍候。如需回电请按1。');
    expect(second!.dialed).toEqual([A]);
    expect(second!.bridgedTo).toBe(A);
    expect(second!.heldSeconds).toBeGreaterThan(25);
    // The third heard that one caller was ahead, was never rung, and ran out of wait (60 s).
    expect(third!.callerHeard[0]).toBe('客服正忙，您前面还有1位客户，请稍候。如需回电请按1。');
    expect(third!.dialed).toEqual([]);

    const s = await callOf(second!.callSid);
    expect(s).toMatchObject({ outcome: 'answered', answeredByAgentId: a });
    // The time in line is on record apart from the ringing, and the wait on record is the one lived.
    expect(s.lineWaitSeconds).toBeGreaterThan(25);
    expect(s.lineWaitSeconds).toBeLessThan(s.waitSeconds);
    expect(Math.abs(s.waitSeconds - second!.waitedSeconds!)).toBeLessThanOrEqual(1);

    const t = await callOf(third!.callSid);
    expect(t).toMatchObject({ outcome: 'missed', missedReason: 'max-wait', answeredByAgentId: null, attempts: [] });
    expect(t.lineWaitSeconds).toBeGreaterThan(50);
    const callbacks = await h.api.get('/api/callbacks');
    expect(callbacks.body.callbacks.map((c: { phone: string }) => c.phone)).toEqual([THIRD]);
  });

  it('keeps the callback offer open while holding: a 1 ends the wait as a callback request', async () => {
    const [, waiting] = await h.twilio.placeCalls([
      { from: FIRST, to: HOTLINE, agents: { [A]: { does: 'accept', talkSeconds: 40 } } },
      { from: SECOND, to: HOTLINE, arriveAfterSeconds: 5, pressWhileHolding: { beforeAttempt: 0, digit: '1', afterSeconds: 10 } },
    ]);
    expect(waiting!.dialed).toEqual([]);
    const w = await callOf(waiting!.callSid);
    expect(w).toMatchObject({ outcome: 'missed', missedReason: 'callback-requested' });
    expect(w.lineWaitSeconds).toBeCloseTo(10, 0);
  });

  it('does not ring again an agent who let this call ring out; with every agent tried the call ends missed', async () => {
    await h.api.addAgent('Agent B', B);
    const [, second] = await h.twilio.placeCalls([
      { from: FIRST, to: HOTLINE, agents: { [A]: { does: 'accept', talkSeconds: 30 }, [B]: { does: 'accept', talkSeconds: 30 } } },
      // B rings out for the second caller, A is talking: the caller waits for A only, then gets A.
      { from: SECOND, to: HOTLINE, arriveAfterSeconds: 2, agents: { [A]: { does: 'accept', talkSeconds: 10 } } },
    ]);
    expect(second!.dialed).toEqual([B, A]);
    expect(second!.bridgedTo).toBe(A);
    const s = await callOf(second!.callSid);
    expect(s.attempts.map((x) => x.outcome)).toEqual(['no-answer', 'accepted']);
    expect(s.lineWaitSeconds).toBeGreaterThan(0);
  });
});
