import { randomUUID } from 'node:crypto';
import { dialTimeoutFor, owesApology, parseTwilioTimestamp } from '../domain/answer-time';
import { attemptOutcomeFromDial, callerHasLeft, callIdFor, claimHolder, type AttemptOutcome } from '../domain/call-states';
import { secondsBetween, type Clock } from '../domain/clock';
import { parseEndpoint, type Endpoint } from '../domain/endpoint';
import type { Coordinator } from '../domain/ports';
import { huntOrder } from '../domain/rotation';
import { speechSeconds } from '../domain/speech';
import type { Logger } from '../logger';
import { acceptedTwiml, dialAgent, screenTwiml } from '../routing/routing-twiml';
import type { DialResult, HotlineSettings, LegStatus } from '../routing/hotline-ports';
import { emptyTwiml, hangupTwiml, newResponse, sayAndHangUp, type Speaker } from '../twiml/hotline-twiml';
import type { LastKnownRoster } from './last-known-roster';
import type { SpoolEvent } from './spool-events';
import type { SpoolFile } from './spool-file';

/** Seconds of slack on a claim beyond the ring and the whisper (as in src/routing/agent-offers.ts). */
const CLAIM_SLACK_SECONDS = 30;
const MIN_RING_SECONDS = 10;
const TERMINAL_LEG = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

interface HeldAttempt {
  id: string;
  seq: number;
  agentId: string;
  endpoint: string;
  acceptedAt: Date | null;
  apologyCued: boolean;
  finished: boolean;
}

interface HeldCall {
  callSid: string;
  callId: string;
  /** The number of its first offer: past the one the request that recorded it may have made. */
  firstSeq: number;
  to: string;
  startedAt: Date;
  rotationOffset: number;
  state: 'hunting' | 'connected' | 'ended';
  attempts: HeldAttempt[];
}

export interface DegradedSettings extends Pick<HotlineSettings, 'publicBaseUrl' | 'answerThresholdSeconds' | 'agentRingSeconds' | 'maxCallerWaitSeconds' | 'screenTimeoutSeconds' | 'maxTalkSeconds' | 'recording'> {
  fallbackNumber?: string;
}

/**
 * The hunt without a database. A caller who arrives while PostgreSQL cannot be reached is rung
 * like any other, from what this instance still knows: the roster it last read
 * (LastKnownRoster) and the claims in the coordinator (Redis or in process), which still keep an
 * agent on one call at a time. Agents are tried one at a time in rotation with the whisper and
 * the key press; when none is free or left, the call goes to FALLBACK_NUMBER, or the caller
 * hears the apology, and it ends missed. Every step is a spool event written before the TwiML is
 * answered; the call lives in memory here until all its events have been replayed
 * (src/spool/spool-replayer.ts), and its webhooks come here meanwhile, so they land in order.
 * No waiting line, callback key or rating while degraded: they all need the database.
 */
export class DegradedCalls {
  private readonly calls = new Map<string, HeldCall>();
  private readonly attempts = new Map<string, string>();
  /** Per call (or per attempt, for calls begun before the outage): events spooled and not yet replayed, and requests still writing. */
  private readonly pending = new Map<string, number>();
  private localRotation = Math.floor(Math.random() * 1000);

  constructor(
    private readonly d: {
      spool: SpoolFile;
      roster: LastKnownRoster;
      coordinator: Coordinator;
      clock: Clock;
      speaker: Speaker;
      /** A hotline number's own language and greeting, in memory (HotlineVoices): a caller hears their number's language. */
      voiceFor?: (hotlineNumber: string) => Speaker;
      settings: DegradedSettings;
      logger: Logger;
    },
  ) {
    d.spool.onReplayed((key) => this.replayed(key));
  }

  /** Whether a caller's CallSid belongs to a call spooled and not yet fully replayed. */
  holdsCall(callSid: string): boolean {
    return this.pending.has(callSid);
  }

  /** Whether a ring attempt id belongs to a call put through from memory and not yet fully replayed. */
  holdsRing(attemptId: string): boolean {
    return this.find(attemptId) !== null && this.holdsAttempt(attemptId);
  }

  /** Whether a ring attempt has events in the spool not yet replayed (its leg-status callbacks wait behind them). */
  holdsAttempt(attemptId: string): boolean {
    const sid = this.attempts.get(attemptId);
    return (sid !== undefined && this.pending.has(sid)) || this.pending.has(`attempt:${attemptId}`);
  }

  /** The replayer wrote one event of this call: once none is left, the database has it all and its webhooks go there again. */
  replayed(key: string): void {
    const n = (this.pending.get(key) ?? 0) - 1;
    if (n > 0) {
      this.pending.set(key, n);
      return;
    }
    this.pending.delete(key);
    const call = this.calls.get(key);
    if (!call) return;
    this.calls.delete(key);
    for (const a of call.attempts) this.attempts.delete(a.id);
  }

  /** Calls held in memory (for readiness). */
  heldCalls(): number {
    return this.calls.size;
  }

  /**
   * A new caller. The call's id is the one its record has or will have (callIdFor), and `firstSeq`
   * the first offer number left free by a request that recorded the call before the database
   * failed under it (RecordedThenFailed): its agents' claims are named as the record names them,
   * so the usual path frees them once the call is replayed.
   */
  async incoming(p: { callSid: string; from: string; to: string; callerName?: string; firstSeq?: number }): Promise<string> {
    const known = this.calls.get(p.callSid);
    if (known) return this.replayIncoming(known);
    const now = this.d.clock.now();
    const call: HeldCall = {
      callSid: p.callSid,
      callId: callIdFor(p.callSid),
      firstSeq: p.firstSeq ?? 0,
      to: p.to,
      startedAt: now,
      rotationOffset: await this.nextRotation(p.to),
      state: 'hunting',
      attempts: [],
    };
    this.calls.set(call.callSid, call);
    this.d.logger.warn('database unreachable: putting the caller through from memory and spooling the call', { callSid: call.callSid });
    await this.write({ type: 'call-arrived', callSid: call.callSid, callId: call.callId, from: p.from, to: p.to, callerName: p.callerName ?? null, rotationOffset: call.rotationOffset, at: iso(now) });
    return this.ringNext(call, now);
  }

  async screen(attemptId: string, childCallSid: string): Promise<string> {
    const held = this.find(attemptId);
    if (!held || held.call.state !== 'hunting' || held.attempt.finished) return hangupTwiml();
    const { call, attempt } = held;
    const now = this.d.clock.now();
    const s = this.d.settings;
    const apologise = owesApology(call.startedAt, now, s.answerThresholdSeconds, speechSeconds(this.voice(call).text.whisper({ apologise: false })));
    attempt.apologyCued = apologise;
    await this.write({ type: 'agent-screened', callSid: call.callSid, attemptId, childCallSid, apologyCued: apologise, at: iso(now) });
    return screenTwiml(this.voice(call), { apologise, timeoutSeconds: s.screenTimeoutSeconds, actionUrl: this.url('screen-result', { attempt: attemptId }) });
  }

  async screenResult(attemptId: string, digits: string | undefined): Promise<string> {
    const held = this.find(attemptId);
    if (!held || digits !== '1' || held.call.state !== 'hunting' || held.attempt.finished) return hangupTwiml();
    const { call, attempt } = held;
    const now = this.d.clock.now();
    const cue = !attempt.apologyCued && owesApology(call.startedAt, now, this.d.settings.answerThresholdSeconds);
    const putThrough = cue ? new Date(now.getTime() + speechSeconds(this.voice(call).text.apologyCue) * 1000) : now;
    attempt.acceptedAt = putThrough;
    call.state = 'connected';
    await this.write({ type: 'agent-accepted', callSid: call.callSid, attemptId, at: iso(putThrough) });
    await this.d.coordinator.extendClaim(attempt.agentId, holderOf(call, attempt), (this.d.settings.maxTalkSeconds + CLAIM_SLACK_SECONDS) * 1000).catch(() => false);
    return acceptedTwiml(this.voice(call), cue);
  }

  /**
   * A Dial action. One of a call this instance does not hold (it began before the outage) is
   * spooled too, so that the replay ends the talk or the offer on record and frees the agent: a
   * talk that is over ends with the thanks, a caller gone hears nothing, and null for a caller
   * still waiting for an agent (the usual fallback answers them, see fellBack).
   */
  async dialResult(attemptId: string, p: DialResult & { callSid?: string }): Promise<string | null> {
    const held = this.find(attemptId);
    if (!held) return p.callSid === undefined ? null : this.dialEndedElsewhere(attemptId, { ...p, callSid: p.callSid });
    const { call, attempt } = held;
    const now = this.d.clock.now();
    const callerGone = callerHasLeft(p.callStatus);
    if (attempt.finished) return callerGone || call.state === 'ended' ? emptyTwiml() : hangupTwiml();
    const bridged = p.dialBridged !== undefined ? p.dialBridged === 'true' : attempt.acceptedAt !== null && p.dialCallStatus === 'completed';
    const acceptedNotBridged = !bridged && !callerGone && attempt.acceptedAt !== null;
    const outcome: AttemptOutcome = acceptedNotBridged ? 'not-bridged' : attemptOutcomeFromDial(p.dialCallStatus, bridged, callerGone);
    await this.finish(call, attempt, outcome, p.dialCallStatus, now);
    if (bridged) {
      await this.end(call, { outcome: 'answered', endedBy: callerGone ? 'caller' : 'agent' }, now);
      return callerGone ? emptyTwiml() : sayAndHangUp(this.voice(call), this.voice(call).text.thanks);
    }
    if (callerGone) {
      await this.end(call, { outcome: 'abandoned', endedBy: 'caller' }, now);
      return emptyTwiml();
    }
    call.state = 'hunting';
    return this.ringNext(call, now, this.voice(call).text.holdOn);
  }

  /** An agent leg's progress: spooled, and a leg that is over frees its agent (claims live in the coordinator). */
  async legStatus(attemptId: string, p: LegStatus): Promise<void> {
    const held = this.find(attemptId);
    const now = this.d.clock.now();
    await this.write({
      type: 'leg-event',
      callSid: held?.call.callSid ?? `attempt:${attemptId}`,
      attemptId,
      childCallSid: p.childCallSid,
      sequenceNumber: p.sequenceNumber,
      callStatus: p.callStatus,
      eventAt: iso(parseTwilioTimestamp(p.timestamp, now)),
      receivedAt: iso(now),
      durationSeconds: p.callDuration ?? null,
      ...(p.leg !== undefined ? { leg: p.leg } : {}),
    });
    if (held && TERMINAL_LEG.has(p.callStatus)) await this.release(held.call, held.attempt);
  }

  /** The caller's own status: spooled; a caller who left a call still hunting ends it (the replayer ends it on record likewise). */
  async callStatus(p: { callSid: string; callStatus: string; sequenceNumber?: number; timestamp?: string; callDuration?: number }): Promise<void> {
    const now = this.d.clock.now();
    const eventAt = parseTwilioTimestamp(p.timestamp, now);
    await this.write({
      type: 'call-event',
      callSid: p.callSid,
      callStatus: p.callStatus,
      sequenceNumber: p.sequenceNumber ?? null,
      eventAt: iso(eventAt),
      receivedAt: iso(now),
      durationSeconds: p.callDuration ?? null,
    });
    const call = this.calls.get(p.callSid);
    if (!call || !callerHasLeft(p.callStatus) || call.state !== 'hunting') return;
    call.state = 'ended';
    for (const a of call.attempts.filter((x) => !x.finished)) {
      a.finished = true;
      await this.release(call, a);
    }
  }

  /**
   * A caller's webhook of a call this instance does not hold (it began before the outage, or
   * another instance put it through) was answered with the usual fallback because the database
   * could not be reached: the apology, then the duty number or a hang-up. The hotline ended the
   * call there, so it is spooled as missed; otherwise the caller's status callback that follows
   * would put it on record as abandoned by the caller. A call already ended on record stays as it was.
   * `arrival`: the call's incoming webhook was the one that failed, so its arrival is spooled too
   * (a repeat of one already on record changes nothing).
   */
  async fellBack(callSid: string, arrival?: { from: string; to: string; callerName?: string }, at: Date = this.d.clock.now()): Promise<void> {
    if (this.calls.has(callSid)) return;
    const duty = this.d.settings.fallbackNumber;
    if (arrival) {
      const { from, to, callerName } = arrival;
      await this.write({ type: 'call-arrived', callSid, callId: callIdFor(callSid), from, to, callerName: callerName ?? null, rotationOffset: 0, at: iso(at) });
    }
    await this.write({ type: 'call-ended', callSid, outcome: 'missed', endedBy: 'system', missedReason: duty ? 'database-down-duty-number' : 'database-down-fallback', at: iso(at) });
  }

  private async dialEndedElsewhere(attemptId: string, p: DialResult & { callSid: string }): Promise<string | null> {
    await this.write({
      type: 'dial-ended',
      callSid: p.callSid,
      attemptId,
      callStatus: p.callStatus ?? null,
      dialCallStatus: p.dialCallStatus,
      dialBridged: p.dialBridged ?? null,
      ...(p.leg !== undefined ? { leg: p.leg } : {}),
      at: iso(this.d.clock.now()),
    });
    if (callerHasLeft(p.callStatus)) return emptyTwiml();
    const bridged = p.dialBridged !== undefined ? p.dialBridged === 'true' : p.dialCallStatus === 'completed';
    return bridged ? sayAndHangUp(this.d.speaker, this.d.speaker.text.thanks) : null;
  }

  /** Claims the next free agent this call has not tried and rings them; the duty number or the apology when there is none. */
  private async ringNext(call: HeldCall, now: Date, prompt?: string): Promise<string> {
    const s = this.d.settings;
    const remaining = s.maxCallerWaitSeconds - secondsBetween(call.startedAt, now) - (prompt ? speechSeconds(prompt) : 0);
    const tried = new Set(call.attempts.map((a) => a.agentId));
    const order = remaining >= MIN_RING_SECONDS ? huntOrder(this.d.roster.agentsFor(call.to), call.rotationOffset, tried) : [];
    const seq = call.firstSeq + call.attempts.length;
    const holder = claimHolder({ callId: call.callId, seq });
    let agentId: string | null = null;
    try {
      agentId = order.length === 0 ? null : await this.d.coordinator.claimFirstFree(order.map((a) => a.id), holder, (s.agentRingSeconds + 5 + s.screenTimeoutSeconds + CLAIM_SLACK_SECONDS) * 1000);
    } catch (err) {
      // No claim can be made (Redis down and its fallback, PostgreSQL, down too): ringing an agent
      // unclaimed could ring them for two calls, so the caller is turned away here, on the spool,
      // with the apology or the duty number, and the call ends missed with its callback. Thrown on,
      // the call would stay held with no end, and the caller's hang-up would record an abandon.
      this.d.logger.warn('database down and no agent can be claimed: the caller is turned away', { callSid: call.callSid, err });
      return this.noAgent(call, now, 'database-down-fallback');
    }
    const agent = order.find((a) => a.id === agentId);
    const endpoint = agent && parseEndpoint(agent.phone);
    if (!agent || !endpoint) return this.noAgent(call, now, order.length === 0 && tried.size > 0 ? 'all-agents-tried' : 'no-agent-available');
    const attempt: HeldAttempt = { id: randomUUID(), seq, agentId: agent.id, endpoint: agent.phone, acceptedAt: null, apologyCued: false, finished: false };
    call.attempts.push(attempt);
    this.attempts.set(attempt.id, call.callSid);
    await this.write({ type: 'agent-offered', callSid: call.callSid, attemptId: attempt.id, seq, agentId: agent.id, endpoint: agent.phone, at: iso(now) });
    return this.dialTwiml(call, attempt.id, endpoint, remaining, prompt);
  }

  /** The caller's <Dial> of one offer, with the prompt before it if any. */
  private dialTwiml(call: HeldCall, attemptId: string, endpoint: Endpoint, remainingSeconds: number, prompt?: string): string {
    const s = this.d.settings;
    const res = newResponse();
    if (prompt) this.voice(call).say(res, prompt);
    const q = { attempt: attemptId };
    dialAgent(res, {
      endpoint,
      timeoutSeconds: dialTimeoutFor(s.agentRingSeconds, remainingSeconds),
      timeLimitSeconds: s.maxTalkSeconds,
      callerId: call.to,
      actionUrl: this.url('dial-result', q),
      screenUrl: this.url('screen', q),
      statusUrl: this.url('leg-status', q),
      // Recorded too: Twilio's report finds the call by its attempt once the spool has been replayed.
      recordingStatusUrl: s.recording ? this.url('recording', q) : undefined,
    });
    return res.toString();
  }

  /** Nobody to ring: the duty number if there is one, else the apology. Either way the call is missed, so it becomes a callback. */
  private async noAgent(call: HeldCall, now: Date, reason: string): Promise<string> {
    const duty = this.d.settings.fallbackNumber;
    await this.end(call, { outcome: 'missed', endedBy: 'system', missedReason: duty ? 'database-down-duty-number' : reason }, now);
    if (!duty) return sayAndHangUp(this.voice(call), this.voice(call).text.noAgent);
    const res = newResponse();
    this.voice(call).say(res, this.voice(call).text.transferringToDuty);
    res.dial({ timeout: 30 }, duty);
    return res.toString();
  }

  private async finish(call: HeldCall, attempt: HeldAttempt, outcome: AttemptOutcome, dialCallStatus: string, now: Date): Promise<void> {
    attempt.finished = true;
    await this.write({ type: 'attempt-finished', callSid: call.callSid, attemptId: attempt.id, outcome, dialCallStatus, at: iso(now) });
    await this.release(call, attempt);
  }

  private async end(call: HeldCall, e: { outcome: 'answered' | 'missed' | 'abandoned'; endedBy: 'agent' | 'caller' | 'system'; missedReason?: string }, now: Date): Promise<void> {
    call.state = 'ended';
    await this.write({ type: 'call-ended', callSid: call.callSid, ...e, at: iso(now) });
  }

  private replayIncoming(call: HeldCall): string {
    if (call.state !== 'hunting') return emptyTwiml();
    const open = call.attempts.find((a) => !a.finished);
    if (!open) return sayAndHangUp(this.voice(call), this.voice(call).text.noAgent);
    const remaining = this.d.settings.maxCallerWaitSeconds - secondsBetween(call.startedAt, this.d.clock.now());
    return this.dialTwiml(call, open.id, parseEndpoint(open.endpoint)!, remaining);
  }

  private async release(call: HeldCall, attempt: HeldAttempt): Promise<void> {
    await this.d.coordinator.releaseClaim(attempt.agentId, holderOf(call, attempt)).catch((err) => this.d.logger.warn('could not release a claim', { callSid: call.callSid, err }));
  }

  /** The rotation goes on in the coordinator when it can (Redis); the in-process counter is a database row, so a local one stands in. */
  private async nextRotation(to: string): Promise<number> {
    try {
      return await this.d.coordinator.nextRotation(to);
    } catch {
      return this.localRotation++;
    }
  }

  private find(attemptId: string): { call: HeldCall; attempt: HeldAttempt } | null {
    const sid = this.attempts.get(attemptId);
    const call = sid === undefined ? undefined : this.calls.get(sid);
    const attempt = call?.attempts.find((a) => a.id === attemptId);
    return call && attempt ? { call, attempt } : null;
  }

  /** Counts the event as pending for its call before it is on disk, so the call's next webhook comes here too. */
  private async write(event: SpoolEvent): Promise<void> {
    this.pending.set(event.callSid, (this.pending.get(event.callSid) ?? 0) + 1);
    try {
      await this.d.spool.append(event);
    } catch (err) {
      this.replayed(event.callSid);
      throw err;
    }
  }

  /** The caller's number's voice (its language), else the server's. */
  private voice(call: { to: string }): Speaker {
    return this.d.voiceFor?.(call.to) ?? this.d.speaker;
  }

  private url(name: string, query: Record<string, string>): string {
    return `${this.d.settings.publicBaseUrl}/webhooks/voice/${name}?${new URLSearchParams(query).toString()}`;
  }
}

const holderOf = (call: HeldCall, attempt: HeldAttempt) => claimHolder({ callId: call.callId, seq: attempt.seq });
const iso = (d: Date) => d.toISOString();
