import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresAgentStore } from '../../src/postgres/agent-store';
import { PostgresCallStore } from '../../src/postgres/call-store';
import { migrate } from '../../src/postgres/migrate';
import { freshDatabase, type TestDatabase } from '../support/backends';

/** The stores against the database this run names (PGlite by default, PostgreSQL with DATABASE_URL). */
describe('call store', () => {
  let t: TestDatabase;
  let calls: PostgresCallStore;
  let agents: PostgresAgentStore;
  let agentId: string;
  const at = (s: number) => new Date(Date.UTC(2026, 10, 23, 2, 0, s));
  let offsets = 0;

  beforeAll(async () => {
    t = await freshDatabase();
    calls = new PostgresCallStore(t.db);
    agents = new PostgresAgentStore(t.db);
    agentId = (await agents.create({ name: 'A', phone: '+8613800000001' })).id;
  });
  afterAll(async () => t.drop());

  const newCall = (sid: string) => ({ callSid: sid, from: '+8613911112222', to: '+864008001234', callerName: null, startedAt: at(0) });

  it('migrating again changes nothing', async () => {
    expect(await migrate(t.db)).toEqual([]);
  });

  it('stores a call once per CallSid, a repeat getting the first one back with its rotation offset', async () => {
    const first = await calls.createCall(newCall('CA' + '1'.repeat(32)), offsets++);
    const again = await calls.createCall(newCall('CA' + '1'.repeat(32)), offsets++);
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.call.id).toBe(first.call.id);
    expect(again.call.rotationOffset).toBe(first.call.rotationOffset);
  });

  it('keeps the first attempt recorded under a number when two requests race for it', async () => {
    const { call } = await calls.createCall(newCall('CA' + '2'.repeat(32)), offsets++);
    const other = (await agents.create({ name: 'B', phone: '+8613800000002' })).id;
    const [x, y] = await Promise.all([
      calls.addAttempt({ callId: call.id, seq: 0, agentId, endpoint: '+8613800000001', offeredAt: at(1) }),
      calls.addAttempt({ callId: call.id, seq: 0, agentId: other, endpoint: '+8613800000002', offeredAt: at(1) }),
    ]);
    expect([x!.created, y!.created].sort()).toEqual([false, true]);
    expect(x!.attempt.id).toBe(y!.attempt.id);
    expect(await calls.attemptsOf(call.id)).toHaveLength(1);
  });

  it('reads several calls at once by id, leaving out ids it does not know', async () => {
    const { call: a } = await calls.createCall(newCall('CA' + 'a1'.repeat(16)), offsets++);
    const { call: b } = await calls.createCall(newCall('CA' + 'b1'.repeat(16)), offsets++);
    const unknown = '00000000-0000-4000-8000-000000000000';
    const byId = await calls.callsByIds([a.id, b.id, unknown]);
    expect([...byId.keys()].sort()).toEqual([a.id, b.id].sort());
    expect(byId.get(a.id)).toEqual(a);
    expect(await calls.callsByIds([])).toEqual(new Map());
  });

  it('adds no attempt to a call that has ended', async () => {
    const { call } = await calls.createCall(newCall('CA' + 'e'.repeat(32)), offsets++);
    await calls.endCall(call.id, { outcome: 'abandoned', at: at(2), endedBy: 'caller' });
    expect(await calls.addAttempt({ callId: call.id, seq: 0, agentId, endpoint: '+8613800000001', offeredAt: at(3) })).toBeNull();
    expect(await calls.attemptsOf(call.id)).toEqual([]);
  });

  it('stores a repeated leg event once and derives ring time from the earliest timestamps', async () => {
    const { call } = await calls.createCall(newCall('CA' + '3'.repeat(32)), offsets++);
    const { attempt } = (await calls.addAttempt({ callId: call.id, seq: 0, agentId, endpoint: '+8613800000001', offeredAt: at(1) }))!;
    const child = 'CA' + '4'.repeat(32);
    const ev = (status: string, seq: number, s: number) => ({ childCallSid: child, sequenceNumber: seq, attemptId: attempt.id, callStatus: status, eventAt: at(s), receivedAt: at(30), durationSeconds: null });
    expect((await calls.recordLegEvent(ev('in-progress', 2, 9))).inserted).toBe(true);
    expect((await calls.recordLegEvent(ev('in-progress', 2, 9))).inserted).toBe(false);
    await calls.recordLegEvent(ev('initiated', 0, 1));
    const { attempt: timed } = await calls.recordLegEvent(ev('ringing', 1, 2));
    expect(timed?.ringSeconds).toBe(7);
    expect(timed?.childCallSid).toBe(child);
  });

  it('accepts once, ends once, and keeps an accepted call answered whatever ends it', async () => {
    const { call } = await calls.createCall(newCall('CA' + '5'.repeat(32)), offsets++);
    const { attempt } = (await calls.addAttempt({ callId: call.id, seq: 0, agentId, endpoint: '+8613800000001', offeredAt: at(1) }))!;
    expect(await calls.acceptAttempt(attempt.id, at(8), 10)).toBe(true);
    expect(await calls.acceptAttempt(attempt.id, at(9), 10)).toBe(true);
    const ended = await calls.endCall(call.id, { outcome: 'abandoned', at: at(68), endedBy: 'caller' });
    expect(ended).toMatchObject({ outcome: 'answered', waitSeconds: 8, withinAnswerRule: true, talkSeconds: 60, endedBy: 'caller' });
    expect(await calls.endCall(call.id, { outcome: 'missed', at: at(90), endedBy: 'system' })).toBeNull();
    expect(await calls.finishAttempt(attempt.id, { outcome: 'accepted', dialCallStatus: 'completed', at: at(68) })).toBe(true);
    expect(await calls.finishAttempt(attempt.id, { outcome: 'no-answer', dialCallStatus: 'no-answer', at: at(69) })).toBe(false);
    expect((await calls.getAttempt(attempt.id))?.outcome).toBe('accepted');
  });

  it('refuses to connect a call the caller already left', async () => {
    const { call } = await calls.createCall(newCall('CA' + '6'.repeat(32)), offsets++);
    const { attempt } = (await calls.addAttempt({ callId: call.id, seq: 0, agentId, endpoint: '+8613800000001', offeredAt: at(1) }))!;
    await calls.endCall(call.id, { outcome: 'abandoned', at: at(5), endedBy: 'caller' });
    expect(await calls.acceptAttempt(attempt.id, at(6), 10)).toBe(false);
    expect((await calls.getCall(call.id))?.outcome).toBe('abandoned');
  });

  it('corrects an ended call\'s outcome once, only while it still ends as the corrector saw it', async () => {
    const { call } = await calls.createCall(newCall('CA' + 'c7'.repeat(16)), offsets++);
    await calls.endCall(call.id, { outcome: 'missed', at: at(52), endedBy: 'system', missedReason: 'max-wait' });
    const seen = { outcome: 'missed' as const, missedReason: 'max-wait' };
    const fixed = await calls.correctEnd(call.id, seen, { outcome: 'abandoned', at: at(45), endedBy: 'caller' }, at(70));
    expect(fixed).toMatchObject({ outcome: 'abandoned', missedReason: null, endedBy: 'caller', endedAt: at(45), waitSeconds: 45 });
    expect(await calls.correctEnd(call.id, seen, { outcome: 'abandoned', at: at(45), endedBy: 'caller' }, at(71))).toBeNull();
    const back = await calls.correctEnd(call.id, { outcome: 'abandoned', missedReason: null }, { outcome: 'missed', at: at(50), endedBy: 'system', missedReason: 'webhook-fallback' }, at(72));
    expect(back).toMatchObject({ outcome: 'missed', missedReason: 'webhook-fallback', endedBy: 'system', waitSeconds: 50 });
  });

  it('rejects a second active agent with the same phone', async () => {
    await expect(agents.create({ name: 'dup', phone: '+8613800000001' })).rejects.toThrow(/already/);
  });
});
