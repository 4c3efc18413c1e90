import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresAgentStore } from '../../src/postgres/agent-store';
import { PostgresCallStore } from '../../src/postgres/call-store';
import { migrate } from '../../src/postgres/migrate';
import { NewCalls } from '../../src/postgres/new-calls';
import { PostgresRosterStore } from '../../src/postgres/roster-store';
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

  /** NewCalls over the test database, counting the statements that insert calls. */
  const countedNewCalls = () => {
    const counted = { inserts: 0 };
    const db = {
      query: <T,>(sql: string, params?: unknown[]) => {
        if (sql.trimStart().startsWith('INSERT INTO calls')) counted.inserts++;
        return t.db.query<T>(sql, params);
      },
    };
    return { counted, newCalls: new NewCalls(db, { maxInFlight: 1, maxBatch: 64 }) };
  };

  it('records the calls that arrive while one is being written together, in one statement, each as one alone would be', async () => {
    const { counted, newCalls } = countedNewCalls();
    const sid = (s: string) => 'CA' + s.repeat(32 / s.length);
    const onRecord = await calls.createCall(newCall(sid('c0')), 40);
    const blocked = { blocked: true, internal: false, warned: false, refused: true };
    const lone = newCalls.create(newCall(sid('c1')), 41);
    const together = Promise.all([
      newCalls.create({ ...newCall(sid('c2')), waitingSince: at(3) }, 42),
      newCalls.create(newCall(sid('c2')), 43),
      newCalls.create(newCall(sid('c0')), 44),
      newCalls.create({ ...newCall(sid('c3')), screening: blocked }, 45),
    ]);
    const [first, [behind, repeat, again, refused]] = await Promise.all([lone, together]);
    // The lone call, the three that queued behind it, and the blocked caller alone (its row fires the rollup trigger).
    expect(counted.inserts).toBe(3);
    expect(first.created).toBe(true);
    expect(first.call).toMatchObject({ callSid: sid('c1'), rotationOffset: 41, state: 'hunting', waitingSince: null });
    // The first request for a CallSid in the statement wrote it; the second is a repeat and gets that row.
    expect(behind).toMatchObject({ created: true, call: { callSid: sid('c2'), rotationOffset: 42, state: 'hunting', waitingSince: at(3) } });
    expect(repeat).toEqual({ created: false, call: behind.call });
    expect(again).toEqual({ created: false, call: onRecord.call });
    expect(refused).toMatchObject({ created: true, call: { state: 'ended', endedBy: 'system', missedReason: 'blocked', blocked: true, endedAt: at(0), waitingSince: null } });
    for (const r of [first, behind, refused]) expect(await calls.getCall(r.call.id)).toEqual(r.call);
  });

  it('fails only the call whose data the database refuses when it was to be written with others', async () => {
    const { counted, newCalls } = countedNewCalls();
    const sid = (s: string) => 'CA' + s.repeat(32 / s.length);
    const lone = newCalls.create(newCall(sid('d1')), 50);
    const together = Promise.allSettled([
      newCalls.create(newCall(sid('d2')), 51),
      // A NUL is no character PostgreSQL keeps in text: the statement fails for this row's sake.
      newCalls.create({ ...newCall(sid('d3')), callerName: 'bad\u0000name' }, 52),
      newCalls.create(newCall(sid('d4')), 53),
    ]);
    await lone;
    const [ok, bad, alsoOk] = await together;
    // The lone call, the statement of three that failed, and each of the three again alone.
    expect(counted.inserts).toBe(5);
    expect(bad!.status).toBe('rejected');
    expect(await calls.getCallBySid(sid('d3'))).toBeNull();
    for (const [r, s] of [[ok, 'd2'], [alsoOk, 'd4']] as const) {
      expect(r!.status).toBe('fulfilled');
      expect(await calls.getCallBySid(sid(s))).toMatchObject({ callSid: sid(s), state: 'hunting' });
    }
  });

  it('records calls arriving at once on two instances, as the server does, each once, with no deadlock: blocked and internal callers of several hotlines too', async () => {
    const failed: string[] = [];
    const counting = {
      query: async <T,>(sql: string, params?: unknown[]) => {
        try {
          return await t.db.query<T>(sql, params);
        } catch (err) {
          failed.push(String((err as { code?: unknown }).code ?? err));
          throw err;
        }
      },
    };
    // Small statements, so that many meet; each instance keeps two on their way, as the server does.
    const instance = () => new NewCalls(counting, { maxInFlight: 2, maxBatch: 8 });
    const [a, b] = [instance(), instance()];
    const hotlines = ['+864008001230', '+864008001231', '+864008001232', '+864008001233'];
    const screenings = [undefined, { blocked: true, internal: false, warned: false, refused: true }, { blocked: false, internal: true, warned: false, refused: false }];
    const requests = Array.from({ length: 480 }, (_, i) => ({
      ...newCall('CA' + String(i).padStart(4, '0') + 'e'.repeat(28)),
      to: hotlines[i % 4]!,
      screening: screenings[i % 3],
    }));
    // Every CallSid asked on both instances, in opposite orders, as a balancer and Twilio's retries would.
    const answers = await Promise.all([...requests.map((r, i) => a.create(r, i)), ...[...requests].reverse().map((r, i) => b.create(r, i))]);
    expect(failed).toEqual([]);
    const bySid = new Map<string, { created: number; ids: Set<string> }>();
    for (const { call, created } of answers) {
      const seen = bySid.get(call.callSid) ?? { created: 0, ids: new Set<string>() };
      seen.created += created ? 1 : 0;
      seen.ids.add(call.id);
      bySid.set(call.callSid, seen);
    }
    expect(bySid.size).toBe(480);
    expect([...bySid.values()].every((v) => v.created === 1 && v.ids.size === 1)).toBe(true);
  });

  it('rejects a second active agent with the same phone', async () => {
    await expect(agents.create({ name: 'dup', phone: '+8613800000001' })).rejects.toThrow(/already/);
  });

  it('keeps why agents were passed over per offer, the first reason per agent, a roster list stored once for every call it held for', async () => {
    const roster = new PostgresRosterStore(t.db);
    const [x, y, z] = [await agents.create({ name: 'X', phone: '+8613800000011' }), await agents.create({ name: 'Y', phone: '+8613800000012' }), await agents.create({ name: 'Z', phone: '+8613800000013' })];
    const [one, two] = [(await calls.createCall(newCall('CA' + '5'.repeat(32)), offsets++)).call, (await calls.createCall(newCall('CA' + '6'.repeat(32)), offsets++)).call];
    const listed = [{ agentId: x.id, reason: 'off-duty' as const }, { agentId: y.id, reason: 'paused' as const }];
    await roster.noteSkipped(one.id, [...listed, { agentId: z.id, reason: 'busy' }], at(5));
    // The next offer: Z still busy, Y found busy too (its earlier reason stays).
    await roster.noteSkipped(one.id, [...listed, { agentId: y.id, reason: 'busy' }, { agentId: z.id, reason: 'busy' }], at(9));
    await roster.noteSkipped(two.id, listed, at(6));
    // A new store (another instance) sends the list again: still one copy of it.
    await new PostgresRosterStore(t.db).noteSkipped(two.id, listed, at(7));

    const byId = (ids: string[]) => ids.slice().sort();
    const skips = await calls.skipsOfCalls([one.id, two.id]);
    expect(skips.get(one.id)).toEqual(
      byId([x.id, y.id, z.id]).map((agentId) => ({ agentId, reason: agentId === x.id ? 'off-duty' : agentId === y.id ? 'paused' : 'busy' })),
    );
    expect(skips.get(two.id)).toEqual(byId([x.id, y.id]).map((agentId) => ({ agentId, reason: agentId === x.id ? 'off-duty' : 'paused' })));
    const count = async () => {
      const [notes] = await t.db.query<{ n: string }>('SELECT count(*) AS n FROM call_skip_notes WHERE call_id = ANY($1::uuid[])', [[one.id, two.id]]);
      const [sets] = await t.db.query<{ n: string }>('SELECT count(*) AS n FROM skip_sets');
      return [Number(notes?.n), Number(sets?.n)];
    };
    // One's two offers and two's first; two's repeat (from the other store too) said nothing new.
    expect(await count()).toEqual([3, 1]);
    // A waiting caller offered again at every pass, finding the same agents busy, adds no row.
    for (let i = 10; i < 15; i++) await roster.noteSkipped(one.id, [...listed, { agentId: y.id, reason: 'busy' }, { agentId: z.id, reason: 'busy' }], at(i));
    expect(await count()).toEqual([3, 1]);
    expect((await calls.skipsOfCalls([])).size).toBe(0);
  });
});
