import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SpoolPort } from '../../src/spool/spool-feature';
import { ACCOUNT_SID, HOTLINE, PUBLIC_BASE_URL, startHotline, TWILIO_API, type Hotline } from '../support/hotline-harness';
import { interceptTwilioRest } from '../support/outbound-call';
import { deadlock } from '../support/faults';
import { randomSid } from '../support/twilio-driver';

const CALLER = '+8613911115555';
const AGENT = '+8613800000001';
const DUTY = '+861012345678';

const attemptIn = (twiml: string) => /dial-result\?attempt=([0-9a-f-]{36})/.exec(twiml)?.[1];

/**
 * The agent pressed 1 but Twilio never bridged the caller (DialBridged=false, the caller still on
 * the line), and the Dial action meets a passing failure (a deadlock right after an outage): the
 * caller is answered with the fallback (the hotline turns them away) and the action is spooled.
 * The call was never answered: on record it is missed, whichever of the caller's hang-up and the
 * replay comes first, and whatever part of the action was written before the failure.
 */
describe('an agent who pressed 1 but was never bridged, the Dial action failing for a passing reason', () => {
  let h: Hotline;
  let spool: SpoolPort;

  beforeEach(async () => {
    h = await startHotline({ FALLBACK_NUMBER: DUTY });
    interceptTwilioRest(TWILIO_API, ACCOUNT_SID);
    await h.api.addAgent('Agent A', AGENT);
    spool = h.container.spool!;
    await h.container.lastKnownRoster.refresh(HOTLINE, h.clock.now());
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    nock.cleanAll();
    await h.close();
  });

  const hook = (path: string, params: Record<string, string>) => h.twilio.post(`${PUBLIC_BASE_URL}/webhooks/voice/${path}`, params);

  /** The caller rung to the agent, who picks up and presses 1: connected on record. */
  const accepted = async () => {
    const callSid = randomSid('CA');
    const attempt = attemptIn((await hook('incoming', { CallSid: callSid, From: CALLER, To: HOTLINE })).text)!;
    h.clock.advance(5);
    const child = randomSid('CA');
    expect((await hook(`screen?attempt=${attempt}`, { CallSid: child })).text).toContain('<Gather');
    h.clock.advance(2);
    expect((await hook(`screen-result?attempt=${attempt}`, { CallSid: child, Digits: '1' })).text).not.toContain('<Hangup/>');
    expect((await h.container.calls.getCallBySid(callSid))!.state).toBe('connected');
    return { callSid, attempt };
  };

  /** Twilio's Dial action for a leg that was never bridged: the caller is turned away by the fallback. */
  const neverBridged = async (callSid: string, attempt: string) => {
    h.clock.advance(1);
    const res = await hook(`dial-result?attempt=${attempt}`, { CallSid: callSid, CallStatus: 'in-progress', DialCallStatus: 'completed', DialBridged: 'false' });
    expect(res.status).toBe(200);
    expect(res.text).toContain(DUTY);
  };
  const callerHangsUp = async (callSid: string) => {
    h.clock.advance(4);
    expect((await hook('status', { CallSid: callSid, CallStatus: 'completed', SequenceNumber: '3', Timestamp: h.clock.now().toUTCString() })).status).toBe(204);
  };
  const replay = async () => {
    h.clock.advance(2);
    expect(await spool.replayer.replayOnce()).toMatchObject({ setAside: 0, left: 0 });
  };

  it('the attempt finished not-bridged, the return to the hunt lost: the caller hangs up after the fallback, then the replay', async () => {
    const { callSid, attempt } = await accepted();
    vi.spyOn(h.container.calls, 'reopenHunt').mockRejectedValueOnce(deadlock());
    await neverBridged(callSid, attempt);
    vi.restoreAllMocks();
    await callerHangsUp(callSid);
    await replay();
    expect(await h.container.calls.getCallBySid(callSid)).toMatchObject({ state: 'ended', outcome: 'missed', answeredByAgentId: null, talkSeconds: null });
  });

  it('the attempt finished not-bridged, the return to the hunt lost: the replay, then the caller hangs up', async () => {
    const { callSid, attempt } = await accepted();
    vi.spyOn(h.container.calls, 'reopenHunt').mockRejectedValueOnce(deadlock());
    await neverBridged(callSid, attempt);
    vi.restoreAllMocks();
    await replay();
    await callerHangsUp(callSid);
    expect(await h.container.calls.getCallBySid(callSid)).toMatchObject({ state: 'ended', outcome: 'missed', answeredByAgentId: null, talkSeconds: null });
  });

  it('nothing of the action written (its first statement failed): the caller hangs up after the fallback, then the replay', async () => {
    const { callSid, attempt } = await accepted();
    vi.spyOn(h.container.calls, 'finishAttempt').mockRejectedValueOnce(deadlock());
    await neverBridged(callSid, attempt);
    vi.restoreAllMocks();
    await callerHangsUp(callSid);
    await replay();
    const call = await h.container.calls.getCallBySid(callSid);
    expect(call).toMatchObject({ state: 'ended', outcome: 'missed', answeredByAgentId: null, talkSeconds: null });
    expect((await h.container.calls.attemptsOf(call!.id)).map((a) => a.outcome)).toEqual(['not-bridged']);
  });
});
