import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SpoolPort } from '../../src/spool/spool-feature';
import { ACCOUNT_SID, HOTLINE, PUBLIC_BASE_URL, startHotline, TWILIO_API, type Hotline } from '../support/hotline-harness';
import { interceptTwilioRest } from '../support/outbound-call';
import { randomSid } from '../support/twilio-driver';
import { deadlock, poolWaitTimeout } from '../support/faults';

const CALLER = '+8613911112222';
const DUTY = '+861012345678';

/**
 * A caller whose incoming webhook fails for a passing reason (a busy pool, a deadlock) hears the
 * fallback; the call must not vanish: it is put on record as missed, with its callback, at once
 * if the database takes it, else through the spool (webhooks/turned-away.ts).
 */
describe('a call whose arrival failed for a passing reason is on record, missed, with its callback', () => {
  let h: Hotline;
  let spool: SpoolPort;
  beforeEach(async () => {
    h = await startHotline({ FALLBACK_NUMBER: DUTY });
    interceptTwilioRest(TWILIO_API, ACCOUNT_SID);
    await h.api.addAgent('Agent A', '+8613800000001');
    spool = h.container.spool!;
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await h.close();
  });

  const callbacks = async () => (await h.api.get('/api/callbacks')).body.callbacks as { callIds: string[] }[];
  const arrive = async (callSid: string) => {
    const res = await h.twilio.post(`${PUBLIC_BASE_URL}/webhooks/voice/incoming`, { CallSid: callSid, From: CALLER, To: HOTLINE });
    expect(res.status).toBe(200);
    expect(res.text).toContain('系统暂时出现故障');
    expect(res.text).toContain(`<Dial timeout="30">${DUTY}</Dial>`);
  };

  it('the database takes it right after the failure: the call is missed on record with a callback', async () => {
    vi.spyOn(h.container.calls, 'createCall').mockRejectedValueOnce(poolWaitTimeout());
    const callSid = randomSid('CA');
    await arrive(callSid);
    const call = await vi.waitFor(async () => {
      const c = await h.container.calls.getCallBySid(callSid);
      expect(c).toMatchObject({ state: 'ended', outcome: 'missed', endedBy: 'system' });
      return c!;
    });
    expect(call.from).toBe(CALLER);
    await vi.waitFor(async () => expect((await callbacks()).map((c) => c.callIds)).toEqual([[call.id]]));
    // The caller's hang-up after the apology does not turn the miss into an abandon.
    h.clock.advance(20);
    await h.twilio.callStatus(callSid, 'completed');
    expect(await h.container.calls.getCallBySid(callSid)).toMatchObject({ outcome: 'missed' });
  });

  it('the database fails again: the arrival and the turning away are spooled, and the replay puts them on record', async () => {
    vi.spyOn(h.container.calls, 'createCall').mockRejectedValueOnce(poolWaitTimeout()).mockRejectedValueOnce(poolWaitTimeout());
    const callSid = randomSid('CA');
    await arrive(callSid);
    await vi.waitFor(() => expect(spool.depth()).toBe(2));
    expect(await h.container.calls.getCallBySid(callSid)).toBeNull();
    expect(await spool.replayer.replayOnce()).toMatchObject({ setAside: 0, left: 0 });
    const call = (await h.container.calls.getCallBySid(callSid))!;
    expect(call).toMatchObject({ state: 'ended', outcome: 'missed', endedBy: 'system', from: CALLER });
    expect((await callbacks()).map((c) => c.callIds)).toEqual([[call.id]]);
  });

  it('turned away while the database fails slowly: the spool keeps the instant of the turning away, so a later hang-up does not make it an abandon', async () => {
    const calls = h.container.calls;
    // The offer's write fails (the arrival is on record), and ending the call takes 3 s and fails too.
    vi.spyOn(calls, 'addAttempt').mockRejectedValueOnce(deadlock());
    vi.spyOn(calls, 'endCall').mockImplementationOnce(async () => {
      h.clock.advance(3);
      throw poolWaitTimeout();
    });
    const callSid = randomSid('CA');
    const arrivedAt = h.clock.now();
    await arrive(callSid);
    await vi.waitFor(() => expect(spool.depth()).toBe(2));
    vi.restoreAllMocks();
    // The caller hangs up 2 s after the apology began, before the hotline's failed write gave up.
    await h.twilio.callStatus(callSid, 'completed', { Timestamp: new Date(arrivedAt.getTime() + 2000).toUTCString() });
    // The hotline tells of the turning away again once the failed handler is done (webhooks/turned-away.ts),
    // which on a slow machine may land in the spool while the first pass runs: a second pass writes it.
    const first = await spool.replayer.replayOnce();
    expect(first.setAside).toBe(0);
    expect(first.left > 0 ? await spool.replayer.replayOnce() : first).toMatchObject({ setAside: 0, left: 0 });
    expect(await h.container.calls.getCallBySid(callSid)).toMatchObject({ state: 'ended', outcome: 'missed', endedBy: 'system' });
  });
});

describe("a leg's status for a ring attempt not on record yet", () => {
  let h: Hotline;
  beforeEach(async () => {
    h = await startHotline({ FALLBACK_NUMBER: DUTY });
    interceptTwilioRest(TWILIO_API, ACCOUNT_SID);
  });
  afterEach(async () => h.close());

  const legStatus = (attemptId: string, childSid: string) =>
    h.twilio.post(`${PUBLIC_BASE_URL}/webhooks/voice/leg-status?attempt=${attemptId}`, { CallSid: childSid, CallStatus: 'ringing', SequenceNumber: '1', Timestamp: h.clock.now().toUTCString() });

  it('is spooled (another instance may still be replaying the call it carried from memory) and written once the attempt is on record', async () => {
    const agent = await h.api.addAgent('Agent A', '+8613800000001');
    const spool = h.container.spool!;
    const attemptId = '3f0c2f55-8f7e-4a57-9a39-2b8f2d3c4e11';
    const res = await legStatus(attemptId, randomSid('CA'));
    expect(res.status).toBe(204);
    expect(spool.depth()).toBe(1);
    // Not on record yet: kept for the next pass, nothing set aside.
    expect(await spool.replayer.replayOnce()).toMatchObject({ setAside: 0, left: 1 });
    const { call } = await h.container.calls.createCall({ callSid: randomSid('CA'), from: CALLER, to: HOTLINE, callerName: null, startedAt: h.clock.now() }, 0);
    await h.container.calls.addAttempt({ id: attemptId, callId: call.id, seq: 0, agentId: agent.id, endpoint: agent.phone, offeredAt: h.clock.now() });
    h.clock.advance(30);
    expect(await spool.replayer.replayOnce()).toMatchObject({ setAside: 0, left: 0 });
    expect((await h.container.calls.getAttempt(attemptId))!.ringingAt).not.toBeNull();
  });

  it('is set aside once it has waited two minutes for an attempt that never comes', async () => {
    const spool = h.container.spool!;
    expect((await legStatus('7d9e6b1a-2c3d-4e5f-8a9b-0c1d2e3f4a5b', randomSid('CA'))).status).toBe(204);
    expect(await spool.replayer.replayOnce()).toMatchObject({ setAside: 0, left: 1 });
    h.clock.advance(121);
    expect(await spool.replayer.replayOnce()).toMatchObject({ setAside: 1, left: 0 });
  });
});
