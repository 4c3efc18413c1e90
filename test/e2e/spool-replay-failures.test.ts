import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SpoolPort } from '../../src/spool/spool-feature';
import { ACCOUNT_SID, HOTLINE, startHotline, TWILIO_API, type Hotline } from '../support/hotline-harness';
import { interceptTwilioRest, type RestCapture } from '../support/outbound-call';
import { randomSid } from '../support/twilio-driver';
import { deadlock, poolWaitTimeout } from '../support/faults';
import type { NotifyFeature } from '../../src/notify/notify-feature';
import { DINGTALK_API, fakeChannels } from '../support/notify-fakes';

const CALLER = '+8613911112222';
const A = '+8613800000001';
const ADMIN = '+8613700000009';

const attemptIn = (twiml: string) => /dial-result\?attempt=([0-9a-f-]{36})/.exec(twiml)?.[1];

/**
 * How the spool's replay meets a failure (src/spool/spool-replayer.ts): one that passes (a busy
 * pool, a deadlock) keeps the event and the call's later ones, in order, for another pass; one
 * that refuses the event for what it says sets it aside, alerts the admins, and leaves the call on record.
 */
describe('spool replay: what fails for a passing reason is kept, what is refused is set aside', () => {
  let h: Hotline;
  let spool: SpoolPort;
  let rest: RestCapture;

  beforeEach(async () => {
    h = await startHotline({ ADMIN_ALERT_PHONES: ADMIN });
    rest = interceptTwilioRest(TWILIO_API, ACCOUNT_SID);
    await h.api.addAgent('Agent A', A);
    spool = h.container.spool!;
    await h.container.lastKnownRoster.refresh(HOTLINE, h.clock.now());
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    nock.cleanAll();
    await h.close();
  });

  const callbacks = async () => (await h.api.get('/api/callbacks')).body.callbacks as { callIds: string[] }[];
  /** A caller put through from memory whose agent does not answer; the caller hangs up after the apology. */
  const missedCall = async (callerName?: string) => {
    const callSid = randomSid('CA');
    const d = spool.degraded;
    const attempt = attemptIn(await d.incoming({ callSid, from: CALLER, to: HOTLINE, callerName }))!;
    h.clock.advance(1);
    await d.legStatus(attempt, { childCallSid: randomSid('CA'), callStatus: 'ringing', sequenceNumber: 1 });
    h.clock.advance(15);
    await d.dialResult(attempt, { callStatus: 'in-progress', dialCallStatus: 'no-answer' });
    h.clock.advance(8);
    await d.callStatus({ callSid, callStatus: 'completed' });
    return callSid;
  };
  /** The next pass of the replay loop, past any backoff. */
  const nextPass = () => {
    h.clock.advance(60);
    return spool.replayer.replayOnce();
  };

  it("a call's arrival that waited too long for a pooled connection is kept with its later events, and the call is on record at the next pass", async () => {
    const callSid = await missedCall();
    const depth = spool.depth();
    vi.spyOn(h.container.calls, 'createCall').mockRejectedValueOnce(poolWaitTimeout());
    expect(await spool.replayer.replayOnce()).toEqual({ replayed: 0, setAside: 0, left: depth });
    expect(spool.degraded.holdsCall(callSid)).toBe(true);
    expect(await nextPass()).toMatchObject({ setAside: 0, left: 0 });
    const call = (await h.container.calls.getCallBySid(callSid))!;
    expect(call).toMatchObject({ state: 'ended', outcome: 'missed' });
    expect((await h.container.calls.attemptsOf(call.id)).map((a) => a.outcome)).toEqual(['no-answer']);
    expect((await callbacks()).map((c) => c.callIds)).toEqual([[call.id]]);
  });

  it("a deadlock holds back that call's events, in order, while other calls' go on; the next pass writes them", async () => {
    const first = await missedCall();
    const second = await missedCall();
    vi.spyOn(h.container.calls, 'finishAttempt').mockRejectedValueOnce(deadlock());
    const pass = await spool.replayer.replayOnce();
    expect(pass.setAside).toBe(0);
    expect(pass.left).toBeGreaterThan(0);
    // The other call was written in full; the first waits behind its failed event.
    expect(await h.container.calls.getCallBySid(second)).toMatchObject({ state: 'ended', outcome: 'missed' });
    expect((await h.container.calls.getCallBySid(first))!.state).toBe('hunting');
    expect(await nextPass()).toMatchObject({ setAside: 0, left: 0 });
    const call = (await h.container.calls.getCallBySid(first))!;
    expect(call).toMatchObject({ state: 'ended', outcome: 'missed' });
    expect((await h.container.calls.attemptsOf(call.id)).map((a) => a.outcome)).toEqual(['no-answer']);
  });

  it('an arrival the database refuses for its content is set aside and the admins told, and the call is still on record with the rest of its events', async () => {
    // A caller name PostgreSQL cannot store (a NUL character): refused for what it says, every time.
    const callSid = await missedCall('Zhang\u0000San');
    const pass = await spool.replayer.replayOnce();
    expect(pass).toMatchObject({ setAside: 1, left: 0 });
    const rejected = readFileSync(join(h.config.SPOOL_DIR, 'rejected.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rejected.map((r) => r.event.type)).toEqual(['call-arrived']);
    const call = (await h.container.calls.getCallBySid(callSid))!;
    expect(call).toMatchObject({ state: 'ended', outcome: 'missed', callerName: null });
    expect((await h.container.calls.attemptsOf(call.id)).map((a) => a.outcome)).toEqual(['no-answer']);
    expect((await callbacks()).map((c) => c.callIds)).toEqual([[call.id]]);
    const alerts = rest.sms.filter((m) => m.To === ADMIN);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.Body).toContain('rejected.jsonl');
    expect(alerts[0]!.Body).not.toContain(CALLER);
  });
});

describe("spool replay: the set-aside alert in the admins' chosen channel", () => {
  const DING_TOKEN = 'ding-token-spool';
  const DING_SECRET = 'SECspool0123456789abcdef';

  it('goes to the DingTalk robot chosen for the alerts, not by SMS', async () => {
    const h = await startHotline({ ADMIN_ALERT_PHONES: ADMIN, DINGTALK_API_BASE_URL: DINGTALK_API });
    try {
      const rest = interceptTwilioRest(TWILIO_API, ACCOUNT_SID);
      const fakes = fakeChannels({ now: () => h.clock.now(), dingtalkSecrets: { [DING_TOKEN]: DING_SECRET } });
      await h.api.addAgent('Agent A', A);
      const channel = await h.api.post('/api/notify-channels', { kind: 'dingtalk-robot', name: '管理群', accessToken: DING_TOKEN, secret: DING_SECRET });
      expect((await h.api.put('/api/alerts', { channel: channel.body.id })).status).toBe(200);
      const spool = h.container.spool!;
      await h.container.lastKnownRoster.refresh(HOTLINE, h.clock.now());
      // An arrival kept during an outage that PostgreSQL refuses for what it says (a NUL in the name).
      const d = spool.degraded;
      const callSid = randomSid('CA');
      const attempt = attemptIn(await d.incoming({ callSid, from: CALLER, to: HOTLINE, callerName: 'Zhang\u0000San' }))!;
      h.clock.advance(1);
      await d.legStatus(attempt, { childCallSid: randomSid('CA'), callStatus: 'ringing', sequenceNumber: 1 });
      h.clock.advance(15);
      await d.dialResult(attempt, { callStatus: 'in-progress', dialCallStatus: 'no-answer' });
      await d.callStatus({ callSid, callStatus: 'completed' });
      expect(await spool.replayer.replayOnce()).toMatchObject({ setAside: 1 });
      await (h.container.features.find((f) => f.name === 'notify') as NotifyFeature).deliverDue();
      expect(fakes.messages).toEqual([expect.objectContaining({ service: 'dingtalk-robot', to: DING_TOKEN, mentioned: [] })]);
      expect(fakes.messages[0]!.content).toContain('rejected.jsonl');
      expect(rest.sms.filter((m) => m.To === ADMIN)).toEqual([]);
      expect((await h.api.get('/api/notifications?status=sent')).body.notifications).toEqual([expect.objectContaining({ channel: channel.body.id, kind: 'spool-set-aside' })]);
    } finally {
      await h.close();
      nock.cleanAll();
    }
  });
});
