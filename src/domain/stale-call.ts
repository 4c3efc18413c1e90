import { secondsBetween } from './clock';

/**
 * How a connected call whose <Dial> action never came is settled.
 *
 * Twilio posts a <Dial>'s action once, seconds after the talk ends, and retries it only when it
 * cannot connect: a handler that failed loses it, and the call would stay connected (its agent
 * claimed) for ever. So a call connected for longer than SETTLE_GRACE_SECONDS is looked at, and
 * its end is read first from the record (the caller leg's terminal status callback, the accepted
 * agent leg's terminal leg event, both with Twilio's own Timestamps), and only when nothing is on
 * record from Twilio's REST API (the same two legs' states and end times). Either way:
 *
 *   - the talk ended at the earlier of the two legs' ends (not before the key press);
 *   - the caller ended it when their leg ended first or in the same second (a caller hanging up
 *     tears the agent's leg down at once, and Timestamps have whole seconds); else the agent;
 *   - a caller gone at or before the key press was never put through: neverBridged;
 *   - an end less than SETTLE_GRACE_SECONDS old is left alone: its Dial action may still be on
 *     its way, and it says more (the rating) than the record does;
 *   - neither leg over: the talk goes on, but never past MAX_TALK_SECONDS after the key press
 *     (<Dial timeLimit> cuts it there); after that plus the grace the call ends at that limit,
 *     as the Dial action would have said: ended by the agent's side. The same holds when Twilio
 *     cannot be asked;
 *   - a call Twilio does not know (404) can be on no line: it ends now.
 *
 * Time is an argument; nothing here does I/O.
 */

/** Seconds a connected call, or an end on record, is given for its Dial action to arrive. */
export const SETTLE_GRACE_SECONDS = 120;

export interface StaleCallRules {
  graceSeconds: number;
  maxTalkSeconds: number;
}

export interface StaleCall {
  /** The agent's key press: the call has been connected since. */
  acceptedAt: Date;
  now: Date;
}

/** One leg that is over, and when by Twilio's clock; null when Twilio did not say when. */
export interface LegEnd {
  at: Date | null;
}

/** The legs known to be over: the caller's (the hotline call itself) and the accepted agent's. */
export interface LegEnds {
  caller?: LegEnd;
  agent?: LegEnd;
}

/** What Twilio's REST API said about the two legs. */
export type TwilioAnswer =
  /** Both fetched; `agent` is null when the agent's leg is unknown or could not be fetched. */
  | { kind: 'legs'; caller: LegEnd | 'live'; agent: LegEnd | 'live' | null }
  /** Twilio answered 404 for the caller's leg. */
  | { kind: 'unknown-call' }
  /** Twilio could not be asked (network, credentials, 5xx). */
  | { kind: 'unreachable' };

export type SettleBasis = 'record' | 'twilio' | 'unknown-to-twilio' | 'time-limit';

export type StaleCallDecision =
  | { kind: 'settle'; at: Date; endedBy: 'agent' | 'caller'; neverBridged: boolean; basis: SettleBasis }
  | { kind: 'wait'; reason: 'dial-action-may-come' | 'talking' | 'twilio-unreachable' }
  | { kind: 'ask-twilio' };

/** From what is on record; 'ask-twilio' when neither leg is recorded as over. */
export function decideFromRecord(ends: LegEnds, call: StaleCall, rules: StaleCallRules): StaleCallDecision {
  return fromEnds(ends, call, rules, 'record') ?? { kind: 'ask-twilio' };
}

/** From Twilio's answer, once the record had nothing. */
export function decideFromTwilio(answer: TwilioAnswer, call: StaleCall, rules: StaleCallRules): StaleCallDecision {
  if (answer.kind === 'unknown-call') return { kind: 'settle', at: call.now, endedBy: 'agent', neverBridged: false, basis: 'unknown-to-twilio' };
  if (answer.kind === 'legs') {
    const ends: LegEnds = {};
    if (answer.caller !== 'live') ends.caller = answer.caller;
    if (answer.agent && answer.agent !== 'live') ends.agent = answer.agent;
    const decided = fromEnds(ends, call, rules, 'twilio');
    if (decided) return decided;
  }
  return pastTimeLimit(call, rules) ?? { kind: 'wait', reason: answer.kind === 'unreachable' ? 'twilio-unreachable' : 'talking' };
}

function fromEnds(ends: LegEnds, call: StaleCall, rules: StaleCallRules, basis: SettleBasis): StaleCallDecision | null {
  const { caller, agent } = ends;
  if (!caller && !agent) return null;
  // An end Twilio did not time is taken as now: nothing later will tell it better.
  const callerAt = caller ? (caller.at ?? call.now) : null;
  const agentAt = agent ? (agent.at ?? call.now) : null;
  const callerFirst = callerAt !== null && (agentAt === null || callerAt.getTime() <= agentAt.getTime());
  const end = callerFirst ? callerAt : agentAt!;
  const timed = (callerFirst ? caller : agent)!.at !== null;
  if (timed && secondsBetween(end, call.now) < rules.graceSeconds) return { kind: 'wait', reason: 'dial-action-may-come' };
  const neverBridged = callerAt !== null && callerAt.getTime() <= call.acceptedAt.getTime();
  // A talk cannot end before it began (Twilio's clock and ours may differ by a moment).
  const at = neverBridged || end.getTime() >= call.acceptedAt.getTime() ? end : call.acceptedAt;
  return { kind: 'settle', at, endedBy: neverBridged || callerFirst ? 'caller' : 'agent', neverBridged, basis };
}

/** <Dial timeLimit> has cut the talk at accepted + MAX_TALK_SECONDS, and the grace for its action is over too. */
function pastTimeLimit(call: StaleCall, rules: StaleCallRules): StaleCallDecision | null {
  if (secondsBetween(call.acceptedAt, call.now) < rules.maxTalkSeconds + rules.graceSeconds) return null;
  return { kind: 'settle', at: new Date(call.acceptedAt.getTime() + rules.maxTalkSeconds * 1000), endedBy: 'agent', neverBridged: false, basis: 'time-limit' };
}
