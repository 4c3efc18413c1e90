import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { claimHolder } from '../../src/domain/call-states';
import type { CallSettlerFeature } from '../../src/routing/call-settler-feature';
import type { SpoolPort } from '../../src/spool/spool-feature';
import { deadlock } from '../support/faults';
import { ACCOUNT_SID, HOTLINE, PUBLIC_BASE_URL, startHotline, TWILIO_API, type Hotline } from '../support/hotline-harness';
import { interceptTwilioRest } from '../support/outbound-call';
import { randomSid } from '../support/twilio-driver';

const CALLER = '+8613911112222';
const NEXT_CALLER = '+8613933334444';
const AGENT = '+8613800000001';

/**
 * No claim outlives its call, whatever failed on the way out. Found by the big worlds with
 * outages (seed 17): while PostgreSQL was flaky after an outage, a caller moved to an agent
 * offered to them was turned away by the fallback (their hold webhook met a deadlock); the call
 * was ended on record, and then the offer's release met a deadlock too. The turning away was
 * spooled and replayed, but the replay found the call ended and let go of nothing: the agent
 * stayed claimed for the offer, idle beside the callers who went on waiting.
 */
describe('claims of calls that ended', () => {
  let h: Hotline;
  let spool: SpoolPort;
  let agentId: string;

  beforeEach(async () => {
    h = await startHotline();
    interceptTwilioRest(TWILIO_API, ACCOUNT_SID);
    agentId = (await h.api.addAgent('Agent A', AGENT)).id;
    spool = h.container.spool!;
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    nock.cleanAll();
    await h.close();
  });

  const hook = (path: string, params: Record<string, string>) => h.twilio.post(`${PUBLIC_BASE_URL}/webhooks/voice/${path}`, params);
  /** Whether a new caller is rung to the agent now (their claim is free). */
  const nextCallerRingsTheAgent = async () => (await hook('incoming', { CallSid: randomSid('CA'), From: NEXT_CALLER, To: HOTLINE })).text.includes(`>${AGENT}</Number>`);
  const settler = () => (h.container.features.find((f) => f.name === 'call-settler') as CallSettlerFeature).settler;
  /** A caller whose first agent is being rung for them. */
  const ringing = async () => {
    const callSid = randomSid('CA');
    expect((await hook('incoming', { CallSid: callSid, From: CALLER, To: HOTLINE })).text).toContain(`>${AGENT}</Number>`);
    const call = (await h.container.calls.getCallBySid(callSid))!;
    expect(await h.container.coordinator.holderOf(agentId)).toBe(claimHolder({ callId: call.id, seq: 0 }));
    return { callSid, call };
  };

  it('an ending that failed after the end was written lets go of the offer when the turning away is replayed', async () => {
    const { callSid } = await ringing();
    h.clock.advance(3);
    // Turned away by the fallback: the end is written, and letting go of the offer meets a deadlock.
    vi.spyOn(h.container.calls, 'finishAttempt').mockRejectedValueOnce(deadlock());
    await expect(h.container.hotline.turnedAway(callSid, h.clock.now())).rejects.toThrow('deadlock');
    expect(await h.container.calls.getCallBySid(callSid)).toMatchObject({ state: 'ended', outcome: 'missed' });
    // As the fallback's handler does on a passing failure: the spool keeps the turning away, and its replay writes it.
    await spool.degraded.fellBack(callSid);
    h.clock.advance(2);
    expect(await spool.replayer.replayOnce()).toMatchObject({ setAside: 0, left: 0 });

    const call = (await h.container.calls.getCallBySid(callSid))!;
    expect((await h.container.calls.attemptsOf(call.id)).map((a) => a.outcome)).toEqual(['caller-gone']);
    expect(await h.container.coordinator.holderOf(agentId)).toBeNull();
    expect(await nextCallerRingsTheAgent()).toBe(true);
  });

  it('the call settler gives back a claim held in the name of a call ended on record, and no other', async () => {
    const { callSid, call } = await ringing();
    h.clock.advance(3);
    await hook('status', { CallSid: callSid, CallStatus: 'completed', SequenceNumber: '1' });
    expect(await h.container.calls.getCallBySid(callSid)).toMatchObject({ state: 'ended', outcome: 'abandoned' });
    // Something took the claim again in that call's name afterwards (a stale request, a copy back): nothing on record will end it.
    const holder = claimHolder({ callId: call.id, seq: 0 });
    expect(await h.container.coordinator.claimFirstFree([agentId], holder, 60_000)).toBe(agentId);

    await settler().settleStale(h.clock.now());
    expect(await h.container.coordinator.holderOf(agentId)).toBeNull();
    // A live call's claim stays.
    expect(await nextCallerRingsTheAgent()).toBe(true);
    const live = await h.container.coordinator.holderOf(agentId);
    expect(live).not.toBeNull();
    await settler().settleStale(h.clock.now());
    expect(await h.container.coordinator.holderOf(agentId)).toBe(live);
  });
});
