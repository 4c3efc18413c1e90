import type { CallType } from './call-notes';
import type { AttemptOutcome, CallOutcome, CallState, EndedBy } from './call-states';
import type { SurveyStatus } from './rating';

/** What the hotline core needs from storage and coordination, in the hotline's words. */

export interface Agent {
  id: string;
  name: string;
  phone: string;
  active: boolean;
  paused: boolean;
  position: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewAgent {
  name: string;
  phone: string;
  position?: number;
  paused?: boolean;
}

export interface AgentChanges {
  name?: string;
  phone?: string;
  active?: boolean;
  paused?: boolean;
  position?: number;
}

export interface AgentStore {
  create(agent: NewAgent): Promise<Agent>;
  get(id: string): Promise<Agent | null>;
  list(opts?: { includeInactive?: boolean }): Promise<Agent[]>;
  /** Active, not paused: the agents a call may ring. */
  listRoutable(): Promise<Agent[]>;
  update(id: string, changes: AgentChanges): Promise<Agent | null>;
}

export interface Call {
  id: string;
  callSid: string;
  from: string;
  to: string;
  callerName: string | null;
  startedAt: Date;
  rotationOffset: number;
  state: CallState;
  outcome: CallOutcome | null;
  missedReason: string | null;
  answeredByAgentId: string | null;
  acceptedAt: Date | null;
  waitSeconds: number | null;
  withinAnswerRule: boolean | null;
  endedAt: Date | null;
  talkSeconds: number | null;
  endedBy: EndedBy | null;
  /** After the call (R5): what it was about, as the agent wrote it up. */
  type: CallType | null;
  summary: string | null;
  /** The caller's name as an agent entered it; callerName above is only Twilio's suggestion. */
  notedCallerName: string | null;
  customerId: string | null;
  repeatCaller: boolean;
  /** Seconds from arrival until the first agent's phone rang, from Twilio's leg Timestamps. */
  firstRingSeconds: number | null;
  /** Seconds spent in the waiting line for a free agent (apart from ringing), so far. */
  lineWaitSeconds: number;
  /** Set while the caller is in the waiting line. */
  waitingSince: Date | null;
}

/** The post-call survey of one answered call. */
export interface CallRating {
  callId: string;
  agentId: string;
  status: SurveyStatus;
  score: number | null;
  offeredAt: Date;
  finishedAt: Date | null;
  /** The caller's leg has ended (its final status callback arrived). */
  callerGone: boolean;
}

export interface RingAttempt {
  id: string;
  callId: string;
  seq: number;
  agentId: string;
  endpoint: string;
  childCallSid: string | null;
  offeredAt: Date;
  initiatedAt: Date | null;
  ringingAt: Date | null;
  answeredAt: Date | null;
  screenedAt: Date | null;
  /** The whisper already asked the agent to apologise. */
  apologyCued: boolean;
  acceptedAt: Date | null;
  ringSeconds: number | null;
  outcome: AttemptOutcome | null;
  dialCallStatus: string | null;
  finishedAt: Date | null;
}

export interface NewCall {
  callSid: string;
  from: string;
  to: string;
  callerName: string | null;
  startedAt: Date;
}

export interface LegEvent {
  childCallSid: string;
  sequenceNumber: number;
  attemptId: string;
  callStatus: string;
  eventAt: Date;
  receivedAt: Date;
  durationSeconds: number | null;
}

export interface CallEvent {
  callSid: string;
  callStatus: string;
  sequenceNumber: number | null;
  eventAt: Date;
  receivedAt: Date;
  durationSeconds: number | null;
}

export interface CallListQuery {
  from?: Date;
  to?: Date;
  limit: number;
  /** Opaque keyset cursor from a previous page. */
  cursor?: { startedAt: Date; id: string };
  outcome?: CallOutcome;
  /** The agent who answered. */
  agentId?: string;
  /** A call type, or 'none' for calls not yet typed. */
  type?: CallType | 'none';
  rating?: number;
  callerNumber?: string;
}

export interface CallStore {
  /** Inserts the call unless its CallSid is known; returns the stored call and whether it was new. */
  createCall(call: NewCall, rotationOffset: () => Promise<number>): Promise<{ call: Call; created: boolean }>;
  getCall(id: string): Promise<Call | null>;
  getCallBySid(callSid: string): Promise<Call | null>;
  listCalls(q: CallListQuery): Promise<Call[]>;

  /**
   * Adds attempt number seq; if another request already added it, returns that one and
   * created=false; null when the call is no longer hunting (it ended meanwhile).
   */
  addAttempt(a: { callId: string; seq: number; agentId: string; endpoint: string; offeredAt: Date }): Promise<{ attempt: RingAttempt; created: boolean } | null>;
  getAttempt(id: string): Promise<RingAttempt | null>;
  attemptsOf(callId: string): Promise<RingAttempt[]>;
  attemptsOfCalls(callIds: string[]): Promise<Map<string, RingAttempt[]>>;
  ratingsOfCalls(callIds: string[]): Promise<Map<string, CallRating>>;

  /** Records a leg status event (a repeat is a no-op) and refreshes the attempt's timings from all its events. */
  recordLegEvent(e: LegEvent): Promise<{ inserted: boolean; attempt: RingAttempt | null }>;
  markScreened(attemptId: string, childCallSid: string, at: Date, apologyCued: boolean): Promise<void>;
  /**
   * The agent pressed 1: the attempt is accepted and the call connected, once. False when the
   * call is no longer hunting or this attempt's <Dial> is already over (a late key press).
   */
  acceptAttempt(attemptId: string, at: Date, thresholdSeconds: number): Promise<boolean>;
  /** An accepted agent was never bridged while the caller still waits: the call goes back to hunting. */
  reopenHunt(callId: string): Promise<Call | null>;
  /** Records how the attempt's <Dial> ended; only the first result counts. Returns false for a repeat. */
  finishAttempt(attemptId: string, f: { outcome: AttemptOutcome; dialCallStatus: string; at: Date }): Promise<boolean>;

  /** Ends a call that is still hunting (missed/abandoned) or connected (answered); a no-op once ended. */
  /**
   * `neverBridged`: the agent pressed 1 but Twilio never connected the caller (they hung up in
   * between), so the call ends with the given outcome rather than as answered.
   */
  endCall(callId: string, e: { outcome: CallOutcome; at: Date; endedBy: EndedBy; missedReason?: string; neverBridged?: boolean }): Promise<Call | null>;
  /** Calls still connected whose agent pressed 1 before `acceptedBefore`, longest connected first (see CallSettler). */
  listStaleConnected(acceptedBefore: Date, limit: number): Promise<Call[]>;
  /** The caller leg's earliest terminal status callback and the accepted agent leg's earliest terminal leg event, at Twilio's Timestamps. */
  terminalEventsOf(callId: string): Promise<{ caller: { status: string; at: Date } | null; agentLeg: { status: string; at: Date } | null }>;
  recordCallEvent(e: CallEvent): Promise<boolean>;
  /** The caller joined the waiting line (a no-op if they are in it). */
  markWaiting(callId: string, at: Date): Promise<void>;
  /** The caller left the waiting line: the time in it is added to the call's line wait. */
  stopWaiting(callId: string, at: Date): Promise<void>;
}

/** Coordination shared by every server instance: the rotation counter and agent claims. */
export interface Coordinator {
  /** The next rotation offset; strictly increasing across instances and restarts. */
  nextRotation(): Promise<number>;
  /**
   * Atomically claims the first agent in order whose claim is free, or already held by this
   * holder (a repeated request claims the same agent again); returns its id or null.
   */
  claimFirstFree(agentIds: readonly string[], holder: string, ttlMs: number): Promise<string | null>;
  /** Extends a claim the holder still has (an accepted call keeps its agent while they talk). */
  extendClaim(agentId: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Releases a claim only if the holder still has it. */
  releaseClaim(agentId: string, holder: string): Promise<boolean>;
  holderOf(agentId: string): Promise<string | null>;

  /**
   * The waiting line for a free agent, shared by every instance and ordered by `arrivedAtMs`
   * (the caller who has waited longest comes first). Entering twice keeps the first place.
   */
  enterLine(callId: string, arrivedAtMs: number): Promise<void>;
  /** Takes the call out of the line; true for exactly one of several concurrent takers. */
  leaveLine(callId: string): Promise<boolean>;
  /** The calls in the line, longest-waiting first. */
  lineMembers(limit: number): Promise<string[]>;
  /** How many callers are ahead of this one, or null when it is not in the line. */
  linePosition(callId: string): Promise<number | null>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Connection errors seen so far (Redis), for /metrics; absent in process. */
  errorCount?(): number;
}
