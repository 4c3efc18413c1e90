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
  /** Who paused the agent: an admin, the agent by SMS, or the auto-pause after missed offers. */
  pausedReason: PausedReason | null;
  pausedAt: Date | null;
  position: number;
  /** When the agent joined the roster. */
  createdAt: Date;
  updatedAt: Date;
  /** When an inactive agent left the roster; null while active. */
  deactivatedAt: Date | null;
}

export type PausedReason = 'admin' | 'sms' | 'auto-pause';

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
  /** The phones (endpoints) of active agents: how the caller gate knows a colleague calling. */
  activePhones(): Promise<string[]>;
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
  /** Refused by the blocklist (R10): ended before it was answered, in no figure. */
  blocked: boolean;
  /** From an internal number or an agent's own phone: in no figure, never a callback. */
  internal: boolean;
  /** The caller was reported once and heard a warning before the call rang. */
  warned: boolean;
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
  /** The newest document dialling this agent (0: the first); a leg of an older one was cut by a later move. */
  dialMark?: number;
}

export interface NewCall {
  /** Chosen in advance by a call put through while the database was down (src/spool/), else the store's. */
  id?: string;
  callSid: string;
  from: string;
  to: string;
  callerName: string | null;
  startedAt: Date;
  /** How the caller was screened on arrival; a refused call is recorded already ended. */
  screening?: { blocked: boolean; internal: boolean; warned: boolean; refused: boolean };
  /** Callers were already waiting for a free agent: this one starts in the line (its wait is counted from here). */
  waitingSince?: Date | null;
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
  /** The number the call came in on. */
  hotlineNumber?: string;
}

export interface CallStore {
  /**
   * Inserts the call unless its CallSid is known; returns the stored call and whether it was new
   * (a repeat keeps the first one's rotation offset).
   */
  createCall(call: NewCall, rotationOffset: number): Promise<{ call: Call; created: boolean }>;
  getCall(id: string): Promise<Call | null>;
  getCallBySid(callSid: string): Promise<Call | null>;
  /** The calls of these ids that exist, by id (one read for a pass over the waiting line). */
  callsByIds(ids: readonly string[]): Promise<Map<string, Call>>;
  listCalls(q: CallListQuery): Promise<Call[]>;

  /**
   * Adds attempt number seq; if another request already added it, returns that one and
   * created=false; null when the call is no longer hunting (it ended meanwhile).
   */
  addAttempt(a: { id?: string; callId: string; seq: number; agentId: string; endpoint: string; offeredAt: Date }): Promise<{ attempt: RingAttempt; created: boolean } | null>;
  getAttempt(id: string): Promise<RingAttempt | null>;
  attemptsOf(callId: string): Promise<RingAttempt[]>;
  attemptsOfCalls(callIds: string[]): Promise<Map<string, RingAttempt[]>>;
  ratingsOfCalls(callIds: string[]): Promise<Map<string, CallRating>>;
  /** Why the hunt passed over agents, per call (the roster records it). */
  skipsOfCalls(callIds: string[]): Promise<Map<string, SkippedAgent[]>>;

  /** Records a leg status event (a repeat is a no-op) and refreshes the attempt's timings from all its events. */
  recordLegEvent(e: LegEvent): Promise<{ inserted: boolean; attempt: RingAttempt | null }>;
  markScreened(attemptId: string, childCallSid: string, at: Date, apologyCued: boolean): Promise<void>;
  /**
   * The agent pressed 1: the attempt is accepted and the call connected, once. False when the
   * call is no longer hunting or this attempt's <Dial> is already over (a late key press).
   */
  acceptAttempt(attemptId: string, at: Date, thresholdSeconds: number): Promise<boolean>;
  /** An accepted agent was never bridged while the caller still waits: the call goes back to hunting (only while that attempt connected it). */
  reopenHunt(callId: string, attemptId: string): Promise<Call | null>;
  /** Records how the attempt's <Dial> ended; only the first result counts. Returns false for a repeat. */
  finishAttempt(attemptId: string, f: { outcome: AttemptOutcome; dialCallStatus: string; at: Date }): Promise<boolean>;

  /** Ends a call that is still hunting (missed/abandoned) or connected (answered); a no-op once ended. */
  /**
   * `neverBridged`: the agent pressed 1 but Twilio never connected the caller (they hung up in
   * between), so the call ends with the given outcome rather than as answered.
   */
  endCall(callId: string, e: { outcome: CallOutcome; at: Date; endedBy: EndedBy; missedReason?: string; neverBridged?: boolean }): Promise<Call | null>;
  /**
   * Changes how an ended call ended, when the times show who left first (src/domain/who-left-first.ts):
   * only while it still ends as `from` says, so two corrections cannot both apply. Its call-ended
   * effects are owed again (due a grace after `now`), for the outcome it has now. Null when it did not change.
   */
  correctEnd(
    callId: string,
    from: { outcome: CallOutcome; missedReason: string | null },
    to: { outcome: 'missed' | 'abandoned'; at: Date; endedBy: EndedBy; missedReason?: string },
    now: Date,
  ): Promise<Call | null>;
  /** Calls still connected whose agent pressed 1 before `acceptedBefore`, longest connected first (see CallSettler). */
  listStaleConnected(acceptedBefore: Date, limit: number): Promise<Call[]>;
  /** Calls still hunting that arrived before `startedBefore`, longest waiting first (see CallSettler). */
  listOverdueHunting(startedBefore: Date, limit: number): Promise<Call[]>;
  /** The caller leg's earliest terminal status callback and the accepted agent leg's earliest terminal leg event, at Twilio's Timestamps. */
  terminalEventsOf(callId: string): Promise<{ caller: { status: string; at: Date } | null; agentLeg: { status: string; at: Date } | null }>;
  recordCallEvent(e: CallEvent): Promise<boolean>;
  /** A new document is to dial the attempt's agent again (the caller moved once more): returns its mark, one past the last. */
  redial(attemptId: string): Promise<number>;
  /** The caller joined the waiting line (a no-op if they are in it). */
  markWaiting(callId: string, at: Date): Promise<void>;
  /** The caller left the waiting line: the time in it is added to the call's line wait. */
  stopWaiting(callId: string, at: Date): Promise<void>;
}

/**
 * Where coordination happens now: Redis, PostgreSQL while Redis is down (README "When Redis or
 * PostgreSQL is down"), or this process's memory (a single instance with no REDIS_URL).
 */
export type CoordinationMode = 'redis' | 'postgres-fallback' | 'in-process';

/** A caller's place in a waiting line (Coordinator.lineMembers). */
export interface LinePlace {
  callId: string;
  arrivedAtMs: number;
}

/** Coordination shared by every server instance: the rotation counter and agent claims. */
export interface Coordinator {
  /**
   * The next rotation offset; strictly increasing across instances and restarts. Each key (a
   * hotline number) has its own counter, so calls to each number are spread over its own group.
   */
  nextRotation(key?: string): Promise<number>;
  /**
   * Atomically claims the first agent in order whose claim is free, or already held by this
   * holder (a repeated request claims the same agent again, and never shortens that claim: it may
   * have been extended for a talk); returns its id or null.
   */
  claimFirstFree(agentIds: readonly string[], holder: string, ttlMs: number): Promise<string | null>;
  /** Extends a claim the holder still has (an accepted call keeps its agent while they talk). */
  extendClaim(agentId: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Releases a claim only if the holder still has it. */
  releaseClaim(agentId: string, holder: string): Promise<boolean>;
  holderOf(agentId: string): Promise<string | null>;
  /**
   * Whether any of these agents holds no claim now: a look, not a claim (the agent may be taken
   * before anyone claims them), so it may answer true when unsure, never false for a free agent.
   */
  anyUnclaimed(agentIds: readonly string[]): Promise<boolean>;

  /**
   * The waiting lines for a free agent, one per hotline number (its group of agents), shared by
   * every instance and each ordered by `arrivedAtMs` (the caller who has waited longest comes
   * first). Entering twice keeps the first place (and the first line). Returns how many callers
   * are ahead of this one in its line.
   */
  enterLine(line: string, callId: string, arrivedAtMs: number): Promise<number>;
  /** Takes the call out of its line; true for exactly one of several concurrent takers. */
  leaveLine(callId: string): Promise<boolean>;
  /** The lines with at least one caller in them. */
  waitingLines(): Promise<string[]>;
  /** The callers of one line, longest-waiting first, from just after `after` (a page of the line). */
  lineMembers(line: string, limit: number, after?: LinePlace): Promise<LinePlace[]>;
  /** How many callers are ahead of this one in its line, or null when it is in none. */
  linePosition(callId: string): Promise<number | null>;
  /**
   * nextRotation(key) and whether the line of `key` is empty, asked together: one round trip on
   * Redis. Optional: without it the two are asked separately (src/routing/waiting-line.ts).
   */
  arrive?(key: string): Promise<{ rotation: number; lineEmpty: boolean }>;
  /**
   * enterLine, then anyUnclaimed(agentIds) looked at after it, together: one round trip on Redis.
   * Optional, like arrive.
   */
  enterLineAndLook?(line: string, callId: string, arrivedAtMs: number, agentIds: readonly string[]): Promise<{ ahead: number; anyUnclaimed: boolean }>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Redis errors seen so far (connection errors and failed commands), for /metrics; absent in process. */
  errorCount?(): number;
  /** Where coordination happens at this moment (absent: fixed by the settings). */
  mode?(): CoordinationMode;
}

export type SkipReason = 'off-duty' | 'on-leave' | 'paused' | 'busy';

export interface SkippedAgent {
  agentId: string;
  reason: SkipReason;
}

/** Who a call may ring: see RosterPort.candidates. */
export interface Candidates {
  agents: Agent[];
  skipped: SkippedAgent[];
  /** From this instant the answer may differ with no change on record (a shift or leave starts or ends); none: it holds until something changes. */
  validUntil?: Date;
}

/**
 * Who a call may ring at an instant (the roster: shifts, leave, pauses, the hotline's group),
 * and what the roster hears back about each offer. Without one, every routable agent is a candidate.
 */
export interface RosterPort {
  /** The agents of this call's group on duty at `at` (roster order), and those passed over with why. */
  candidates(call: Pick<Call, 'id' | 'to'>, at: Date): Promise<Candidates>;
  /** Records why agents were passed over for this call (the first reason per agent stays). */
  noteSkipped(callId: string, skipped: readonly SkippedAgent[], at: Date): Promise<void>;
  /** An offer's <Dial> ended with this outcome (feeds the auto-pause). */
  offerEnded(attempt: RingAttempt, outcome: AttemptOutcome, at: Date): Promise<void>;
}
