import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Call } from '../../src/domain/ports';
import type { CallSettlerFeature } from '../../src/routing/call-settler-feature';
import { interceptAfterCallRest } from '../support/after-call';
import { ACCOUNT_SID, AUTH_TOKEN, HOTLINE, TWILIO_API, startHotline, type Hotline } from '../support/hotline-harness';
import { parseTwiml, type TwimlNode } from '../../src/simulator/twiml-tree';
import { randomSid } from '../support/twilio-driver';

const CALLER = '+8613911112222';
const A = '+8613800000001';

/** The first element with this name anywhere in the document: what comes before the <Dial> may change. */
function findDeep(node: TwimlNode, name: string): TwimlNode | undefined {
  for (const child of node.children) {
    if (child.name === name) return child;
    const inner = findDeep(child, name);
    if (inner) return inner;
  }
  return undefined;
}

/** Twilio's end_time format (RFC 2822 with a numeric zone). */
const rfc2822 = (d: Date) => d.toUTCString().replace('GMT', '+0000');

/** One hotline call played by hand up to the agent's key press; its Dial action is never posted unless a test does. */
interface Connected {
  callSid: string;
  childSid: string;
  acceptedAt: Date;
  /** Posts the agent leg's status callback, at the clock's time. */
  leg(status: string, extra?: Record<string, string>): Promise<void>;
  /** Posts the caller leg's status callback (the number's "call status changes"). */
  callerStatus(status: string, at?: Date): Promise<void>;
  /** Posts the <Dial> action, as Twilio would have after the talk. */
  dialAction(params: Record<string, string>): Promise<string>;
}

describe('settling connected calls whose Dial action was lost', () => {
  let h: Hotline;
  let agentId: string;
  let ended: Call[];

  const settler = () => (h.container.features.find((f) => f.name === 'call-settler') as CallSettlerFeature).settler;
  const callOf = async (callSid: string) => {
    const list = await h.api.get('/api/calls');
    expect(list.status).toBe(200);
    return list.body.calls.find((c: { callSid: string }) => c.callSid === callSid);
  };
  const twilioCall = (sid: string) => `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${sid}.json`;

  beforeEach(async () => {
    h = await startHotline();
    interceptAfterCallRest(h);
    agentId = (await h.api.addAgent('Agent A', A)).id;
    ended = [];
    h.container.hotline.addListener({ name: 'test-ended', callEnded: async (call) => void ended.push(call) });
  });
  afterEach(async () => {
    await h.close();
    nock.cleanAll();
  });

  async function connect(): Promise<Connected> {
    const callSid = randomSid();
    const base = { AccountSid: ACCOUNT_SID, CallSid: callSid, From: CALLER, To: HOTLINE, Caller: CALLER, Called: HOTLINE, Direction: 'inbound', ApiVersion: '2010-04-01' };
    const post = async (url: string, params: Record<string, string>) => {
      const res = await h.twilio.post(url, params);
      expect(res.status, `${url}: ${res.text}`).toBeLessThan(300);
      return res.text;
    };
    const dial = findDeep(parseTwiml(await post(h.twilio.url('/webhooks/voice/incoming'), { ...base, CallStatus: 'ringing' })), 'Dial');
    const number = dial && findDeep(dial, 'Number');
    expect(number?.text).toBe(A);
    const childSid = randomSid();
    const child = { AccountSid: ACCOUNT_SID, CallSid: childSid, ParentCallSid: callSid, From: HOTLINE, To: A, Direction: 'outbound-dial' };
    let seq = 0;
    const leg = async (status: string, extra: Record<string, string> = {}) => {
      const event = { CallSid: childSid, CallStatus: status, SequenceNumber: String(seq++), Timestamp: h.clock.now().toUTCString(), CallbackSource: 'call-progress-events' };
      await post(number!.attrs.statusCallback!, { ...event, ...extra });
    };
    await leg('initiated');
    h.clock.advance(1);
    await leg('ringing');
    h.clock.advance(3);
    await leg('in-progress');
    const whisper = parseTwiml(await post(number!.attrs.url!, { ...child, CallStatus: 'in-progress' }));
    h.clock.advance(2);
    const pressed = parseTwiml(await post(findDeep(whisper, 'Gather')!.attrs.action!, { ...child, CallStatus: 'in-progress', Digits: '1' }));
    expect(findDeep(pressed, 'Hangup')).toBeUndefined();
    return {
      callSid,
      childSid,
      acceptedAt: h.clock.now(),
      leg,
      callerStatus: (status, at = h.clock.now()) => post(h.twilio.url('/webhooks/voice/status'), { ...base, CallStatus: status, Timestamp: at.toUTCString() }).then(() => undefined),
      dialAction: (params) => post(dial!.attrs.action!, { ...base, ...params }),
    };
  }

  it('ends a call from the legs on record: the agent hung up, then the caller', async () => {
    const c = await connect();
    expect((await callOf(c.callSid)).state).toBe('connected');
    h.clock.advance(90);
    const agentHungUp = h.clock.now();
    await c.leg('completed', { CallDuration: '92' });
    h.clock.advance(4);
    await c.callerStatus('completed');
    h.clock.advance(120);

    expect(await settler().settleStale(h.clock.now())).toBe(1);
    const call = await callOf(c.callSid);
    expect(call).toMatchObject({ state: 'ended', outcome: 'answered', answeredByAgentId: agentId, endedBy: 'agent', talkSeconds: 90 });
    expect(new Date(call.endedAt)).toEqual(agentHungUp);
    expect(call.attempts).toEqual([expect.objectContaining({ outcome: 'accepted', dialCallStatus: 'settled-without-action' })]);
    expect(ended.filter((e) => e.callSid === c.callSid)).toHaveLength(1);
    expect(await h.container.coordinator.holderOf(agentId)).toBeNull();

    // The agent is free: the next caller reaches them.
    const next = await h.twilio.placeCall({ from: '+8613911113333', to: HOTLINE, agents: { [A]: { does: 'accept' } } });
    expect(next.bridgedTo).toBe(A);
  });

  it('gives the end to the caller whose leg ended first', async () => {
    const c = await connect();
    h.clock.advance(60);
    await c.callerStatus('completed');
    await c.leg('completed', { CallDuration: '62' });
    h.clock.advance(200);
    expect(await settler().settleStale(h.clock.now())).toBe(1);
    expect(await callOf(c.callSid)).toMatchObject({ outcome: 'answered', endedBy: 'caller', talkSeconds: 60, ratingStatus: 'caller-hung-up-first' });
  });

  it('finds a caller gone before the key press never put through: abandoned, and called back', async () => {
    const c = await connect();
    // The caller's status callback, stamped a second before the key press, arrives late.
    await c.callerStatus('completed', new Date(c.acceptedAt.getTime() - 1000));
    expect((await callOf(c.callSid)).state).toBe('connected');
    h.clock.advance(150);
    expect(await settler().settleStale(h.clock.now())).toBe(1);
    const call = await callOf(c.callSid);
    expect(call).toMatchObject({ outcome: 'abandoned', endedBy: 'caller', answeredByAgentId: null, talkSeconds: null });
    expect(call.attempts[0].outcome).toBe('not-bridged');
    const callbacks = (await h.api.get('/api/callbacks')).body.callbacks;
    expect(callbacks).toEqual([expect.objectContaining({ phone: CALLER, callIds: [call.id] })]);
    expect(await h.container.coordinator.holderOf(agentId)).toBeNull();
  });

  it('asks Twilio when nothing is on record, and ends the call when Twilio says it is over', async () => {
    const c = await connect();
    h.clock.advance(200);
    const agentEnd = h.clock.now();
    h.clock.advance(5);
    const callerEnd = h.clock.now();
    h.clock.advance(300);
    const rest = nock(TWILIO_API)
      .get(twilioCall(c.callSid))
      .basicAuth({ user: ACCOUNT_SID, pass: AUTH_TOKEN })
      .reply(200, { sid: c.callSid, status: 'completed', end_time: rfc2822(callerEnd) })
      .get(twilioCall(c.childSid))
      .reply(200, { sid: c.childSid, status: 'completed', end_time: rfc2822(agentEnd) });
    // Still claimed: only the lost Dial action (or this) would release the agent before the claim expires.
    expect(await h.container.coordinator.holderOf(agentId)).not.toBeNull();

    expect(await settler().settleStale(h.clock.now())).toBe(1);
    expect(rest.isDone()).toBe(true);
    const call = await callOf(c.callSid);
    expect(call).toMatchObject({ state: 'ended', outcome: 'answered', endedBy: 'agent', talkSeconds: 200 });
    expect(new Date(call.endedAt)).toEqual(agentEnd);
    expect(await h.container.coordinator.holderOf(agentId)).toBeNull();
    const next = await h.twilio.placeCall({ from: '+8613911113333', to: HOTLINE, agents: { [A]: { does: 'accept' } } });
    expect(next.bridgedTo).toBe(A);
  });

  it('leaves a call alone while Twilio says both legs are live', async () => {
    const c = await connect();
    h.clock.advance(600);
    const rest = nock(TWILIO_API)
      .get(twilioCall(c.callSid))
      .reply(200, { sid: c.callSid, status: 'in-progress', end_time: null })
      .get(twilioCall(c.childSid))
      .reply(200, { sid: c.childSid, status: 'in-progress', end_time: null });
    expect(await settler().settleStale(h.clock.now())).toBe(0);
    expect(rest.isDone()).toBe(true);
    expect((await callOf(c.callSid)).state).toBe('connected');
    expect(await h.container.coordinator.holderOf(agentId)).not.toBeNull();
    expect(ended).toHaveLength(0);
  });

  it('ends a call Twilio does not know now, and leaves one for later when Twilio fails', async () => {
    const c = await connect();
    h.clock.advance(300);
    nock(TWILIO_API).get(twilioCall(c.callSid)).reply(500, { code: 20500, message: 'Internal Server Error', status: 500 }).get(twilioCall(c.childSid)).reply(500, {});
    expect(await settler().settleStale(h.clock.now())).toBe(0);
    expect((await callOf(c.callSid)).state).toBe('connected');

    h.clock.advance(60);
    nock(TWILIO_API).get(twilioCall(c.callSid)).reply(404, { code: 20404, message: 'not found', status: 404 }).get(twilioCall(c.childSid)).reply(404, {});
    expect(await settler().settleStale(h.clock.now())).toBe(1);
    const call = await callOf(c.callSid);
    expect(call).toMatchObject({ outcome: 'answered', talkSeconds: 360 });
    expect(new Date(call.endedAt)).toEqual(h.clock.now());
  });

  it('changes nothing when the lost Dial action turns up after all', async () => {
    const c = await connect();
    h.clock.advance(45);
    await c.callerStatus('completed');
    await c.leg('completed', { CallDuration: '47' });
    h.clock.advance(300);
    expect(await settler().settleStale(h.clock.now())).toBe(1);
    const settled = await callOf(c.callSid);

    h.clock.advance(5);
    const reply = await c.dialAction({ CallStatus: 'completed', DialCallStatus: 'completed', DialCallSid: c.childSid, DialBridged: 'true', DialCallDuration: '45' });
    expect(findDeep(parseTwiml(reply), 'Dial')).toBeUndefined();
    expect(await callOf(c.callSid)).toEqual(settled);
    expect(ended.filter((e) => e.callSid === c.callSid)).toHaveLength(1);
    expect(await settler().settleStale(h.clock.now())).toBe(0);
  });

  it('keeps an agent-ended settle when the Dial action turns up after all', async () => {
    const c = await connect();
    h.clock.advance(45);
    await c.leg('completed', { CallDuration: '47' });
    h.clock.advance(3);
    await c.callerStatus('completed');
    h.clock.advance(300);
    expect(await settler().settleStale(h.clock.now())).toBe(1);
    const settled = await callOf(c.callSid);
    expect(settled).toMatchObject({ outcome: 'answered', endedBy: 'agent', talkSeconds: 45 });

    await c.dialAction({ CallStatus: 'completed', DialCallStatus: 'completed', DialCallSid: c.childSid, DialBridged: 'true', DialCallDuration: '45' });
    const after = await callOf(c.callSid);
    for (const field of ['state', 'outcome', 'endedAt', 'endedBy', 'talkSeconds', 'waitSeconds', 'answeredByAgentId', 'attempts']) expect(after[field]).toEqual(settled[field]);
    expect(ended.filter((e) => e.callSid === c.callSid)).toHaveLength(1);
  });

  it('does not touch a call connected for less than the grace period, even when it is over on record', async () => {
    const c = await connect();
    const rest = nock(TWILIO_API).get(twilioCall(c.callSid)).reply(200, { sid: c.callSid, status: 'completed' });
    h.clock.advance(60);
    expect(await settler().settleStale(h.clock.now())).toBe(0);
    expect(rest.isDone()).toBe(false);

    await c.leg('completed', { CallDuration: '62' });
    await c.callerStatus('completed');
    h.clock.advance(30);
    expect(await settler().settleStale(h.clock.now())).toBe(0);
    expect((await callOf(c.callSid)).state).toBe('connected');
    expect(ended).toHaveLength(0);

    // Once its end is as old as the grace, the Dial action is taken as lost.
    h.clock.advance(90);
    expect(await settler().settleStale(h.clock.now())).toBe(1);
    expect(rest.isDone()).toBe(false);
  });
});
