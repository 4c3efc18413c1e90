import type { Clock } from '../domain/clock';
import type { AgentStore, Call, CallStore, Coordinator, RosterPort } from '../domain/ports';
import type { WhisperFlags } from '../domain/whisper-flags';
import type { Logger } from '../logger';
import type { FactsCache } from '../postgres/facts-cache';
import type { Speaker } from '../twiml/hotline-twiml';

/** What the routing core is built from, and what later features (callbacks, after-call) plug into it. */

export interface HotlineSettings {
  publicBaseUrl: string;
  answerThresholdSeconds: number;
  agentRingSeconds: number;
  maxCallerWaitSeconds: number;
  screenTimeoutSeconds: number;
  maxTalkSeconds: number;
  /** Say the greeting (and the callback offer) before the first agent's phone rings. */
  greetingBeforeRing: boolean;
  holdMusicUrl: string;
  /** Record every bridged call (RECORDING=on). */
  recording?: boolean;
}

/**
 * Told when a call ends, whatever the outcome (callbacks, notes, reports hang off this). Its work
 * is an effect in the call-ended outbox (src/routing/call-end-outbox.ts): retried until it
 * succeeds, so callEnded may run more than once for one call and must be safe to repeat.
 */
export interface CallEndedListener {
  /** The effect's name in the outbox (call_end_effects.effect): stable across releases. */
  name: string;
  callEnded(call: Call): Promise<void>;
  /** The request that ended the call does not wait for it (it calls Twilio's REST API); it is still recorded and retried. */
  inBackground?: boolean;
  /** Told when an agent has accepted and the caller is being bridged; must not hold up the bridge. */
  callConnected?(call: Call): Promise<void>;
}

/**
 * What the caller hears at the two ends of a call that the routing core does not own:
 * after the agent hangs up first (the rating), and when nobody could take the call (the callback).
 */
export interface CallFlowEndings {
  afterTalk(call: Call): Promise<string>;
  whenMissed(call: Call): Promise<string>;
}

export interface HotlineDeps {
  settings: HotlineSettings;
  agents: AgentStore;
  calls: CallStore;
  coordinator: Coordinator;
  clock: Clock;
  speaker: Speaker;
  logger: Logger;
  listeners: CallEndedListener[];
  /** Runs the listeners' effects for a call this request has just ended (the call-ended outbox). */
  callEnds: { dispatch(call: Call): Promise<void> };
  /** Moves a live call to a new TwiML document (Twilio's REST call update). */
  redirectCall(callSid: string, url: string): Promise<void>;
  /** The time limit and tries of those moves (src/routing/caller-moves.ts has the defaults). */
  moveLimits?: { timeoutMs?: number; tries?: number; backoffMs?: number };
  endings?: Partial<CallFlowEndings>;
  /** Who is on duty for a call (src/roster/); without it every routable agent may be rung. */
  roster?: RosterPort;
  /** Each hotline number's language and greeting (src/routing/hotline-voices.ts); without it every number speaks with `speaker`. */
  voices?: { forNumber(number: string): Speaker };
  /** Keeps each number's candidates in memory (src/postgres/facts-cache.ts); without it they are read for every offer. */
  facts?: FactsCache;
  /** The caller's record said in the whisper (src/routing/whisper-flag-lookup.ts): answers quickly, never throws; without it the whisper has no flags. */
  whisperFlags?: { of(call: Call): Promise<WhisperFlags> };
}

/**
 * Consulted before an arriving call is recorded or rung (src/protection/): reject refuses it
 * unanswered, internal tells it the line is for customers, internal-test rings it but keeps it out
 * of the figures, warn says a warning before it rings, pass rings it as usual.
 */
export type GateVerdict = 'reject' | 'internal' | 'internal-test' | 'warn' | 'pass';
export interface CallerGate {
  check(from: string, now: Date): Promise<GateVerdict>;
}

export interface DialResult {
  callStatus?: string;
  dialCallStatus: string;
  dialBridged?: string;
  /** The mark of the document whose <Dial> this was (RingAttempt.dialMark); absent: taken as the newest. */
  leg?: number;
}

export interface LegStatus {
  childCallSid: string;
  callStatus: string;
  sequenceNumber: number;
  timestamp?: string;
  callDuration?: number;
  /** As DialResult.leg. */
  leg?: number;
}

/**
 * A new call's request failed after the call was recorded (the database went away under it).
 * Whoever carries the caller on instead (src/spool/degraded-calls.ts) numbers its offers from
 * `nextSeq`, after the offer this request may have recorded, so that its agents' claims are named
 * as the record will name them (claimHolder). `cause` is the failure itself.
 */
export class RecordedThenFailed extends Error {
  constructor(
    readonly callId: string,
    readonly nextSeq: number,
    override readonly cause: unknown,
  ) {
    super(`call ${callId} recorded, then: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'RecordedThenFailed';
  }
}
