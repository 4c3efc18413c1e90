import fc from 'fast-check';
import { DateTime } from 'luxon';
import type { AgentBehaviour, CallScript, CallTranscript } from '../../src/simulator/twilio-model';
import type { Hotline } from '../support/hotline-harness';
import { seededRandom, type NetworkPlan, type PlannedNetwork } from '../support/seeded-network';

/**
 * A generated "world" for the big-world property (big-world-invariants.test.ts): two or three
 * hotline numbers, each with its own group of agents (some agents in two groups), lines of up to
 * 60 callers, an agent paused in the middle, callers who call again, and PostgreSQL and Redis
 * outages injected in the middle of the run. The shape (how many hotlines, agents, callers,
 * when the outages come) is drawn by fast-check and shrinks; what each agent does for each call
 * and each caller's patience come from the world's seed.
 */
export interface HotlinePlan {
  agents: number;
  callers: number;
  /** The first caller of this number arrives this many seconds into the run. */
  startSeconds: number;
  /** Its callers arrive over this many seconds. */
  spreadSeconds: number;
  /** Its agents' talks last up to this long: long talks make long lines. */
  maxTalkSeconds: number;
  /** Share of its calls each agent answers (the rest ring out, go to voicemail, decline, press a wrong key). */
  answerShare: number;
  /** Share of its callers who hang up of their own accord (after 3 to 90 s). */
  impatientShare: number;
}

export interface OutagePlan {
  atSeconds: number;
  seconds: number;
}

export interface World {
  seed: number;
  hotlines: HotlinePlan[];
  /** Agents of the first hotline who are also in the second's group. */
  sharedAgents: number;
  /** Seconds into the run at which one agent is paused through the admin API (none: nobody). */
  pauseAtSeconds: number | undefined;
  /** Share of callers who call again a minute or two later (a missed call then answered closes its callback). */
  repeatShare: number;
  postgresOutage: (OutagePlan & { flakyShare: number }) | undefined;
  redisOutage: OutagePlan | undefined;
  network: NetworkPlan;
}

const hotlinePlan = (callers: fc.Arbitrary<number>): fc.Arbitrary<HotlinePlan> =>
  fc.record({
    agents: fc.integer({ min: 1, max: 3 }),
    callers,
    startSeconds: fc.integer({ min: 0, max: 60 }),
    spreadSeconds: fc.integer({ min: 0, max: 60 }),
    maxTalkSeconds: fc.constantFrom(20, 60, 150),
    answerShare: fc.constant(0.6),
    impatientShare: fc.constantFrom(0, 0.1, 0.3),
  });

const outage = fc.record({ atSeconds: fc.integer({ min: 5, max: 100 }), seconds: fc.integer({ min: 2, max: 20 }) });

/**
 * A long line: 54 to 60 patient callers within 15 s of each other, for agents who answer and talk
 * long, so that more than 50 wait at once (where one line for every number used to stop looking).
 */
const longLine: fc.Arbitrary<HotlinePlan> = fc.record({
  agents: fc.integer({ min: 1, max: 2 }),
  callers: fc.integer({ min: 54, max: 60 }),
  startSeconds: fc.integer({ min: 0, max: 20 }),
  spreadSeconds: fc.integer({ min: 0, max: 15 }),
  maxTalkSeconds: fc.constant(150),
  answerShare: fc.constant(0.95),
  impatientShare: fc.constant(0),
});

export const world: fc.Arbitrary<World> = fc.record({
  seed: fc.integer(),
  // The first number has a long line in one world of three.
  hotlines: fc
    .tuple(fc.oneof({ weight: 2, arbitrary: hotlinePlan(fc.integer({ min: 1, max: 12 })) }, { weight: 1, arbitrary: longLine }), fc.array(hotlinePlan(fc.integer({ min: 1, max: 10 })), { minLength: 1, maxLength: 2 }))
    .map(([first, rest]) => [first, ...rest]),
  sharedAgents: fc.integer({ min: 0, max: 2 }),
  pauseAtSeconds: fc.option(fc.integer({ min: 5, max: 80 }), { nil: undefined }),
  repeatShare: fc.constantFrom(0, 0.15),
  postgresOutage: fc.option(fc.record({ atSeconds: fc.integer({ min: 5, max: 100 }), seconds: fc.integer({ min: 2, max: 20 }), flakyShare: fc.constantFrom(0, 0.2) }), { nil: undefined }),
  redisOutage: fc.option(outage, { nil: undefined }),
  network: fc.record({
    seed: fc.integer(),
    maxDelaySeconds: fc.constantFrom(0, 3),
    duplicateShare: fc.constantFrom(0, 0.2),
    lateKeyPressShare: fc.constant(0),
    spread: fc.boolean(),
  }),
});

export interface Agent {
  id: string;
  phone: string;
  /** The hotline numbers whose groups hold this agent. */
  numbers: string[];
}

export interface Caller {
  script: CallScript;
  number: string;
  arriveAfterSeconds: number;
  transcript?: CallTranscript;
}

/** A span of the run in which something was down (or flaky after it), on the model's clock. */
export interface Window {
  what: 'postgres' | 'postgres-flaky' | 'redis';
  from: Date;
  to: Date;
}

export interface PlayedWorld {
  startedAt: Date;
  agents: Agent[];
  callers: Caller[];
  windows: Window[];
  /** The agent paused through the API, and when. */
  paused: { phone: string; at: Date } | null;
  /** Calls found not ended on record, some seconds after PostgreSQL came back although their caller had left before. */
  notEndedAfterReturn: string[];
}

const SHANGHAI_DAY = { start: 8.5, end: 18.5 };

/** Moves the clock to the next 08:30 in the hotline's zone unless it is day there (R3's fines are for day callbacks). */
export function intoTheDay(h: Hotline): void {
  const local = DateTime.fromJSDate(h.clock.now(), { zone: h.config.TIME_ZONE });
  const hour = local.hour + local.minute / 60;
  if (hour >= SHANGHAI_DAY.start && hour < SHANGHAI_DAY.end) return;
  const next = (hour < SHANGHAI_DAY.start ? local : local.plus({ days: 1 })).set({ hour: 8, minute: 30, second: 0, millisecond: 0 });
  h.clock.set(next.toJSDate());
}

function behaviour(rand: () => number, plan: HotlinePlan): AgentBehaviour {
  const pick = (n: number) => Math.floor(rand() * n);
  const maxTalkSeconds = plan.maxTalkSeconds;
  if (rand() < plan.answerShare) return { does: 'accept', ringSeconds: 1 + pick(8), pressAfterSeconds: 0.5 + rand() * 2, talkSeconds: 5 + pick(maxTalkSeconds), hangsUpFirst: rand() < 0.5 ? 'agent' : 'caller' };
  const r = rand();
  if (r < 0.5) return { does: 'ring-out' };
  if (r < 0.75) return { does: 'voicemail', ringSeconds: 2 + pick(8) };
  if (r < 0.875) return { does: 'busy' };
  return { does: 'press', digit: '9', ringSeconds: 1 + pick(5), pressAfterSeconds: 1 };
}

/**
 * Sets the world up on the hotline (agents, one group per number, two instances' shared
 * network plan) and plays it: every caller on the model's clock, the outages and the pause as
 * processes of their own, then the time it takes for every callback deadline to pass, with the
 * background loops (sweep, settler, outbox, spool replay, scheduler) running throughout.
 */
export async function playWorld(h: Hotline, network: PlannedNetwork, w: World, run: number): Promise<PlayedWorld> {
  intoTheDay(h);
  network.use(w.network);
  const rand = seededRandom(w.seed);
  const tag = String(run).padStart(5, '0');
  // Agents: a group per number; the first number's first agents are also in the second's group.
  const agents: Agent[] = [];
  const groups: Agent[][] = [];
  for (const [i, plan] of w.hotlines.entries()) {
    const group: Agent[] = [];
    for (let j = 0; j < plan.agents; j++) {
      const phone = `+8613${tag}${i}${j}0`;
      const added = await h.api.addAgent(`w${run} h${i} a${j}`, phone);
      const agent = { id: added.id, phone, numbers: [] };
      agents.push(agent);
      group.push(agent);
    }
    groups.push(group);
  }
  for (const a of groups[0]!.slice(0, w.sharedAgents)) groups[1]!.push(a);
  const numbers = w.hotlines.map((_, i) => `+86400${tag}${i}1`);
  for (const [i, group] of groups.entries()) {
    const res = await h.api.post('/api/hotlines', { number: numbers[i], name: `w${run} h${i}`, agentIds: group.map((a) => a.id) });
    if (res.status !== 201) throw new Error(`hotline ${res.status} ${res.text}`);
    for (const a of group) a.numbers.push(numbers[i]!);
  }
  // What a running server knows of the roster before any outage (the spool feature reads it at start).
  for (const x of h.instances) await x.container.lastKnownRoster.refresh('', h.clock.now());

  const callers: Caller[] = [];
  for (const [i, plan] of w.hotlines.entries()) {
    const group = new Set(groups[i]!.map((a) => a.phone));
    for (let k = 0; k < plan.callers; k++) {
      const agentsOf: Record<string, AgentBehaviour> = {};
      for (const a of agents) if (group.has(a.phone)) agentsOf[a.phone] = behaviour(rand, plan);
      const impatient = rand() < plan.impatientShare;
      const earlier = callers.filter((c) => c.number === numbers[i]);
      const repeat = earlier.length > 0 && rand() < w.repeatShare ? earlier[Math.floor(rand() * earlier.length)]! : undefined;
      const arriveAfterSeconds = repeat ? repeat.arriveAfterSeconds + 60 + Math.floor(rand() * 60) : plan.startSeconds + Math.floor(rand() * (plan.spreadSeconds + 1));
      callers.push({
        number: numbers[i]!,
        arriveAfterSeconds,
        script: {
          from: repeat ? repeat.script.from : `+8615${tag}${i}${String(k).padStart(2, '0')}`,
          to: numbers[i]!,
          agents: agentsOf,
          hangsUpAfterSeconds: impatient ? 3 + Math.floor(rand() * 90) : undefined,
          // A few ask for a callback while holding.
          pressWhileHolding: rand() < 0.05 ? { beforeAttempt: 1, digit: '1', afterSeconds: 1 } : undefined,
        },
      });
    }
  }

  const t = h.twilio.timeline;
  const startedAt = h.clock.now();
  const windows: Window[] = [];
  const played: PlayedWorld = { startedAt, agents, callers, windows, paused: null, notEndedAfterReturn: [] };
  const urls = { incoming: h.twilio.url('/webhooks/voice/incoming'), status: h.twilio.url('/webhooks/voice/status') };
  const calls = callers.map((c) => h.twilio.model.placeCall(c.script, urls, c.arriveAfterSeconds).then((tr) => (c.transcript = tr)));
  for (const c of calls) c.catch(() => undefined);

  const db = h.faults?.database;
  if (w.postgresOutage && db) {
    const o = w.postgresOutage;
    void t.spawn(async () => {
      await t.sleep(o.atSeconds);
      const from = h.clock.now();
      db.down();
      await t.sleep(o.seconds);
      windows.push({ what: 'postgres', from, to: h.clock.now() });
      const back = h.clock.now();
      if (o.flakyShare > 0) {
        db.up({ share: o.flakyShare, rand: seededRandom(w.seed ^ 0x5eed) });
        await t.sleep(10);
        windows.push({ what: 'postgres-flaky', from: back, to: h.clock.now() });
      }
      db.up();
      // Every call whose caller left before the database came back is ended on record within seconds of its return.
      await t.sleep(20);
      for (const c of callers) {
        if (!c.transcript?.hungUpAt || c.transcript.hungUpAt > back) continue;
        const call = await h.container.calls.getCallBySid(c.transcript.callSid);
        if (call?.state !== 'ended') played.notEndedAfterReturn.push(`${c.transcript.callSid} (${call?.state ?? 'not on record'}, caller left ${(back.getTime() - c.transcript.hungUpAt.getTime()) / 1000} s before the return)`);
      }
    });
  }
  const redis = h.faults?.redis ?? [];
  if (w.redisOutage && redis.length > 0) {
    const o = w.redisOutage;
    void t.spawn(async () => {
      await t.sleep(o.atSeconds);
      const from = h.clock.now();
      for (const r of redis) r.set(true);
      await t.sleep(o.seconds);
      for (const r of redis) r.set(false);
      windows.push({ what: 'redis', from, to: h.clock.now() });
    });
  }
  if (w.pauseAtSeconds !== undefined) {
    const agent = agents[Math.floor(rand() * agents.length)]!;
    const at = w.pauseAtSeconds;
    void t.spawn(async () => {
      await t.sleep(at);
      if (db?.isDown()) return;
      const res = await h.api.patch(`/api/agents/${agent.id}`, { paused: true });
      if (res.status === 200) played.paused = { phone: agent.phone, at: h.clock.now() };
    });
  }
  await t.run();
  await Promise.all(calls);
  // Every callback's deadline passes, and the scheduler runs past it twice.
  const tail = h.config.CALLBACK_DAY_DUE_MINUTES * 60 + 2 * h.config.SCHEDULER_INTERVAL_SECONDS + 5;
  void t.spawn(() => t.sleep(tail));
  await t.run();
  return played;
}
