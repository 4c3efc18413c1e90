import { seededRandom } from './seeded-random';
import type { TwimlNode } from './twiml-tree';
import type { AgentBehaviour, CallScript, GatherReply } from './twilio-model';

/**
 * The demo's default day, scripted so that each thing the hotline does is seen once and the
 * figures are those of a hotline that keeps its rule:
 *   - the morning and midday: ordinary callers, a few at a time (half as many as there are agents),
 *     for agents who mostly pick up within a ring or two (now and then one lets it ring out, and
 *     the next agent is rung);
 *   - one caller in each, whose first agent does not pick up, asks for a callback (presses 1
 *     while holding): missed, and each becomes a callback;
 *   - one caller on the blocklist, at midday: rejected before any phone rings;
 *   - the rush, between them: one more caller at once than there are agents, so one waits in the line;
 *   - the afternoon: the first missed caller calls again and is put through, which closes that
 *     callback (a repeat call answered is a callback returned); the second is called back by the
 *     callback's owner (the demo places it and plays the call: src/simulator/callback-call.ts).
 * Everything is drawn from the seed, so a run is repeatable.
 */
export interface DayPhase {
  name: string;
  concurrency: number;
  scripts: (CallScript & { rates: boolean })[];
}

export interface GoodDay {
  phases: DayPhase[];
  /** The number the demo puts on the blocklist before the day starts; it calls once. */
  blockedNumber: string;
  /** The callers who ask for a callback in the day: the first calls again in the afternoon. */
  callbackCallers: string[];
  /** The second of them, whom the callback's owner calls back once the day's calls are over. */
  calledBack: string;
}

export function goodDay(o: { hotline: string; agentPhones: string[]; calls: number; seed: number; maxTalkSeconds?: number }): GoodDay {
  const rand = seededRandom(o.seed);
  const pick = (n: number) => Math.floor(rand() * n);
  const maxTalk = o.maxTalkSeconds ?? 90;
  const caller = () => `+86139${String(pick(100_000_000)).padStart(8, '0')}`;

  /** An agent who picks up on the first or second ring (a ring is about 3 s) and presses 1 at once. */
  const picksUp = (talkSeconds: number): AgentBehaviour => ({ does: 'accept', ringSeconds: 1 + pick(3), pressAfterSeconds: 1, talkSeconds, hangsUpFirst: rand() < 0.5 ? 'agent' : 'caller' });
  const ordinary = (from: string, o2: { talkSeconds?: number; everyonePicksUp?: boolean } = {}): CallScript & { rates: boolean } => {
    const agents: Record<string, AgentBehaviour> = {};
    for (const phone of o.agentPhones) {
      // One offer in twenty rings out: the hunt moves on to the next agent.
      agents[phone] = !o2.everyonePicksUp && rand() < 1 / 20 ? { does: 'ring-out' } : picksUp(o2.talkSeconds ?? 15 + pick(Math.max(1, maxTalk - 15)));
    }
    const rates = rand() < 0.7;
    const score = String(3 + pick(3));
    return {
      from,
      to: o.hotline,
      agents,
      onGather: (gather: TwimlNode): GatherReply => (rates && gather.attrs.action?.includes('/voice/rating') ? { digits: score } : 'hang-up'),
      rates,
    };
  };
  /** Nobody picks up at first: after the first agent rings out the caller presses 1 for a callback. */
  const asksForCallback = (from: string): CallScript & { rates: boolean } => ({
    from,
    to: o.hotline,
    agents: Object.fromEntries(o.agentPhones.map((p) => [p, { does: 'ring-out' } as AgentBehaviour])),
    pressWhileHolding: { beforeAttempt: 1, digit: '1' },
    rates: false,
  });

  const blockedNumber = '+8617000000666';
  const callbackCallers = [caller(), caller()];
  const ordinaryCalls = Math.max(4, o.calls);
  const morning = Array.from({ length: Math.ceil(ordinaryCalls / 2) }, () => ordinary(caller()));
  const midday = Array.from({ length: Math.floor(ordinaryCalls / 2) }, () => ordinary(caller()));
  // One caller asking for a callback in each half of the day, the rush between them: every agent
  // picks up in the rush, so no agent lets two offers in a row ring out and is paused for it
  // (AUTO_PAUSE_AFTER), which would leave fewer agents for the rest of the day.
  morning.splice(Math.floor(morning.length / 2), 0, asksForCallback(callbackCallers[0]!));
  midday.splice(Math.floor(midday.length / 3), 0, asksForCallback(callbackCallers[1]!));
  midday.splice(Math.floor((midday.length * 2) / 3), 0, { from: blockedNumber, to: o.hotline, agents: {}, rates: false });
  // Everybody picks up and talks half a minute: every agent is taken, and the last caller waits in
  // the line until the first talk ends (well within the longest wait, MAX_CALLER_WAIT_SECONDS).
  const rush = Array.from({ length: o.agentPhones.length + 1 }, () => ordinary(caller(), { talkSeconds: 25 + pick(10), everyonePicksUp: true }));
  const afternoon = [ordinary(callbackCallers[0]!, { everyonePicksUp: true })];
  const steady = Math.max(1, Math.floor(o.agentPhones.length / 2));
  return {
    phases: [
      { name: 'the morning', concurrency: steady, scripts: morning },
      { name: 'the rush', concurrency: rush.length, scripts: rush },
      { name: 'midday', concurrency: steady, scripts: midday },
      { name: 'the afternoon', concurrency: afternoon.length, scripts: afternoon },
    ],
    blockedNumber,
    callbackCallers,
    calledBack: callbackCallers[1]!,
  };
}
