import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CallbackFeature } from '../../src/callbacks/callback-feature';
import { PostgresSpoolBacklogStore } from '../../src/postgres/spool-backlog-store';
import type { SpoolPort } from '../../src/spool/spool-feature';
import { ACCOUNT_SID, HOTLINE, PUBLIC_BASE_URL, startHotline, TWILIO_API, type Hotline } from '../support/hotline-harness';
import { interceptTwilioRest } from '../support/outbound-call';
import { deadlock } from '../support/faults';
import { randomSid } from '../support/twilio-driver';

const CALLER = '+8613911112222';
const NEXT_CALLER = '+8613933334444';
const AGENT = '+8613800000001';
const DUTY = '+861012345678';

/** The attempt id in a <Dial>'s action URL. */
const attemptIn = (twiml: string) => /dial-result\?attempt=([0-9a-f-]{36})/.exec(twiml)?.[1];
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

/**
 * A call's identity through a PostgreSQL outage, one agent on the hotline so that "the agent is
 * free again" reads as "the next caller is rung": a call that talks through the outage, and a call
 * the database failed under and that was carried on from memory. Every request is signed like
 * Twilio's; the database fails as a refused connection (as test/e2e/spooled-calls.test.ts).
 */
describe('one call identity across a PostgreSQL outage', () => {
  let h: Hotline;
  let spool: SpoolPort;
  let agentId: string;
  let restore: () => void;

  beforeEach(async () => {
    h = await startHotline({ FALLBACK_NUMBER: DUTY });
    interceptTwilioRest(TWILIO_API, ACCOUNT_SID);
    agentId = (await h.api.addAgent('Agent A', AGENT)).id;
    spool = h.container.spool!;
    await h.container.lastKnownRoster.refresh(HOTLINE, h.clock.now());
    const db = h.container.db;
    const { query, transaction } = db;
    restore = () => Object.assign(db, { query, transaction });
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    restore();
    nock.cleanAll();
    await h.close();
  });

  const hook = (path: string, params: Record<string, string>) => h.twilio.post(`${PUBLIC_BASE_URL}/webhooks/voice/${path}`, params);
  const databaseDown = () => {
    const down = async () => {
      throw refused();
    };
    Object.assign(h.container.db, { query: down, transaction: down });
  };
  /** The database is back: the replay loop's next pass (every 2 s) writes the spool. */
  const databaseBack = async () => {
    restore();
    h.clock.advance(2);
    return spool.replayer.replayOnce();
  };
  /** A caller rung and put through to the agent, all while the database answered. */
  const talking = async () => {
    const callSid = randomSid('CA');
    const attempt = attemptIn((await hook('incoming', { CallSid: callSid, From: CALLER, To: HOTLINE })).text)!;
    h.clock.advance(5);
    const child = randomSid('CA');
    await hook(`leg-status?attempt=${attempt}`, { CallSid: child, CallStatus: 'in-progress', SequenceNumber: '1' });
    expect((await hook(`screen?attempt=${attempt}`, { CallSid: child })).text).toContain('<Gather');
    h.clock.advance(2);
    await hook(`screen-result?attempt=${attempt}`, { CallSid: child, Digits: '1' });
    expect((await h.container.calls.getCallBySid(callSid))!.state).toBe('connected');
    return { callSid, attempt, child };
  };
  /** Whether a new caller is rung to the agent now (their claim is free). */
  const nextCallerRingsTheAgent = async () => {
    const res = await hook('incoming', { CallSid: randomSid('CA'), From: NEXT_CALLER, To: HOTLINE });
    return res.text.includes(`>${AGENT}</Number>`);
  };

  it('a talk whose agent hangs up during the outage is ended answered on record, and its agent rung again, once the database is back', async () => {
    const { callSid, attempt, child } = await talking();
    databaseDown();
    h.clock.advance(60);
    expect((await hook(`leg-status?attempt=${attempt}`, { CallSid: child, CallStatus: 'completed', SequenceNumber: '2', CallDuration: '60' })).status).toBe(204);
    const after = await hook(`dial-result?attempt=${attempt}`, { CallSid: callSid, CallStatus: 'in-progress', DialCallStatus: 'completed', DialBridged: 'true' });
    // The talk is over: the caller hears the thanks, not the apology of a hotline that failed them.
    expect(after.text).toContain('<Hangup/>');
    expect(after.text).not.toContain(DUTY);
    h.clock.advance(3);
    expect((await hook('status', { CallSid: callSid, CallStatus: 'completed', SequenceNumber: '3', CallDuration: '70' })).status).toBe(204);
    h.clock.advance(1);

    expect(await databaseBack()).toMatchObject({ setAside: 0, left: 0 });
    const call = (await h.container.calls.getCallBySid(callSid))!;
    expect(call).toMatchObject({ state: 'ended', outcome: 'answered', endedBy: 'agent' });
    expect((await h.container.calls.attemptsOf(call.id)).map((a) => a.outcome)).toEqual(['accepted']);
    expect(await nextCallerRingsTheAgent()).toBe(true);
  });

  it('a talk whose caller hangs up during the outage, with no agent-leg status, is ended answered and frees its agent once the database is back', async () => {
    const { callSid, attempt } = await talking();
    databaseDown();
    h.clock.advance(45);
    expect((await hook('status', { CallSid: callSid, CallStatus: 'completed', SequenceNumber: '3', CallDuration: '52' })).status).toBe(204);
    expect((await hook(`dial-result?attempt=${attempt}`, { CallSid: callSid, CallStatus: 'completed', DialCallStatus: 'completed', DialBridged: 'true' })).status).toBe(200);
    h.clock.advance(2);

    expect(await databaseBack()).toMatchObject({ setAside: 0, left: 0 });
    expect(await h.container.calls.getCallBySid(callSid)).toMatchObject({ state: 'ended', outcome: 'answered', endedBy: 'caller' });
    expect(await nextCallerRingsTheAgent()).toBe(true);
  });

  it('a new caller during an outage of both PostgreSQL and the coordination (Redis down, its fallback in PostgreSQL) hears the apology and is on record missed with a callback, though they hang up after it', async () => {
    databaseDown();
    // Redis down too: the failover coordinator claims through PostgreSQL, which refuses as well.
    vi.spyOn(h.container.coordinator, 'claimFirstFree').mockRejectedValue(refused());
    const callSid = randomSid('CA');
    const answer = await hook('incoming', { CallSid: callSid, From: CALLER, To: HOTLINE });
    expect(answer.text).toContain(`<Dial timeout="30">${DUTY}</Dial>`);
    expect(answer.text).not.toContain(`>${AGENT}</Number>`);
    h.clock.advance(3);
    await hook('status', { CallSid: callSid, CallStatus: 'completed', SequenceNumber: '1' });
    vi.restoreAllMocks();

    expect(await databaseBack()).toMatchObject({ setAside: 0 });
    const call = await h.container.calls.getCallBySid(callSid);
    expect(call).toMatchObject({ state: 'ended', outcome: 'missed', endedBy: 'system', missedReason: 'database-down-duty-number' });
    expect(((await h.api.get('/api/callbacks')).body.callbacks as { callIds: string[] }[]).map((c) => c.callIds)).toEqual([[call!.id]]);
    expect(await nextCallerRingsTheAgent()).toBe(true);
  });

  it('a waiting caller turned away by the fallback during the outage (their key press failed) is on record missed, with a callback, once the database is back', async () => {
    await talking();
    const waiting = randomSid('CA');
    expect((await hook('incoming', { CallSid: waiting, From: NEXT_CALLER, To: HOTLINE })).text).not.toContain('<Dial');
    const call = (await h.container.calls.getCallBySid(waiting))!;
    databaseDown();
    h.clock.advance(20);
    const fallback = await hook(`callback-offer?call=${call.id}`, { CallSid: waiting, Digits: '2' });
    expect(fallback.text).toContain(`<Dial timeout="30">${DUTY}</Dial>`);
    h.clock.advance(30);
    await hook('status', { CallSid: waiting, CallStatus: 'completed', SequenceNumber: '3' });

    expect(await databaseBack()).toMatchObject({ setAside: 0 });
    expect(await h.container.calls.getCallBySid(waiting)).toMatchObject({ state: 'ended', outcome: 'missed', endedBy: 'system', missedReason: 'database-down-duty-number' });
    expect(((await h.api.get('/api/callbacks')).body.callbacks as { callIds: string[] }[]).map((c) => c.callIds)).toEqual([[call.id]]);
  });

  it('a call carried on from memory after the database failed under it keeps its agent under the id on record: the end of its talk after the replay frees them', async () => {
    const db = h.container.db;
    const { query } = db;
    // The offer's insert commits, and the database goes down before its answer comes back.
    db.query = async <T,>(sql: string, params?: unknown[]): Promise<T[]> => {
      if (!sql.includes('INSERT INTO ring_attempts')) return query.call(db, sql, params) as Promise<T[]>;
      await query.call(db, sql, params);
      databaseDown();
      throw refused();
    };
    const callSid = randomSid('CA');
    const attempt = attemptIn((await hook('incoming', { CallSid: callSid, From: CALLER, To: HOTLINE })).text)!;
    expect(spool.degraded.holdsCall(callSid)).toBe(true);
    h.clock.advance(3);
    const child = randomSid('CA');
    expect((await hook(`screen?attempt=${attempt}`, { CallSid: child })).text).toContain('<Gather');
    await hook(`screen-result?attempt=${attempt}`, { CallSid: child, Digits: '1' });

    expect(await databaseBack()).toMatchObject({ setAside: 0, left: 0 });
    const call = (await h.container.calls.getCallBySid(callSid))!;
    expect(call.state).toBe('connected');
    expect(spool.degraded.holdsCall(callSid)).toBe(false);
    // The talk ends after the replay: its requests take the usual path, which names the claim as the record does.
    h.clock.advance(40);
    await hook(`leg-status?attempt=${attempt}`, { CallSid: child, CallStatus: 'completed', SequenceNumber: '2', CallDuration: '40' });
    await hook(`dial-result?attempt=${attempt}`, { CallSid: callSid, CallStatus: 'in-progress', DialCallStatus: 'completed', DialBridged: 'true' });
    expect(await h.container.calls.getCallBySid(callSid)).toMatchObject({ state: 'ended', outcome: 'answered' });
    expect(await h.container.coordinator.holderOf(agentId)).toBeNull();
    expect(await nextCallerRingsTheAgent()).toBe(true);
  });

  it('a talk whose end meets a deadlock (its leg status and its Dial action both fail for a passing reason) is ended answered and frees its agent at the next replay', async () => {
    const { callSid, attempt, child } = await talking();
    // Right after an outage every instance writes at once: each of these statements fails once.
    const calls = h.container.calls;
    vi.spyOn(calls, 'recordLegEvent').mockRejectedValueOnce(deadlock());
    vi.spyOn(calls, 'finishAttempt').mockRejectedValueOnce(deadlock());
    h.clock.advance(40);
    expect((await hook(`leg-status?attempt=${attempt}`, { CallSid: child, CallStatus: 'completed', SequenceNumber: '2', CallDuration: '40' })).status).toBe(204);
    const after = await hook(`dial-result?attempt=${attempt}`, { CallSid: callSid, CallStatus: 'in-progress', DialCallStatus: 'completed', DialBridged: 'true' });
    expect(after.text).toContain('<Hangup/>');
    expect(after.text).not.toContain(DUTY);
    h.clock.advance(3);
    expect((await hook('status', { CallSid: callSid, CallStatus: 'completed', SequenceNumber: '3', CallDuration: '50' })).status).toBe(204);
    vi.restoreAllMocks();

    h.clock.advance(2);
    expect(await spool.replayer.replayOnce()).toMatchObject({ setAside: 0, left: 0 });
    expect(await h.container.calls.getCallBySid(callSid)).toMatchObject({ state: 'ended', outcome: 'answered', endedBy: 'agent' });
    expect(await nextCallerRingsTheAgent()).toBe(true);
  });

  it('a caller who hangs up while the agent rings, during the outage, is ended abandoned at the replay even when its first try wrote half of it (the attempt finished, the end failed)', async () => {
    const callSid = randomSid('CA');
    const attempt = attemptIn((await hook('incoming', { CallSid: callSid, From: CALLER, To: HOTLINE })).text)!;
    databaseDown();
    h.clock.advance(4);
    // The caller gives up while the agent's phone rings: Twilio's Dial action, then the call's end.
    expect((await hook(`dial-result?attempt=${attempt}`, { CallSid: callSid, CallStatus: 'completed', DialCallStatus: 'canceled' })).status).toBe(200);
    h.clock.advance(1);
    expect((await hook('status', { CallSid: callSid, CallStatus: 'completed', SequenceNumber: '2' })).status).toBe(204);
    // The database comes back flaky: the attempt's end is written, the call's end meets a deadlock.
    vi.spyOn(h.container.calls, 'endCall').mockRejectedValueOnce(deadlock());
    expect(await databaseBack()).toMatchObject({ setAside: 0 });
    vi.restoreAllMocks();

    h.clock.advance(2);
    expect(await spool.replayer.replayOnce()).toMatchObject({ setAside: 0, left: 0 });
    // At this pass, not two minutes later when the hang-up alone would end it.
    expect(await h.container.calls.getCallBySid(callSid)).toMatchObject({ state: 'ended', outcome: 'abandoned', endedBy: 'caller' });
    expect(await nextCallerRingsTheAgent()).toBe(true);
  });

  it('a caller who hangs up in the waiting line during the outage (no agent ringing for them) is ended abandoned at the first replay, not two minutes later', async () => {
    await talking();
    const waiting = randomSid('CA');
    expect((await hook('incoming', { CallSid: waiting, From: NEXT_CALLER, To: HOTLINE })).text).not.toContain('<Dial');
    databaseDown();
    h.clock.advance(20);
    expect((await hook('status', { CallSid: waiting, CallStatus: 'completed', SequenceNumber: '2' })).status).toBe(204);
    h.clock.advance(5);

    expect(await databaseBack()).toMatchObject({ setAside: 0, left: 0 });
    expect(await h.container.calls.getCallBySid(waiting)).toMatchObject({ state: 'ended', outcome: 'abandoned', endedBy: 'caller' });
  });

  it('a caller turned away while an agent rang for them, whose end is spooled (a deadlock), frees that agent at the replay', async () => {
    const callSid = randomSid('CA');
    expect(attemptIn((await hook('incoming', { CallSid: callSid, From: CALLER, To: HOTLINE })).text)).toBeDefined();
    // Twilio asks the Voice Fallback URL (the caller's next webhook failed); ending the call on record meets a deadlock.
    vi.spyOn(h.container.calls, 'endCall').mockRejectedValueOnce(deadlock());
    h.clock.advance(3);
    const fallback = await hook('fallback', { CallSid: callSid, From: CALLER, To: HOTLINE, ErrorUrl: `${PUBLIC_BASE_URL}/webhooks/voice/hold` });
    expect(fallback.text).toContain(DUTY);
    await vi.waitFor(() => expect(spool.depth()).toBe(1));
    vi.restoreAllMocks();

    h.clock.advance(2);
    expect(await spool.replayer.replayOnce()).toMatchObject({ setAside: 0, left: 0 });
    expect(await h.container.calls.getCallBySid(callSid)).toMatchObject({ state: 'ended', outcome: 'missed' });
    expect(await nextCallerRingsTheAgent()).toBe(true);
  });

  it("a callback's deadline that passed while the caller's answered call was still in the spool is judged only after the replay: closed in time, no fine", async () => {
    await h.twilio.placeCall({ from: CALLER, to: HOTLINE });
    const cb = ((await h.api.get('/api/callbacks')).body.callbacks as { id: string; phone: string; dueAt: string }[]).find((c) => c.phone === CALLER)!;
    const scheduler = (h.container.features.find((f) => f.name === 'callbacks') as CallbackFeature).scheduler;
    await scheduler.runDue(h.clock.now());
    // The caller rings again before the deadline and gets through; the talk ends during an outage.
    h.clock.set(new Date(Date.parse(cb.dueAt) - 3 * 60_000));
    const { callSid, attempt, child } = await talking();
    databaseDown();
    h.clock.advance(60);
    await hook(`leg-status?attempt=${attempt}`, { CallSid: child, CallStatus: 'completed', SequenceNumber: '2', CallDuration: '60' });
    await hook(`dial-result?attempt=${attempt}`, { CallSid: callSid, CallStatus: 'in-progress', DialCallStatus: 'completed', DialBridged: 'true' });
    await hook('status', { CallSid: callSid, CallStatus: 'completed', SequenceNumber: '3', CallDuration: '62' });

    // The database is back after the deadline; the scheduler runs before the spool is replayed.
    h.clock.set(new Date(Date.parse(cb.dueAt) + 60_000));
    restore();
    await scheduler.runDue(h.clock.now());
    const fines = async () => (await h.container.db.query('SELECT id FROM fines WHERE callback_id = $1', [cb.id])).length;
    expect(await fines()).toBe(0);
    expect((await h.api.get(`/api/callbacks/${cb.id}`)).body.lapsedAt ?? null).toBeNull();

    expect(await spool.replayer.replayOnce()).toMatchObject({ setAside: 0, left: 0 });
    h.clock.advance(10);
    await scheduler.runDue(h.clock.now());
    expect(await fines()).toBe(0);
    expect((await h.api.get(`/api/callbacks/${cb.id}`)).body).toMatchObject({ status: 'closed', lapsedAt: null });
    // What this instance tells the others now: its spool empty, as of the replay.
    expect(await h.container.db.query('SELECT 1 FROM spool_backlogs WHERE oldest_at IS NOT NULL')).toHaveLength(0);
  });

  it('a deadline is judged only once every instance has reported its spool since: one whose last report came before it waits, then the lapse is judged', async () => {
    await h.twilio.placeCall({ from: CALLER, to: HOTLINE });
    const cb = ((await h.api.get('/api/callbacks')).body.callbacks as { id: string; phone: string; dueAt: string }[]).find((c) => c.phone === CALLER)!;
    const due = Date.parse(cb.dueAt);
    const scheduler = (h.container.features.find((f) => f.name === 'callbacks') as CallbackFeature).scheduler;
    const store = new PostgresSpoolBacklogStore(h.container.db);
    const lapsedAt = async () => (await h.api.get(`/api/callbacks/${cb.id}`)).body.lapsedAt ?? null;
    // Another instance, its spool empty as of 5 s before the deadline; nothing heard from it since
    // (the database was down: an answered call of this caller may be in its spool).
    await store.note('other', null, new Date(due - 5_000), new Date(0));
    h.clock.set(new Date(due + 10_000));
    await scheduler.runDue(h.clock.now());
    expect(await lapsedAt()).toBeNull();
    // It reports again, empty: nothing it could replay is older than the deadline.
    await store.note('other', null, new Date(due + 11_000), new Date(0));
    h.clock.set(new Date(due + 30_000));
    await scheduler.runDue(h.clock.now());
    expect(await lapsedAt()).not.toBeNull();
  });

  it("another instance's spool holds back the verdicts it could change: while it holds an event from before the deadline, or has not reported since the deadline (it may have spooled one: its first pass after an outage can come after the scheduler's), until it reports or is gone", async () => {
    const store = new PostgresSpoolBacklogStore(h.container.db);
    const at = (s: string) => new Date(`2026-11-23T${s}Z`);
    const fresh = at('02:59:00');
    const stale = at('01:00:00');
    await h.container.db.query('DELETE FROM spool_backlogs');
    await store.note('other', at('02:10:00'), at('03:00:00'), stale);
    expect(await store.holdsEventsBefore(at('02:20:00'), fresh)).toBe(true);
    // Its oldest event comes after the deadline: nothing it holds can change that verdict.
    expect(await store.holdsEventsBefore(at('02:05:00'), fresh)).toBe(false);
    // An instance not heard of for a while has stopped: it holds nothing back.
    expect(await store.holdsEventsBefore(at('02:20:00'), at('03:01:00'))).toBe(false);
    // Empty as of 03:00: nothing held back for a deadline before then...
    await store.note('other', null, at('03:00:00'), stale);
    expect(await store.holdsEventsBefore(at('02:20:00'), fresh)).toBe(false);
    // ...but a deadline after its last report waits: it may have spooled since (an outage).
    expect(await store.holdsEventsBefore(at('03:00:30'), fresh)).toBe(true);
    await store.note('other', null, at('03:00:32'), stale);
    expect(await store.holdsEventsBefore(at('03:00:30'), fresh)).toBe(false);
    // The row of an instance not seen for a while goes with the next report of any instance.
    const instances = async () => (await h.container.db.query<{ instance_id: string }>('SELECT instance_id FROM spool_backlogs ORDER BY 1')).map((r) => r.instance_id);
    await store.note('mine', null, at('03:00:32'), at('03:00:31'));
    expect(await instances()).toEqual(['mine', 'other']);
    await store.note('mine', null, at('03:00:40'), at('03:00:35'));
    expect(await instances()).toEqual(['mine']);
  });
});
