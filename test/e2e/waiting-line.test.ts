import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { find, parseTwiml } from '../../src/simulator/twiml-tree';
import type { CallSettlerFeature } from '../../src/routing/call-settler-feature';
import { interceptAfterCallRest } from '../support/after-call';
import { HOTLINE, startHotline, TWILIO_API, type Hotline } from '../support/hotline-harness';
import { deadlock } from '../support/faults';
import { randomSid } from '../support/twilio-driver';

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

  it('ends the wait of a caller Twilio no longer knows (their hang-up was lost) as abandoned, with a callback', async () => {
    const [, gone] = await h.twilio.placeCalls([
      { from: FIRST, to: HOTLINE, agents: { [A]: { does: 'accept', talkSeconds: 40 } } },
      // Holds, hangs up after 20 s, and the status callback saying so never arrives.
      { from: SECOND, to: HOTLINE, arriveAfterSeconds: 5, hangsUpAfterSeconds: 20, skipFinalStatus: true },
    ]);
    // The move is made in the background: its 404 is handled once it is over.
    await h.container.hotline.moves.settled();
    expect(gone!.dialed).toEqual([]);
    const g = await callOf(gone!.callSid);
    // Moving the caller to the freed agent got Twilio's 404: the wait is over, the caller is owed a call.
    expect(g).toMatchObject({ outcome: 'abandoned', answeredByAgentId: null });
    expect(await h.container.coordinator.waitingLines()).toEqual([]);
    const callbacks = await h.api.get('/api/callbacks');
    expect(callbacks.body.callbacks.map((c: { phone: string }) => c.phone)).toEqual([SECOND]);
  });
});

describe('a waiting caller moved to a free agent', () => {
  let h: Hotline;
  afterEach(async () => {
    await h.close();
  });

  /** A's first caller has been put through to A; a second caller holds in the line, their music ending in a recheck. */
  const oneTalkingOneHolding = async () => {
    const hook = (path: string) => h.twilio.url(`/webhooks/voice/${path}`);
    const talkingSid = randomSid();
    const talking = await h.twilio.post(hook('incoming'), { CallSid: talkingSid, From: FIRST, To: HOTLINE });
    const first = /dial-result\?attempt=([0-9a-f-]{36})/.exec(talking.text)![1]!;
    const child = randomSid();
    await h.twilio.post(hook(`screen?attempt=${first}`), { CallSid: child });
    await h.twilio.post(hook(`screen-result?attempt=${first}`), { CallSid: child, Digits: '1' });
    const waitingSid = randomSid();
    const held = await h.twilio.post(hook('incoming'), { CallSid: waitingSid, From: SECOND, To: HOTLINE });
    const recheck = find(parseTwiml(held.text), 'Redirect')!.text;
    return { hook, talkingSid, first, waitingSid, recheck };
  };

  it('is not rung by the hold music\'s recheck while the REST move is on its way, only by the move', async () => {
    h = await startHotline();
    const a = (await h.api.addAgent('Agent A', A)).id;
    // Twilio accepts the move but has not fetched the new document yet.
    nock(TWILIO_API).persist().post(/\/Calls\/CA[0-9a-f]{32}\.json$/).reply(200, { status: 'in-progress' });
    const { hook, talkingSid, first, waitingSid, recheck } = await oneTalkingOneHolding();
    expect(recheck).toContain('recheck=1');
    // A's talk ends: A is offered to the waiting caller and the caller is being moved.
    h.clock.advance(30);
    await h.twilio.post(hook(`dial-result?attempt=${first}`), { CallSid: talkingSid, CallStatus: 'completed', DialCallStatus: 'completed', DialBridged: 'true' });
    // The music ends before the move lands: the recheck holds the caller, it does not dial A.
    const early = await h.twilio.post(recheck, { CallSid: waitingSid });
    expect(early.text).not.toContain('<Dial');
    expect(early.text).toContain('<Play>');
    // The move lands: now A rings, once.
    const moved = await h.twilio.post(recheck.replace('&recheck=1', ''), { CallSid: waitingSid });
    expect(find(find(parseTwiml(moved.text), 'Dial')!, 'Number')!.text).toBe(A);
    expect(await h.container.coordinator.holderOf(a)).not.toBeNull();
  });

  it('moved twice (two REST moves of one caller landing), keeps its agent claimed when the leg the second move cut reports its end', async () => {
    h = await startHotline();
    const a = (await h.api.addAgent('Agent A', A)).id;
    nock(TWILIO_API).persist().post(/\/Calls\/CA[0-9a-f]{32}\.json$/).reply(200, { status: 'in-progress' });
    const { hook, talkingSid, first, waitingSid, recheck } = await oneTalkingOneHolding();
    h.clock.advance(30);
    await h.twilio.post(hook(`dial-result?attempt=${first}`), { CallSid: talkingSid, CallStatus: 'completed', DialCallStatus: 'completed', DialBridged: 'true' });
    await h.container.hotline.moves.settled();
    const holder = await h.container.coordinator.holderOf(a);
    expect(holder).not.toBeNull();
    const moveUrl = recheck.replace('&recheck=1', '');
    // The first move lands and A's phone rings (leg 1); then a second move of the same caller
    // lands (two instances, or a retried move): Twilio cuts leg 1 and dials A again (leg 2).
    const dial1 = find(parseTwiml((await h.twilio.post(moveUrl, { CallSid: waitingSid })).text), 'Dial')!;
    const dial2 = find(parseTwiml((await h.twilio.post(moveUrl, { CallSid: waitingSid })).text), 'Dial')!;
    expect(find(dial2, 'Number')!.text).toBe(A);
    const [leg1, leg2] = [randomSid(), randomSid()];
    await h.twilio.post(find(dial2, 'Number')!.attrs.statusCallback!, { CallSid: leg2, CallStatus: 'ringing', SequenceNumber: '0' });
    // Leg 1's end arrives, and the cut Dial's action (Twilio ignores what it is answered).
    await h.twilio.post(find(dial1, 'Number')!.attrs.statusCallback!, { CallSid: leg1, CallStatus: 'canceled', SequenceNumber: '1' });
    await h.twilio.post(dial1.attrs.action!, { CallSid: waitingSid, CallStatus: 'in-progress', DialCallStatus: 'canceled' });
    // Leg 2 still rings A for this caller: A stays theirs, and no other call can ring A.
    expect(await h.container.coordinator.holderOf(a)).toBe(holder);
    const other = await h.twilio.post(hook('incoming'), { CallSid: randomSid(), From: THIRD, To: HOTLINE });
    expect(other.text).not.toContain('<Dial');
    // A presses 1 on leg 2: the caller is put through.
    const screen = await h.twilio.post(find(dial2, 'Number')!.attrs.url!, { CallSid: leg2 });
    const press = find(parseTwiml(screen.text), 'Gather')!.attrs.action!;
    expect((await h.twilio.post(press, { CallSid: leg2, Digits: '1' })).text).not.toContain('<Hangup');
    const call = (await h.api.get('/api/calls')).body.calls.find((c: CallJson) => c.callSid === waitingSid) as CallJson;
    expect(call.attempts).toEqual([expect.objectContaining({ agentId: a, outcome: null })]);
  });

  it('moved twice, keeps its agent claimed when the cut leg\'s end fails for a passing reason and is replayed from the spool', async () => {
    h = await startHotline();
    const a = (await h.api.addAgent('Agent A', A)).id;
    nock(TWILIO_API).persist().post(/\/Calls\/CA[0-9a-f]{32}\.json$/).reply(200, { status: 'in-progress' });
    const { hook, talkingSid, first, waitingSid, recheck } = await oneTalkingOneHolding();
    h.clock.advance(30);
    await h.twilio.post(hook(`dial-result?attempt=${first}`), { CallSid: talkingSid, CallStatus: 'completed', DialCallStatus: 'completed', DialBridged: 'true' });
    await h.container.hotline.moves.settled();
    const holder = await h.container.coordinator.holderOf(a);
    const moveUrl = recheck.replace('&recheck=1', '');
    const dial1 = find(parseTwiml((await h.twilio.post(moveUrl, { CallSid: waitingSid })).text), 'Dial')!;
    const dial2 = find(parseTwiml((await h.twilio.post(moveUrl, { CallSid: waitingSid })).text), 'Dial')!;
    await h.twilio.post(find(dial2, 'Number')!.attrs.statusCallback!, { CallSid: randomSid(), CallStatus: 'ringing', SequenceNumber: '0' });
    // Leg 1's end meets a deadlock: it is spooled, and replayed 2 s later.
    vi.spyOn(h.container.calls, 'recordLegEvent').mockRejectedValueOnce(deadlock());
    expect((await h.twilio.post(find(dial1, 'Number')!.attrs.statusCallback!, { CallSid: randomSid(), CallStatus: 'canceled', SequenceNumber: '1' })).status).toBe(204);
    vi.restoreAllMocks();
    h.clock.advance(2);
    expect(await h.container.spool!.replayer.replayOnce()).toMatchObject({ setAside: 0, left: 0 });
    // Leg 2 still rings A for this caller: A stays theirs.
    expect(await h.container.coordinator.holderOf(a)).toBe(holder);
    const other = await h.twilio.post(hook('incoming'), { CallSid: randomSid(), From: THIRD, To: HOTLINE });
    expect(other.text).not.toContain('<Dial');
  });

  /**
   * The instance that offered the freed agent to the waiting caller dies before its REST move
   * (a SIGKILL): Twilio's answer to the Dial action went out, the offer is on record, but the move
   * never reaches Twilio, so that agent is never dialled and no leg status will ever come.
   */
  const loseTheMove = async (waitFor: number) => {
    const a = (await h.api.addAgent('Agent A', A)).id;
    // Twilio never hears of the move: the update goes nowhere and the caller keeps holding.
    const moves: string[] = [];
    nock(TWILIO_API)
      .persist()
      .post(/\/Calls\/CA[0-9a-f]{32}\.json$/)
      .reply(200, (_uri, body) => {
        moves.push(new URLSearchParams(String(body)).get('Url') ?? '');
        return { status: 'in-progress' };
      });
    const { hook, talkingSid, first, waitingSid, recheck } = await oneTalkingOneHolding();
    h.clock.advance(10);
    await h.twilio.post(hook(`dial-result?attempt=${first}`), { CallSid: talkingSid, CallStatus: 'completed', DialCallStatus: 'completed', DialBridged: 'true' });
    expect(await h.container.coordinator.holderOf(a)).not.toBeNull();
    // The music ends over and over; the offer stays as it was written, never dialled.
    expect((await h.twilio.post(recheck, { CallSid: waitingSid })).text).not.toContain('<Dial');
    moves.length = 0;
    h.clock.advance(waitFor);
    return { a, recheck, waitingSid, moves, answer: async () => h.twilio.post(recheck, { CallSid: waitingSid }) };
  };

  it('whose move never reached Twilio is rung by a later recheck, once the offer would have rung out', async () => {
    h = await startHotline();
    const { a, waitingSid, ...lost } = await loseTheMove(30);
    const answer = await lost.answer();
    expect(answer.status).toBe(200);
    expect(find(find(parseTwiml(answer.text), 'Dial')!, 'Number')!.text).toBe(A);
    const call = (await h.api.get('/api/calls')).body.calls.find((c: CallJson) => c.callSid === waitingSid) as CallJson;
    expect(call.attempts).toEqual([
      expect.objectContaining({ agentId: a, outcome: 'withdrawn' }),
      expect.objectContaining({ agentId: a, outcome: null }),
    ]);
  });

  it('whose move never reached Twilio is ended at the maximum wait, not left holding, and its agent is freed', async () => {
    h = await startHotline();
    const { a, waitingSid, ...lost } = await loseTheMove(55);
    const answer = await lost.answer();
    expect(answer.text).not.toContain('<Dial');
    expect(answer.text).toContain('<Hangup');
    const call = (await h.api.get('/api/calls')).body.calls.find((c: CallJson) => c.callSid === waitingSid) as CallJson;
    expect(call).toMatchObject({ outcome: 'missed', missedReason: 'max-wait' });
    expect(call.attempts.map((x) => x.outcome)).toEqual(['withdrawn']);
    expect(await h.container.coordinator.holderOf(a)).toBeNull();
  });

  it('whose move never reached Twilio and who never asks again is ended by the settler and the line sweep, on any instance', async () => {
    h = await startHotline();
    const { a, waitingSid, moves } = await loseTheMove(60 + 120 + 1);
    const settler = (h.container.features.find((f) => f.name === 'call-settler') as CallSettlerFeature).settler;
    await settler.settleStale(h.clock.now());
    await h.container.hotline.sweepLines(h.clock.now());
    // The sweep moved the caller on, and the hold document ends the wait as Twilio fetches it.
    expect(moves).toHaveLength(1);
    const ending = await h.twilio.post(moves[0]!, { CallSid: waitingSid });
    expect(ending.text).not.toContain('<Dial');
    expect(ending.text).toContain('<Hangup');
    const call = (await h.api.get('/api/calls')).body.calls.find((c: CallJson) => c.callSid === waitingSid) as CallJson;
    expect(call).toMatchObject({ outcome: 'missed', missedReason: 'max-wait' });
    expect(call.attempts.map((x) => x.outcome)).toEqual(['withdrawn']);
    expect(await h.container.coordinator.holderOf(a)).toBeNull();
  });

  it('whose Dial action was handled up to the end of the offer by an instance that then died is moved on by the repeat', async () => {
    h = await startHotline();
    await h.api.addAgent('Agent A', A);
    await h.api.addAgent('Agent B', B);
    const hook = (path: string) => h.twilio.url(`/webhooks/voice/${path}`);
    const sid = randomSid();
    const rung = await h.twilio.post(hook('incoming'), { CallSid: sid, From: FIRST, To: HOTLINE });
    const attempt = /dial-result\?attempt=([0-9a-f-]{36})/.exec(rung.text)![1]!;
    const firstAgent = find(find(parseTwiml(rung.text), 'Dial')!, 'Number')!.text;
    h.clock.advance(15);
    // The dying instance wrote the end of the offer; its answer never left, so the balancer sends the action again.
    await h.container.calls.finishAttempt(attempt, { outcome: 'no-answer', dialCallStatus: 'no-answer', at: h.clock.now() });
    const again = await h.twilio.post(hook(`dial-result?attempt=${attempt}`), { CallSid: sid, CallStatus: 'in-progress', DialCallStatus: 'no-answer' });
    expect(find(find(parseTwiml(again.text), 'Dial')!, 'Number')!.text).toBe(firstAgent === A ? B : A);
  });
});
