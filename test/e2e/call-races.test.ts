import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { find, parseTwiml } from '../../src/simulator/twiml-tree';
import { HOTLINE, startHotline, TWILIO_API, type Hotline } from '../support/hotline-harness';
import { randomSid } from '../support/twilio-driver';

const CALLER = '+8613911113333';
const A = '+8613800000001';
const B = '+8613800000002';

/**
 * Interleavings of one call's requests that Twilio can produce (two instances, a slow request, a
 * callback overtaking another), each forced by hand in the order that used to break the call.
 */
describe('a call whose requests arrive in an awkward order', () => {
  let h: Hotline;
  let agents: Record<string, string>;

  beforeEach(async () => {
    h = await startHotline();
    agents = {};
    for (const phone of [A, B]) agents[phone] = (await h.api.addAgent(phone, phone)).id;
  });
  afterEach(async () => {
    nock.cleanAll();
    await h.close();
  });

  const hook = (path: string) => h.twilio.url(`/webhooks/voice/${path}`);
  const attemptOf = (xml: string) => /dial-result\?attempt=([0-9a-f-]{36})/.exec(xml)![1]!;
  const dialled = (xml: string) => find(find(parseTwiml(xml), 'Dial')!, 'Number')?.text;
  const callOf = async (sid: string) => (await h.api.get('/api/calls')).body.calls.find((c: { callSid: string }) => c.callSid === sid);
  const arrive = async (sid: string) => {
    const res = await h.twilio.post(hook('incoming'), { CallSid: sid, From: CALLER, To: HOTLINE, CallStatus: 'ringing' });
    return { text: res.text, attempt: attemptOf(res.text) };
  };
  const dialResult = (attempt: string, sid: string, p: Record<string, string>) => h.twilio.post(hook(`dial-result?attempt=${attempt}`), { CallSid: sid, ...p });
  const keyPress = (attempt: string, child: string) => h.twilio.post(hook(`screen-result?attempt=${attempt}`), { CallSid: child, Digits: '1' });

  it('a key press handled after its Dial action is over does not take the call from the next agent', async () => {
    const sid = randomSid();
    const first = await arrive(sid);
    const childA = randomSid();
    h.clock.advance(5);
    await h.twilio.post(hook(`screen?attempt=${first.attempt}`), { CallSid: childA });
    // Twilio gave up on A's slow key press and hung A's leg up; the caller moves on to B...
    h.clock.advance(15);
    const next = await dialResult(first.attempt, sid, { CallStatus: 'in-progress', DialCallStatus: 'completed', DialBridged: 'false' });
    expect(dialled(next.text)).toBe(B);
    // ... and only then does the key press reach the server.
    const late = await keyPress(first.attempt, childA);
    expect(late.text).toContain('<Hangup/>');
    const call = await callOf(sid);
    expect(call).toMatchObject({ state: 'hunting', answeredByAgentId: null });
    expect(call.attempts.map((a: { outcome: string | null }) => a.outcome)).toEqual(['rejected-by-screen', null]);

    const second = attemptOf(next.text);
    const childB = randomSid();
    await h.twilio.post(hook(`screen?attempt=${second}`), { CallSid: childB });
    expect((await keyPress(second, childB)).text).not.toContain('<Hangup/>');
    await dialResult(second, sid, { CallStatus: 'completed', DialCallStatus: 'completed', DialBridged: 'true' });
    expect(await callOf(sid)).toMatchObject({ outcome: 'answered', answeredByAgentId: agents[B] });
  });

  it('the caller hanging up while the next agent is being offered leaves no ring attempt behind', async () => {
    const sid = randomSid();
    const first = await arrive(sid);
    // The caller's "completed" is handled between finishing A's attempt and offering B.
    const calls = h.container.calls;
    const finish = calls.finishAttempt.bind(calls);
    let interleaved = false;
    calls.finishAttempt = async (...args) => {
      const done = await finish(...args);
      if (!interleaved) {
        interleaved = true;
        await h.twilio.callStatus(sid, 'completed');
      }
      return done;
    };
    h.clock.advance(20);
    await dialResult(first.attempt, sid, { CallStatus: 'in-progress', DialCallStatus: 'no-answer', DialBridged: 'false' });
    const call = await callOf(sid);
    expect(call.outcome).toBe('abandoned');
    expect(call.attempts.every((a: { outcome: string | null }) => a.outcome !== null)).toBe(true);
    expect(await h.container.coordinator.holderOf(agents[B]!)).toBeNull();
  });

  it('a caller gone at the moment of the key press, with no DialBridged from Twilio, is not answered', async () => {
    const sid = randomSid();
    const first = await arrive(sid);
    const child = randomSid();
    h.clock.advance(6);
    await h.twilio.post(hook(`screen?attempt=${first.attempt}`), { CallSid: child });
    await keyPress(first.attempt, child);
    // The caller's leg ended in the same second as the key press: Twilio never bridged them.
    await h.twilio.callStatus(sid, 'completed');
    h.clock.advance(1);
    await dialResult(first.attempt, sid, { CallStatus: 'completed', DialCallStatus: 'completed' });
    const call = await callOf(sid);
    expect(call).toMatchObject({ outcome: 'abandoned', answeredByAgentId: null, withinAnswerRule: false });
    const callbacks = await h.api.get('/api/callbacks');
    expect(callbacks.body.callbacks.map((c: { phone: string }) => c.phone)).toEqual([CALLER]);
  });

  it('a bridge Twilio reports without a key press on record is answered by that leg\'s agent', async () => {
    const sid = randomSid();
    const first = await arrive(sid);
    h.clock.advance(30);
    await dialResult(first.attempt, sid, { CallStatus: 'in-progress', DialCallStatus: 'completed', DialBridged: 'true' });
    expect(await callOf(sid)).toMatchObject({ outcome: 'answered', answeredByAgentId: agents[A] });
  });

  it('a waiting-line pass that read the call before its offer does not free the agent now talking on it', async () => {
    const sid = randomSid();
    const first = await arrive(sid);
    const childA = randomSid();
    h.clock.advance(5);
    await h.twilio.post(hook(`screen?attempt=${first.attempt}`), { CallSid: childA });
    expect((await keyPress(first.attempt, childA)).text).not.toContain('<Hangup/>');
    const call = await callOf(sid);
    expect(call.state).toBe('connected');
    // A pass on another instance read the line and the call while it was still hunting with no
    // attempt, and only now offers it an agent: the hunt order then starts with A again.
    const calls = h.container.calls;
    const [byIds, attemptsOfCalls] = [calls.callsByIds.bind(calls), calls.attemptsOfCalls.bind(calls)];
    calls.callsByIds = async (ids) => {
      const found = await byIds(ids);
      for (const [id, c] of found) found.set(id, { ...c, state: 'hunting' });
      return found;
    };
    calls.attemptsOfCalls = async (ids) => new Map(ids.map((id) => [id, []]));
    await h.container.coordinator.enterLine(call.to, call.id, Date.parse(call.startedAt));
    try {
      await h.container.hotline.promoteWaiting();
    } finally {
      Object.assign(calls, { callsByIds: byIds, attemptsOfCalls });
    }
    // A talks on: still claimed for this call, so the next caller rings B.
    expect(await h.container.coordinator.holderOf(agents[A]!)).toBe(`${call.id}:0`);
    const next = await arrive(randomSid());
    expect(dialled(next.text)).toBe(B);
  });

  it('a caller joining the line offers an agent freed without a word to the longest-waiting caller; with every agent claimed it reads no one else', async () => {
    const moved: string[] = [];
    nock(TWILIO_API)
      .persist()
      .post(/\/Calls\/CA[0-9a-f]{32}\.json$/)
      .reply((uri) => {
        moved.push(/Calls\/(CA[0-9a-f]{32})/.exec(uri)![1]!);
        return [200, { status: 'in-progress' }];
      });
    const join = async (sid = randomSid()) => {
      h.clock.advance(1); // the line is in order of arrival
      return (await h.twilio.post(hook('incoming'), { CallSid: sid, From: CALLER, To: HOTLINE, CallStatus: 'ringing' })).text;
    };
    expect(dialled((await arrive(randomSid())).text)).toBe(A);
    const secondSid = randomSid();
    expect(dialled((await arrive(secondSid)).text)).toBe(B);
    // A and B are claimed: the next callers hold, and joining the line reads no other waiting call.
    const reads = vi.spyOn(h.container.calls, 'callsByIds');
    const longest = randomSid();
    expect(await join(longest)).toContain('客服正忙，请稍候');
    expect(await join()).toContain('您前面还有1位客户');
    expect(reads).not.toHaveBeenCalled();
    // B's claim goes without a release (its leg's events never came), so nobody offered B to the line.
    const second = await callOf(secondSid);
    expect(await h.container.coordinator.releaseClaim(agents[B]!, `${second.id}:0`)).toBe(true);
    // The next caller to join finds B unclaimed: B goes to the caller who has waited longest, moved by REST.
    expect(await join()).toContain('您前面还有1位客户');
    expect(moved).toEqual([longest]);
    expect((await callOf(longest)).attempts.map((a: { agentId: string }) => a.agentId)).toEqual([agents[B]]);
  });
});
