import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresAgentStore } from '../../src/postgres/agent-store';
import { PostgresAnalyticsStore, type AgentSummaryRow, type CallSummaryRow } from '../../src/postgres/analytics-store';
import { PostgresCallStore } from '../../src/postgres/call-store';
import { RawAnalytics } from '../../src/postgres/raw-analytics';
import { freshDatabase, type TestDatabase } from '../support/backends';

/**
 * The rollups of migration 0016 against the figures computed over the calls themselves: after
 * calls that end out of order, outcomes and first rings that change after the end, status
 * callbacks replayed, calls moved and deleted, the summary read from the rollups is the raw one
 * for every range and filter the API takes, and the rollups are what a rebuild from the rows gives.
 */
const HOTLINE_A = '+864008001234';
const HOTLINE_B = '+864008005678';
// Sunday 23:50 in Shanghai: the calls run over three local days, and over UTC midnights.
const T0 = Date.parse('2026-11-22T15:50:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);

/** A small deterministic generator, so a failure replays. */
function generator(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T,>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]! };
}

describe('analytics rollups', () => {
  let t: TestDatabase;
  let rollups: PostgresAnalyticsStore;
  let raw: RawAnalytics;
  let agentIds: string[];

  beforeAll(async () => {
    t = await freshDatabase();
    rollups = new PostgresAnalyticsStore(t.db);
    raw = new RawAnalytics(t.db);
    const agents = new PostgresAgentStore(t.db);
    agentIds = [];
    for (const [i, name] of ['Agent A', 'Agent B', 'Agent C'].entries()) agentIds.push((await agents.create({ name, phone: `+861380000000${i + 1}` })).id);
    await seedCalls(t, agentIds);
  }, 120_000);
  afterAll(async () => t.drop());

  const ranges: [string, Date, Date][] = [
    ['aligned to local midnights (two whole days)', new Date('2026-11-22T16:00:00Z'), new Date('2026-11-24T16:00:00Z')],
    ['ragged at both ends, across UTC and local days', new Date(T0 + 7 * 60_000 + 13_500), new Date(T0 + 2.6 * 86_400_000 + 123_456)],
    ['aligned to slots, within one hour', new Date('2026-11-23T02:15:00Z'), new Date('2026-11-23T03:00:00Z')],
    ['shorter than a slot', new Date('2026-11-23T02:03:00Z'), new Date('2026-11-23T02:11:30Z')],
    ['every call', new Date(T0 - 86_400_000), new Date(T0 + 5 * 86_400_000)],
    ['a whole UTC day and ragged ends', new Date('2026-11-22T23:59:59.250Z'), new Date('2026-11-24T00:00:00.750Z')],
    ['empty (before the first call)', new Date('2026-11-01T00:00:00Z'), new Date('2026-11-08T00:00:00Z')],
  ];
  const hotlines: (string | undefined)[] = [undefined, HOTLINE_A, HOTLINE_B, '+864008009999'];

  it('the call summary from the rollups is the raw one, for every range and hotline', async () => {
    let offered = 0;
    for (const [label, from, to] of ranges) {
      for (const hotline of hotlines) {
        const fromRollups = await rollups.callSummary(from, to, hotline);
        expectSameSummary(fromRollups, await raw.callSummary(from, to, hotline), `${label}, ${hotline ?? 'every number'}`);
        offered += fromRollups.offered;
      }
    }
    // The ranges hold calls of every kind, or the comparison proves little.
    expect(offered).toBeGreaterThan(300);
    const all = await raw.callSummary(ranges[4]![1], ranges[4]![2]);
    expect(Math.min(all.blocked, all.internal, all.answered, all.missed, all.abandoned)).toBeGreaterThan(0);
  });

  it('the per-agent figures from the rollups are the raw ones', async () => {
    for (const [label, from, to] of ranges) {
      for (const hotline of hotlines) {
        const [a, b] = [await rollups.agentSummary(from, to, hotline), await raw.agentSummary(from, to, hotline)];
        expect(a.map(agentKey), `${label}, ${hotline}`).toEqual(b.map(agentKey));
        a.forEach((row, i) => expectClose(row.averageRingSecondsWhenAccepted, b[i]!.averageRingSecondsWhenAccepted, label));
      }
    }
  });

  it('calls by local hour and by local date, in zones a whole, half or quarter hour off UTC', async () => {
    for (const zone of ['Asia/Shanghai', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/New_York']) {
      for (const [label, from, to] of ranges) {
        for (const unit of ['hour', 'day'] as const) {
          expect(await rollups.outcomesBy(unit, from, to, zone, HOTLINE_A), `${zone} ${unit} ${label}`).toEqual(await raw.outcomesBy(unit, from, to, zone, HOTLINE_A));
          expect(await rollups.outcomesBy(unit, from, to, zone), `${zone} ${unit} ${label}`).toEqual(await raw.outcomesBy(unit, from, to, zone));
        }
      }
    }
  });

  it('the rollups kept change by change are the ones rebuilt from the rows', async () => {
    const kept = await rollupRows(t);
    await t.db.query('SELECT rollup_rebuild()');
    expect(await rollupRows(t)).toEqual(kept);
  });

  it('a call ended through the call store is in the figures at once, and its late first ring moves them', async () => {
    const calls = new PostgresCallStore(t.db);
    const from = new Date('2026-11-30T00:00:00Z');
    const to = new Date('2026-11-30T01:00:00Z');
    const startedAt = new Date('2026-11-30T00:20:00.400Z');
    const { call } = await calls.createCall({ callSid: 'CA' + 'f'.repeat(32), from: '+8613911112222', to: HOTLINE_A, callerName: null, startedAt }, 1);
    const { attempt } = (await calls.addAttempt({ callId: call.id, seq: 0, agentId: agentIds[0]!, endpoint: '+8613800000001', offeredAt: startedAt }))!;
    expect((await rollups.callSummary(from, to)).offered).toBe(0);
    await calls.recordLegEvent({ childCallSid: 'CA' + 'c'.repeat(32), sequenceNumber: 1, attemptId: attempt.id, callStatus: 'ringing', eventAt: new Date('2026-11-30T00:20:03Z'), receivedAt: startedAt, durationSeconds: null });
    await calls.acceptAttempt(attempt.id, new Date('2026-11-30T00:20:07.400Z'), 10);
    await calls.finishAttempt(attempt.id, { outcome: 'accepted', dialCallStatus: 'completed', at: new Date('2026-11-30T00:21:00Z') });
    await calls.endCall(call.id, { outcome: 'answered', at: new Date('2026-11-30T00:21:00Z'), endedBy: 'agent' });
    const ended = await rollups.callSummary(from, to);
    expect(ended).toMatchObject({ offered: 1, answered: 1, answeredWithinRule: 1, averageSpeedOfAnswerSeconds: 7, firstRingSecondsP90: 2.6 });
    // An earlier 'initiated'/'ringing' Timestamp arriving late moves the first ring.
    await calls.recordLegEvent({ childCallSid: 'CA' + 'c'.repeat(32), sequenceNumber: 0, attemptId: attempt.id, callStatus: 'ringing', eventAt: new Date('2026-11-30T00:20:02Z'), receivedAt: new Date('2026-11-30T00:22:00Z'), durationSeconds: null });
    expectSameSummary(await rollups.callSummary(from, to), await raw.callSummary(from, to), 'after the late callback');
    expect((await rollups.callSummary(from, to)).firstRingSecondsP90).toBeCloseTo(1.6, 9);
    expect((await rollups.agentSummary(from, to)).map(agentKey)).toEqual((await raw.agentSummary(from, to)).map(agentKey));
    // Replaying the same callbacks changes nothing.
    await calls.endCall(call.id, { outcome: 'missed', at: new Date('2026-11-30T00:23:00Z'), endedBy: 'system' });
    await calls.finishAttempt(attempt.id, { outcome: 'no-answer', dialCallStatus: 'no-answer', at: new Date('2026-11-30T00:23:00Z') });
    expectSameSummary(await rollups.callSummary(from, to), await raw.callSummary(from, to), 'after the replay');
    expect((await rollups.callSummary(from, to)).answered).toBe(1);
  });
});

function agentKey(a: AgentSummaryRow) {
  return [a.agentId, a.name, a.offers, a.offeredFirst, a.accepted, a.noAnswer, a.rejectedByScreen].join(' ');
}

function expectClose(a: number | null, b: number | null, label: string) {
  if (b === null) expect(a, label).toBeNull();
  else expect(a, label).toBeCloseTo(b, 9);
}

function expectSameSummary(a: CallSummaryRow, b: CallSummaryRow, label: string) {
  const { averageSpeedOfAnswerSeconds, firstRingSecondsMean, averageAbandonWaitSeconds, averageTalkSeconds, ...exact } = a;
  const { averageSpeedOfAnswerSeconds: asa, firstRingSecondsMean: ring, averageAbandonWaitSeconds: abandon, averageTalkSeconds: talk, ...rawExact } = b;
  // Counts and the percentile are exact; means agree to 1e-9 s (the rollups add exact decimals where AVG adds doubles).
  expect(exact, label).toEqual(rawExact);
  expectClose(averageSpeedOfAnswerSeconds, asa, label);
  expectClose(firstRingSecondsMean, ring, label);
  expectClose(averageAbandonWaitSeconds, abandon, label);
  expectClose(averageTalkSeconds, talk, label);
}

/** Every rollup row that holds something, in one order; sums by value (0 and 0.000 are one). */
async function rollupRows(t: TestDatabase) {
  const rows = async (sql: string) =>
    (await t.db.query<Record<string, unknown>>(sql)).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k.endsWith('_sum') ? Number(v) : v])));
  return {
    calls: await rows(`SELECT * FROM call_rollups WHERE blocked <> 0 OR internal <> 0 OR offered <> 0 ORDER BY span_seconds, slot_start, to_number`),
    firstRings: await rows(`SELECT * FROM first_ring_rollups WHERE calls <> 0 ORDER BY span_seconds, slot_start, to_number, seconds`),
    agents: await rows(`SELECT * FROM agent_rollups WHERE offers <> 0 ORDER BY span_seconds, slot_start, to_number, agent_id`),
  };
}

/**
 * About 600 calls over three days, written the way the hotline writes them (a row on arrival,
 * attempts, then the end) but in a shuffled order, with the changes that come later: outcomes
 * corrected, first rings moved by late callbacks, the same end replayed, calls moved to another
 * number or blocked after the fact, and a few deleted with their attempts.
 */
async function seedCalls(t: TestDatabase, agentIds: string[]) {
  const g = generator(20261201);
  const db = t.db;
  const calls = Array.from({ length: 600 }, (_, i) => {
    const kind = g.next();
    return {
      sid: 'CA' + String(i).padStart(32, '0'),
      to: g.next() < 0.7 ? HOTLINE_A : HOTLINE_B,
      startedAt: at(g.int(3 * 86_400) + g.int(1000) / 1000).toISOString(),
      blocked: kind < 0.04,
      internal: kind >= 0.04 && kind < 0.08,
      attempts: 1 + g.int(3),
    };
  });
  const inserted = await db.query<{ id: string; call_sid: string }>(
    `INSERT INTO calls (call_sid, from_number, to_number, started_at, rotation_offset, blocked, internal)
     SELECT sid, '+8613900000000', hotline, started, 0, blocked, internal
     FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::boolean[], $5::boolean[]) AS x (sid, hotline, started, blocked, internal)
     RETURNING id, call_sid`,
    [calls.map((c) => c.sid), calls.map((c) => c.to), calls.map((c) => c.startedAt), calls.map((c) => c.blocked), calls.map((c) => c.internal)],
  );
  const idOf = new Map(inserted.map((r) => [r.call_sid, r.id]));
  const ids = calls.map((c) => idOf.get(c.sid)!);
  const attempts = calls.flatMap((c, i) => Array.from({ length: c.attempts }, (_, seq) => ({ callId: ids[i]!, seq, agentId: g.pick(agentIds), offeredAt: c.startedAt })));
  await db.query(
    `INSERT INTO ring_attempts (call_id, seq, agent_id, endpoint, offered_at)
     SELECT call_id, seq, agent_id, 'x', offered_at FROM unnest($1::uuid[], $2::int[], $3::uuid[], $4::timestamptz[]) AS x (call_id, seq, agent_id, offered_at)`,
    [attempts.map((a) => a.callId), attempts.map((a) => a.seq), attempts.map((a) => a.agentId), attempts.map((a) => a.offeredAt)],
  );
  // The ends, in an order unrelated to arrival; whole and fractional seconds, some replayed.
  const order = ids.map((id) => ({ id, key: g.next() })).sort((x, y) => x.key - y.key);
  for (const { id } of order) {
    const outcome = g.pick(['answered', 'answered', 'answered', 'missed', 'abandoned', null] as const);
    const wait = g.next() < 0.5 ? 1 + g.int(20) : Math.round(g.next() * 20_000) / 1000;
    const firstRing = g.next() < 0.1 ? null : g.next() < 0.6 ? g.int(6) : Math.round(g.next() * 6000) / 1000;
    const end = async () =>
      db.query(
        `UPDATE calls SET state = CASE WHEN $2::text IS NULL THEN 'hunting' ELSE 'ended' END, outcome = $2::text, wait_seconds = $3::double precision,
           within_answer_rule = CASE WHEN $2::text = 'answered' THEN $3::double precision <= 10 END,
           talk_seconds = CASE WHEN $2::text = 'answered' THEN $4::double precision END, first_ring_seconds = $5::double precision
         WHERE id = $1`,
        [id, outcome, outcome ? wait : null, g.int(600) + g.int(1000) / 1000, firstRing],
      );
    await end();
    if (g.next() < 0.15) await end();
    await db.query(
      `UPDATE ring_attempts SET initiated_at = CASE WHEN seq % 2 = 0 OR $2::boolean THEN offered_at END,
         ring_seconds = (seq + 1) * 2.5 + $3::integer, outcome = CASE WHEN seq = 0 AND $4::boolean THEN 'accepted' ELSE $5::text END
       WHERE call_id = $1`,
      [id, g.next() < 0.5, g.int(4), g.next() < 0.6, g.pick(['no-answer', 'busy', 'failed', 'rejected-by-screen', 'caller-gone', 'not-bridged', null])],
    );
  }
  // Later changes: late first rings, corrected outcomes, moved and blocked calls, deletions.
  for (const id of ids.slice(0, 120)) {
    const change = g.int(6);
    if (change === 0) await db.query(`UPDATE calls SET first_ring_seconds = LEAST(COALESCE(first_ring_seconds, 'Infinity'), $2) WHERE id = $1`, [id, g.int(3)]);
    if (change === 1) await db.query(`UPDATE calls SET outcome = 'missed', state = 'ended', within_answer_rule = false WHERE id = $1`, [id]);
    if (change === 2) await db.query(`UPDATE calls SET to_number = CASE WHEN to_number = $2 THEN $3 ELSE $2 END WHERE id = $1`, [id, HOTLINE_A, HOTLINE_B]);
    if (change === 3) await db.query(`UPDATE calls SET started_at = started_at + interval '47 minutes' WHERE id = $1`, [id]);
    if (change === 4) await db.query(`UPDATE calls SET blocked = NOT blocked WHERE id = $1`, [id]);
    if (change === 5) {
      await db.query('DELETE FROM ring_attempts WHERE call_id = $1', [id]);
      await db.query('DELETE FROM calls WHERE id = $1', [id]);
    }
  }
  await db.query(`UPDATE ring_attempts SET agent_id = $1 WHERE seq = 2`, [agentIds[2]]);
}
