import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentBehaviour, CallScript, CallTranscript } from '../../src/simulator/twilio-model';
import { interceptAfterCallRest } from '../support/after-call';
import { HOTLINE, startHotline, type Hotline } from '../support/hotline-harness';
import { PlannedNetwork, type NetworkPlan } from '../support/seeded-network';

/**
 * Whatever order Twilio's requests arrive in, every call ends right. Each run generates a few
 * overlapping calls (agents who answer, ring out, are busy, let voicemail pick up, press the
 * wrong key; callers who hang up at any moment or ask for a callback) and a network plan (status
 * callbacks late and twice, key presses answered past Twilio's 15 s, requests spread over two
 * server instances), plays them through the Twilio model, and checks the invariants below.
 *
 * PROPERTY_RUNS sets the number of runs (default 150); a failure prints fast-check's seed and
 * path, and PROPERTY_SEED=<seed> PROPERTY_PATH=<path> replays exactly that run.
 */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 150);
const THRESHOLD = 10;
const MIN_ABANDON = 5;

const agentBehaviour: fc.Arbitrary<AgentBehaviour> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ does: fc.constant('accept' as const), ringSeconds: fc.integer({ min: 1, max: 14 }), pressAfterSeconds: fc.double({ min: 0.2, max: 5, noNaN: true }), talkSeconds: fc.integer({ min: 1, max: 50 }), hangsUpFirst: fc.constantFrom('agent' as const, 'caller' as const) }) },
  { weight: 2, arbitrary: fc.constant({ does: 'ring-out' as const }) },
  { weight: 1, arbitrary: fc.constant({ does: 'busy' as const }) },
  { weight: 1, arbitrary: fc.constant({ does: 'fail' as const }) },
  { weight: 1, arbitrary: fc.record({ does: fc.constant('voicemail' as const), ringSeconds: fc.integer({ min: 1, max: 12 }) }) },
  { weight: 1, arbitrary: fc.record({ does: fc.constant('press' as const), digit: fc.constantFrom('2', '9'), ringSeconds: fc.integer({ min: 1, max: 8 }), pressAfterSeconds: fc.double({ min: 0.2, max: 3, noNaN: true }) }) },
);

const callPlan = fc.record({
  arriveAfterSeconds: fc.integer({ min: 0, max: 40 }),
  agents: fc.array(agentBehaviour, { minLength: 3, maxLength: 3 }),
  hangsUpAfterSeconds: fc.option(fc.integer({ min: 1, max: 80 }), { nil: undefined }),
  pressWhileHolding: fc.option(fc.record({ beforeAttempt: fc.integer({ min: 1, max: 2 }), digit: fc.constantFrom('1', '5'), afterSeconds: fc.double({ min: 0.2, max: 3, noNaN: true }) }), { nil: undefined }),
});

const networkPlan: fc.Arbitrary<NetworkPlan> = fc.record({
  seed: fc.integer(),
  maxDelaySeconds: fc.constantFrom(0, 3, 20),
  duplicateShare: fc.constantFrom(0, 0.2),
  lateKeyPressShare: fc.constantFrom(0, 0.3),
  spread: fc.boolean(),
});

const scenario = fc.record({ agentCount: fc.integer({ min: 1, max: 3 }), calls: fc.array(callPlan, { minLength: 1, maxLength: 4 }), network: networkPlan });
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

interface CallRow {
  id: string;
  state: string;
  outcome: string | null;
  answered_by_agent_id: string | null;
  wait_seconds: number | null;
  within_answer_rule: boolean | null;
  ended_at: Date | null;
}

describe('every call ends right, in whatever order Twilio\'s requests arrive', () => {
  let h: Hotline;
  const network = new PlannedNetwork();
  let run = 0;

  beforeAll(async () => {
    // The background loops (sweep, settler, outbox, spool replay, callback scheduler) run on the
    // model's clock: over the runs, callbacks from earlier runs pass their 2-hour deadline.
    h = await startHotline({}, undefined, { instances: 2, network, background: true });
    interceptAfterCallRest(h);
  });
  afterAll(async () => {
    await h.close();
  });

  /** One run: fresh agents and callers, the calls played to their end, then every invariant. */
  async function play(s: Scenario): Promise<void> {
    run++;
    network.use(s.network);
    const phones = Array.from({ length: s.agentCount }, (_, i) => `+8613${String(run).padStart(7, '0')}${i}`);
    const agents = await Promise.all(phones.map((p) => h.api.addAgent(`run ${run} agent ${p.slice(-1)}`, p)));
    const agentOfPhone = new Map(agents.map((a) => [a.phone, a.id]));
    const scripts: (CallScript & { arriveAfterSeconds: number })[] = s.calls.map((c, i) => ({
      from: `+8615${String(run).padStart(7, '0')}${i}`,
      to: HOTLINE,
      arriveAfterSeconds: c.arriveAfterSeconds,
      agents: Object.fromEntries(phones.map((p, j) => [p, c.agents[j]!])),
      hangsUpAfterSeconds: c.hangsUpAfterSeconds,
      pressWhileHolding: c.pressWhileHolding,
    }));
    const before = h.twilio.model.doubleRung.length;
    let transcripts: CallTranscript[];
    try {
      transcripts = await h.twilio.placeCalls(scripts);
    } finally {
      for (const a of agents) await h.api.delete(`/api/agents/${a.id}`);
    }

    // No phone was rung for two calls at once.
    expect(h.twilio.model.doubleRung.slice(before)).toEqual([]);
    for (const [i, t] of transcripts.entries()) await checkCall(t, scripts[i]!, agentOfPhone);
    // No claim outlives its call, and nobody is left in the waiting line.
    for (const a of agents) expect(await h.container.coordinator.holderOf(a.id), `claim on ${a.phone}`).toBeNull();
    const rows = await h.container.db.query<{ id: string }>('SELECT id FROM calls WHERE call_sid = ANY($1)', [transcripts.map((t) => t.callSid)]);
    for (const r of rows) expect(await h.container.coordinator.linePosition(r.id), `line place of ${r.id}`).toBeNull();
  }

  async function checkCall(t: CallTranscript, script: CallScript, agentOfPhone: Map<string, string>): Promise<void> {
    const where = `call from ${script.from}`;
    const [call] = await h.container.db.query<CallRow>('SELECT * FROM calls WHERE call_sid = $1', [t.callSid]);
    // Exactly one record, ended, with the outcome the caller lived.
    expect(call, where).toBeDefined();
    expect(call!.state, where).toBe('ended');
    if (t.bridgedTo) {
      expect(call!.outcome, `${where}: talked to ${t.bridgedTo}`).toBe('answered');
      expect(call!.answered_by_agent_id, where).toBe(agentOfPhone.get(t.bridgedTo));
      // The wait on record is the one lived, and the rule is judged on it.
      expect(Math.abs(Number(call!.wait_seconds) - t.waitedSeconds!), where).toBeLessThanOrEqual(1);
      if (t.waitedSeconds! <= THRESHOLD - 1) expect(call!.within_answer_rule, where).toBe(true);
      if (t.waitedSeconds! > THRESHOLD + 1) expect(call!.within_answer_rule, where).toBe(false);
      // The apology is heard whenever the caller had waited past the rule when put through.
      if (t.waitedSeconds! > THRESHOLD) expect(t.bridgedWhispers.join(), `${where}: waited ${t.waitedSeconds} s`).toContain('致歉');
    } else {
      expect(call!.outcome, `${where}: never talked to anyone`).not.toBe('answered');
      // Missed: the hotline ended the call (the apology) before the caller hung up, or decided to.
      if (call!.outcome === 'abandoned') expect(t.endedByHotline, `${where}: abandoned, yet the hotline ended it`).toBe(false);
      if (call!.outcome === 'missed' && !t.endedByHotline) expect(call!.ended_at!.getTime(), where).toBeLessThanOrEqual(t.hungUpAt!.getTime());
    }
    // Every caller nobody answered (not a misdial) has exactly one open callback, which holds this call.
    const callbacks = await h.container.db.query<{ status: string; call_ids: string[] }>(
      `SELECT c.status, ARRAY(SELECT call_id::text FROM callback_calls cc WHERE cc.callback_id = c.id) AS call_ids FROM callbacks c WHERE c.phone = $1`,
      [script.from],
    );
    const open = callbacks.filter((c) => c.status === 'open' || c.status === 'attempted');
    const owed = call!.outcome === 'missed' || (call!.outcome === 'abandoned' && Number(call!.wait_seconds) >= MIN_ABANDON);
    if (owed) {
      expect(open, `${where}: ${call!.outcome} after ${call!.wait_seconds} s`).toHaveLength(1);
      expect(open[0]!.call_ids, where).toContain(call!.id);
    }
    if (call!.outcome === 'answered') expect(open, where).toEqual([]);
  }

  it(`holds its invariants over ${RUNS} generated runs`, async () => {
    const replay = process.env.PROPERTY_SEED ? { seed: Number(process.env.PROPERTY_SEED), path: process.env.PROPERTY_PATH } : {};
    await fc.assert(
      fc.asyncProperty(scenario, (s) => play(s)),
      { numRuns: RUNS, endOnFailure: !process.env.PROPERTY_SHRINK, ...replay },
    );
    // No fine without a lapse: every fine on the ledger belongs to a callback that passed its deadline.
    const fines = await h.container.db.query<{ n: number }>(
      'SELECT COUNT(*)::int AS n FROM fines f JOIN callbacks c ON c.id = f.callback_id WHERE c.due_at > f.created_at',
    );
    expect(fines[0]!.n).toBe(0);
    // Every lapse fined once: a day callback with an owner, nobody dialled or closed by its
    // deadline, which the scheduler has had time to judge, has exactly one fine; and each agent's
    // fines follow the ladder (20, 50, 100, then 100) in the order of the lapses.
    const owed = await h.container.db.query<{ id: string; fines: number }>(
      `SELECT c.id, (SELECT COUNT(*)::int FROM fines f WHERE f.callback_id = c.id) AS fines FROM callbacks c
        WHERE c.deadline_window = 'day' AND c.owner_agent_id IS NOT NULL AND c.due_at + make_interval(secs => $2) < $1
          AND NOT COALESCE(c.first_attempt_at <= c.due_at OR c.done_at <= c.due_at OR c.closed_at <= c.due_at, false)`,
      [h.clock.now(), 2 * h.config.SCHEDULER_INTERVAL_SECONDS],
    );
    expect(owed.filter((c) => Number(c.fines) !== 1), 'lapsed callbacks not fined exactly once').toEqual([]);
    const ledger = await h.container.db.query<{ agent_id: string; period: string; amounts: number[] }>(
      'SELECT agent_id, period, array_agg(amount ORDER BY lapsed_at, ordinal) AS amounts FROM fines GROUP BY agent_id, period',
    );
    const ladder = h.config.FINE_SCHEDULE;
    for (const l of ledger) expect(l.amounts.map(Number), `fines of ${l.agent_id} in ${l.period}`).toEqual(l.amounts.map((_, i) => ladder[Math.min(i, ladder.length - 1)]));
  }, 3_600_000);
});
