import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SpoolPort } from '../../src/spool/spool-feature';
import { OTHER_SPOOLS_GRACE_SECONDS } from '../../src/spool/spool-replayer';
import { ACCOUNT_SID, HOTLINE, PUBLIC_BASE_URL, startHotline, TWILIO_API, type Hotline } from '../support/hotline-harness';
import { interceptTwilioRest } from '../support/outbound-call';
import { randomSid } from '../support/twilio-driver';

const CALLER = '+8613911112222';
const A = '+8613800000001';
const B = '+8613800000002';
const DUTY = '+861012345678';

/** The attempt id in a <Dial>'s action URL. */
const attemptIn = (twiml: string) => /dial-result\?attempt=([0-9a-f-]{36})/.exec(twiml)?.[1];
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

/**
 * A caller put through while the database is down (src/spool/degraded-calls.ts), and the replay
 * of the spool once it is back. The flow without a database is driven directly here, on every
 * backend; test/e2e/postgres-outage.test.ts stops a real PostgreSQL under signed webhooks.
 */
describe('calls put through while the database is down, written once it is back', () => {
  let h: Hotline;
  let spool: SpoolPort;

  beforeEach(async () => {
    h = await startHotline({ FALLBACK_NUMBER: DUTY });
    interceptTwilioRest(TWILIO_API, ACCOUNT_SID);
    await h.api.addAgent('Agent A', A);
    await h.api.addAgent('Agent B', B);
    spool = h.container.spool!;
    await h.container.lastKnownRoster.refresh(HOTLINE, h.clock.now());
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    nock.cleanAll();
    await h.close();
  });

  const hook = (path: string, params: Record<string, string>) => h.twilio.post(`${PUBLIC_BASE_URL}/webhooks/voice/${path}`, params);
  /** A caller who arrived `seconds` ago through the signed webhook, while the database answered. */
  const arrived = async (seconds: number) => {
    const callSid = randomSid('CA');
    await hook('incoming', { CallSid: callSid, From: CALLER, To: HOTLINE });
    h.clock.advance(seconds);
    return callSid;
  };
  /** What an instance spools when it answered a caller with the fallback, the database being down. */
  const spoolFallback = (callSid: string, at: string) =>
    spool.file.append({ type: 'call-ended', callSid, outcome: 'missed', endedBy: 'system', missedReason: 'database-down-fallback', at });
  const callbacks = async () => (await h.api.get('/api/callbacks')).body.callbacks as { callIds: string[]; status: string; firstCallAt: string }[];

  /** A caller whose two agents both ring out, then the duty number; the caller hangs up during it. */
  const missedCall = async (callSid: string) => {
    const d = spool.degraded;
    const first = await d.incoming({ callSid, from: CALLER, to: HOTLINE });
    const a1 = attemptIn(first)!;
    h.clock.advance(1);
    await d.legStatus(a1, { childCallSid: randomSid('CA'), callStatus: 'ringing', sequenceNumber: 1 });
    h.clock.advance(15);
    const second = (await d.dialResult(a1, { callStatus: 'in-progress', dialCallStatus: 'no-answer' }))!;
    const a2 = attemptIn(second)!;
    h.clock.advance(18);
    const third = (await d.dialResult(a2, { callStatus: 'in-progress', dialCallStatus: 'no-answer' }))!;
    h.clock.advance(20);
    await d.callStatus({ callSid, callStatus: 'completed' });
    return { first, second, third };
  };

  it('rings the agents it last read, then the duty number; on record afterwards as missed at its own times, with a callback', async () => {
    const callSid = randomSid('CA');
    const arrived = h.clock.now();
    const { first, second, third } = await missedCall(callSid);
    expect(first).toMatch(/^<\?xml.*<Response><Dial [^>]*answerOnBridge="true"/);
    expect(second).toContain('<Dial');
    expect([A, B].every((n) => `${first}${second}`.includes(n))).toBe(true);
    expect(third).toContain(`<Dial timeout="30">${DUTY}</Dial>`);
    expect(spool.depth()).toBeGreaterThan(0);
    expect(await h.container.calls.getCallBySid(callSid)).toBeNull();

    h.clock.advance(120);
    const pass = await spool.replayer.replayOnce();
    expect(pass).toMatchObject({ setAside: 0, left: 0 });
    const call = (await h.container.calls.getCallBySid(callSid))!;
    expect(call).toMatchObject({ state: 'ended', outcome: 'missed', missedReason: 'database-down-duty-number' });
    expect(call.startedAt).toEqual(arrived);
    expect(call.endedAt).toEqual(new Date(arrived.getTime() + 34_000));
    const attempts = await h.container.calls.attemptsOf(call.id);
    expect(attempts.map((a) => [a.seq, a.outcome])).toEqual([
      [0, 'no-answer'],
      [1, 'no-answer'],
    ]);
    expect(attempts.map((a) => a.id)).toEqual([attemptIn(first), attemptIn(second)]);
    const cbs = await callbacks();
    expect(cbs).toHaveLength(1);
    expect(cbs[0]!.callIds).toEqual([call.id]);
    // The agents were freed as each leg ended: the next call rings an agent again.
    expect(await h.container.coordinator.holderOf(attempts[0]!.agentId)).toBeNull();
  });

  it('replays a second time without changing anything', async () => {
    const callSid = randomSid('CA');
    await missedCall(callSid);
    const { lines } = await spool.file.read();
    await spool.replayer.replayOnce();
    const call = (await h.container.calls.getCallBySid(callSid))!;
    const before = { call, attempts: await h.container.calls.attemptsOf(call.id), callbacks: await callbacks() };
    // The same events again, as after a crash between writing them and removing them.
    for (const l of lines) await spool.file.append(l.event);
    h.clock.advance(300);
    expect(await spool.replayer.replayOnce()).toMatchObject({ setAside: 0, left: 0 });
    const again = (await h.container.calls.getCallBySid(callSid))!;
    expect({ call: again, attempts: await h.container.calls.attemptsOf(call.id), callbacks: await callbacks() }).toEqual(before);
  });

  it('stops at the first event the database cannot take, keeps the rest in order, and goes on from there next time', async () => {
    const callSid = randomSid('CA');
    await missedCall(callSid);
    const depth = spool.depth();
    const finish = vi.spyOn(h.container.calls, 'finishAttempt').mockRejectedValueOnce(refused());
    const pass = await spool.replayer.replayOnce();
    expect(pass.left).toBeGreaterThan(0);
    expect(pass.replayed + pass.left).toBe(depth);
    expect((await h.container.calls.getCallBySid(callSid))!.state).toBe('hunting');
    // Its webhooks still go to the spool, behind the events not yet written.
    expect(spool.degraded.holdsCall(callSid)).toBe(true);
    finish.mockRestore();
    expect(await spool.replayer.replayOnce()).toMatchObject({ setAside: 0, left: 0 });
    expect((await h.container.calls.getCallBySid(callSid))!.outcome).toBe('missed');
    expect(spool.degraded.holdsCall(callSid)).toBe(false);
  });

  it('an agent who takes the call is on record as answering it, within the rule', async () => {
    const callSid = randomSid('CA');
    const d = spool.degraded;
    const attempt = attemptIn(await d.incoming({ callSid, from: CALLER, to: HOTLINE }))!;
    h.clock.advance(6);
    const child = randomSid('CA');
    expect(await d.screen(attempt, child)).toContain('<Gather');
    h.clock.advance(1);
    expect(await d.screenResult(attempt, '1')).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    h.clock.advance(60);
    await d.dialResult(attempt, { callStatus: 'completed', dialCallStatus: 'completed', dialBridged: 'true' });
    await d.callStatus({ callSid, callStatus: 'completed' });
    await spool.replayer.replayOnce();
    const call = (await h.container.calls.getCallBySid(callSid))!;
    expect(call).toMatchObject({ state: 'ended', outcome: 'answered', waitSeconds: 7, withinAnswerRule: true });
    expect(await callbacks()).toHaveLength(0);
  });

  it('an offer recorded as the database went down is withdrawn, and the call carried from memory is on record with its own offer after it', async () => {
    const db = h.container.db;
    const { query, transaction } = db;
    const down = async () => {
      throw refused();
    };
    // The offer's insert commits, and the database goes down before its answer comes back.
    db.query = async <T,>(sql: string, params?: unknown[]): Promise<T[]> => {
      if (!sql.includes('INSERT INTO ring_attempts')) return query.call(db, sql, params) as Promise<T[]>;
      await query.call(db, sql, params);
      Object.assign(db, { query: down, transaction: down });
      throw refused();
    };
    const callSid = randomSid('CA');
    const first = await hook('incoming', { CallSid: callSid, From: CALLER, To: HOTLINE });
    expect(first.text).toMatch(/<Response><Dial [^>]*answerOnBridge="true"/);
    const attempt = attemptIn(first.text)!;
    expect(spool.degraded.holdsCall(callSid)).toBe(true);
    h.clock.advance(3);
    expect((await hook(`screen?attempt=${attempt}`, { CallSid: randomSid('CA') })).text).toContain('<Gather');
    expect((await hook(`screen-result?attempt=${attempt}`, { CallSid: randomSid('CA'), Digits: '1' })).status).toBe(200);
    h.clock.advance(40);
    await hook(`dial-result?attempt=${attempt}`, { CallSid: callSid, CallStatus: 'in-progress', DialCallStatus: 'completed', DialBridged: 'true' });
    await hook('status', { CallSid: callSid, CallStatus: 'completed', SequenceNumber: '2' });
    Object.assign(db, { query, transaction });
    expect(await spool.replayer.replayOnce()).toMatchObject({ setAside: 0, left: 0 });
    const call = (await h.container.calls.getCallBySid(callSid))!;
    expect(call).toMatchObject({ state: 'ended', outcome: 'answered', waitSeconds: 3 });
    const attempts = await h.container.calls.attemptsOf(call.id);
    expect(attempts.map((a) => [a.seq, a.outcome])).toEqual([
      [0, 'withdrawn'],
      [1, 'accepted'],
    ]);
    expect(attempts[1]!.id).toBe(attempt);
    // Nothing of the offer that was never dialled keeps its agent.
    expect(await h.container.coordinator.holderOf(attempts[0]!.agentId)).toBeNull();
  });

  it('a call begun before the outage whose Dial action gets the fallback is on record as missed by the hotline, not abandoned by the caller', async () => {
    const callSid = randomSid('CA');
    const attempt = attemptIn((await hook('incoming', { CallSid: callSid, From: CALLER, To: HOTLINE })).text)!;
    expect(attempt).toBeDefined();
    const db = h.container.db;
    const { query, transaction } = db;
    db.query = async () => {
      throw refused();
    };
    db.transaction = async () => {
      throw refused();
    };
    h.clock.advance(15);
    const fallback = await hook(`dial-result?attempt=${attempt}`, { CallSid: callSid, CallStatus: 'in-progress', DialCallStatus: 'no-answer' });
    expect(fallback.status).toBe(200);
    expect(fallback.text).toContain(`<Dial timeout="30">${DUTY}</Dial>`);
    h.clock.advance(40);
    // The caller's leg ends after the duty line: by itself this callback reads as a caller who hung up.
    expect((await hook('status', { CallSid: callSid, CallStatus: 'completed', SequenceNumber: '3' })).status).toBe(204);
    db.query = query;
    db.transaction = transaction;
    expect(await spool.replayer.replayOnce()).toMatchObject({ setAside: 0, left: 0 });
    const call = (await h.container.calls.getCallBySid(callSid))!;
    expect(call).toMatchObject({ state: 'ended', outcome: 'missed', endedBy: 'system', missedReason: 'database-down-duty-number' });
    expect((await callbacks()).map((c) => c.callIds)).toEqual([[call.id]]);
  });

  it("a caller's hang-up spooled by an instance that did not hold the call waits for the other spools before it reads as an abandon", async () => {
    const callSid = await arrived(20);
    const at = h.clock.now().toISOString();
    // What this instance spooled while the database was down; the other instance's spool says the hotline ended the call.
    await spool.file.append({ type: 'call-event', callSid, callStatus: 'completed', sequenceNumber: 3, eventAt: at, receivedAt: at, durationSeconds: 20 });
    expect(await spool.replayer.replayOnce()).toMatchObject({ setAside: 0, left: 1 });
    expect((await h.container.calls.getCallBySid(callSid))!.state).toBe('hunting');
    const other = randomSid('CA');
    await spoolFallback(other, at);
    expect(await spool.replayer.replayOnce()).toMatchObject({ setAside: 0, left: 2 });
    // The other instance's replay ends the call as the caller lived it.
    const call = (await h.container.calls.getCallBySid(callSid))!;
    await h.container.calls.endCall(call.id, { outcome: 'missed', endedBy: 'system', missedReason: 'database-down-fallback', at: h.clock.now() });
    h.clock.advance(OTHER_SPOOLS_GRACE_SECONDS);
    // Past the grace: the hang-up changes nothing, and an end whose call never came on record is set aside.
    expect(await spool.replayer.replayOnce()).toMatchObject({ setAside: 1, left: 0 });
    expect(await h.container.calls.getCallBySid(callSid)).toMatchObject({ state: 'ended', outcome: 'missed', endedBy: 'system' });
    expect(await h.container.calls.getCallBySid(other)).toBeNull();
  });

  it("the hotline's fallback spooled on one instance, replayed after the caller's hang-up ended the call on another, makes it missed", async () => {
    const callSid = await arrived(20);
    // This instance could not reach the database and answered the hold with the fallback apology.
    const turnedAwayAt = h.clock.now().toISOString();
    await spoolFallback(callSid, turnedAwayAt);
    // The caller hung up during the apology; their status reached an instance whose database answered.
    h.clock.advance(4);
    const leftAt = new Date(Math.floor(h.clock.now().getTime() / 1000) * 1000);
    expect((await hook('status', { CallSid: callSid, CallStatus: 'completed', SequenceNumber: '3', Timestamp: leftAt.toUTCString() })).status).toBe(204);
    expect(await h.container.calls.getCallBySid(callSid)).toMatchObject({ outcome: 'abandoned', endedBy: 'caller' });
    expect(await spool.replayer.replayOnce()).toMatchObject({ setAside: 0, left: 0 });
    const call = (await h.container.calls.getCallBySid(callSid))!;
    expect(call).toMatchObject({ state: 'ended', outcome: 'missed', endedBy: 'system', missedReason: 'database-down-fallback' });
    expect((await callbacks()).map((c) => c.callIds)).toEqual([[call.id]]);
  });

  it('a fallback replayed after the waiting line inferred an abandon (Twilio no longer knew the call) makes it missed', async () => {
    const callSid = await arrived(20);
    await spoolFallback(callSid, h.clock.now().toISOString());
    // Once the database is back, another instance's REST move of the waiting caller gets a 404 and,
    // with no status of theirs on record, ends the call abandoned at that moment.
    h.clock.advance(6);
    const call = (await h.container.calls.getCallBySid(callSid))!;
    await h.container.calls.endCall(call.id, { outcome: 'abandoned', endedBy: 'caller', at: h.clock.now() });
    expect(await spool.replayer.replayOnce()).toMatchObject({ setAside: 0, left: 0 });
    expect(await h.container.calls.getCallBySid(callSid)).toMatchObject({ state: 'ended', outcome: 'missed', endedBy: 'system', missedReason: 'database-down-fallback' });
  });

  it('a hang-up replayed from a spool, before the moment the hotline had turned the caller away, makes the call abandoned', async () => {
    const callSid = await arrived(20);
    const leftAt = new Date(Math.floor(h.clock.now().getTime() / 1000) * 1000).toISOString();
    h.clock.advance(5);
    // Another instance ended the call on record as turned away, 5 s after the caller had gone.
    const call = (await h.container.calls.getCallBySid(callSid))!;
    await h.container.calls.endCall(call.id, { outcome: 'missed', endedBy: 'system', missedReason: 'database-down-fallback', at: h.clock.now() });
    await spool.file.append({ type: 'call-event', callSid, callStatus: 'completed', sequenceNumber: 3, eventAt: leftAt, receivedAt: leftAt, durationSeconds: 20 });
    expect(await spool.replayer.replayOnce()).toMatchObject({ setAside: 0, left: 0 });
    expect(await h.container.calls.getCallBySid(callSid)).toMatchObject({ state: 'ended', outcome: 'abandoned', endedBy: 'caller', endedAt: new Date(leftAt) });
  });

  it('a hang-up of a call no spool ends is an abandon once the grace is over', async () => {
    const callSid = await arrived(20);
    const at = h.clock.now().toISOString();
    await spool.file.append({ type: 'call-event', callSid, callStatus: 'completed', sequenceNumber: 3, eventAt: at, receivedAt: at, durationSeconds: 20 });
    await spool.replayer.replayOnce();
    h.clock.advance(OTHER_SPOOLS_GRACE_SECONDS);
    expect(await spool.replayer.replayOnce()).toMatchObject({ setAside: 0, left: 0 });
    expect(await h.container.calls.getCallBySid(callSid)).toMatchObject({ state: 'ended', outcome: 'abandoned', endedBy: 'caller', endedAt: new Date(at) });
  });

  it('through the signed webhooks: with connections refused, the call rings an agent and every later request of it goes to the spool', async () => {
    const db = h.container.db;
    const { query, transaction } = db;
    db.query = async () => {
      throw refused();
    };
    db.transaction = async () => {
      throw refused();
    };
    const callSid = randomSid('CA');
    const first = await hook('incoming', { CallSid: callSid, From: CALLER, To: HOTLINE });
    expect(first.status).toBe(200);
    expect(first.text).toMatch(/<Response><Dial [^>]*answerOnBridge="true"/);
    const attempt = attemptIn(first.text)!;
    // A repeat of the incoming webhook rings the same agent, with no second step of the rotation.
    expect(attemptIn((await hook('incoming', { CallSid: callSid, From: CALLER, To: HOTLINE })).text)).toBe(attempt);
    expect((await hook(`screen?attempt=${attempt}`, { CallSid: randomSid('CA') })).text).toContain('<Gather');
    h.clock.advance(2);
    expect((await hook(`screen-result?attempt=${attempt}`, { CallSid: randomSid('CA'), Digits: '1' })).status).toBe(200);
    h.clock.advance(30);
    const after = await hook(`dial-result?attempt=${attempt}`, { CallSid: callSid, CallStatus: 'in-progress', DialCallStatus: 'completed', DialBridged: 'true' });
    expect(after.text).toContain('<Hangup/>');
    // The database is back, but the call's events are not written yet: its status still goes to the spool, behind them.
    db.query = query;
    db.transaction = transaction;
    expect((await hook('status', { CallSid: callSid, CallStatus: 'completed', SequenceNumber: '2' })).status).toBe(204);
    expect(await h.container.calls.getCallBySid(callSid)).toBeNull();
    expect(await spool.replayer.replayOnce()).toEqual({ replayed: 7, setAside: 0, left: 0 });
    expect(await h.container.calls.getCallBySid(callSid)).toMatchObject({ outcome: 'answered', waitSeconds: 2 });
  });
});
