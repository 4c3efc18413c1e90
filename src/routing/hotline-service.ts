import { parseTwilioTimestamp } from '../domain/answer-time';
import { callerHasLeft, callIdFor } from '../domain/call-states';
import type { Call, NewCall, RingAttempt } from '../domain/ports';
import { NotFoundError } from '../errors';
import { isDatabaseUnreachable } from '../postgres/database-unreachable';
import { emptyTwiml, hangupTwiml, sayAndHangUp } from '../twiml/hotline-twiml';
import { AgentLegs } from './agent-legs';
import { AgentOffers, type OfferWatcher } from './agent-offers';
import { CallClosing } from './call-closing';
import { CallDocuments, type WaitingOffer } from './call-documents';
import { CallerMoves } from './caller-moves';
import { RecordedThenFailed, type CallEndedListener, type CallerGate, type CallFlowEndings, type DialResult, type HotlineDeps, type LegStatus } from './hotline-ports';
import { WaitingLine } from './waiting-line';
import { WaitingLinePass } from './waiting-line-pass';
import { OutcomeByTimes } from './outcome-by-times';
import { RepeatAnswers } from './repeat-answers';
import { StalledCalls } from './stalled-calls';

export type { WaitingOffer } from './call-documents';
export type { OfferWatcher } from './agent-offers';

/** A caller's arrival as the incoming webhook reports it. */
export interface Arrival {
  from: string;
  to: string;
  callerName?: string;
}
export type { CallEndedListener, CallerGate, CallFlowEndings, DialResult, GateVerdict, HotlineDeps, HotlineSettings, LegStatus } from './hotline-ports';

/**
 * The hotline's call flow: ring agents one at a time in rotation from the caller's first second,
 * let a human confirm, keep callers in a fair waiting line while every agent is busy, measure the
 * wait, and end every call with an outcome. Each public method answers one Twilio webhook and is
 * safe to repeat.
 */
export class HotlineService {
  private readonly endings: CallFlowEndings;
  private readonly docs: CallDocuments;
  private readonly offers: AgentOffers;
  readonly line: WaitingLine;
  private readonly pass: WaitingLinePass;
  /** The REST moves of waiting callers, made off the request path. */
  readonly moves: CallerMoves;
  private readonly closing: CallClosing;
  /** The call settler's recovery of calls whose next request was lost (see CallSettler). */
  readonly stalled: StalledCalls;
  private readonly byTimes: OutcomeByTimes;
  private readonly repeats: RepeatAnswers;
  /** The agents' legs: the whisper, the key press, the leg's progress, what a Dial action writes. */
  private readonly legs: AgentLegs;
  private gate: CallerGate = { check: async () => 'pass' };
  /** Told of each offer as it is recorded (the notifier's ring card); called without waiting, must not throw. */
  private readonly offerWatchers: OfferWatcher[] = [];

  constructor(private readonly d: HotlineDeps) {
    this.endings = {
      afterTalk: d.endings?.afterTalk ?? (async (call) => sayAndHangUp(this.docs.voice(call), this.docs.voice(call).text.thanks)),
      whenMissed: d.endings?.whenMissed ?? (async (call) => sayAndHangUp(this.docs.voice(call), this.docs.voice(call).text.noAgent)),
    };
    this.docs = new CallDocuments(d.settings, d.speaker, d.voices ? (number) => d.voices!.forNumber(number) : undefined);
    const { agentRingSeconds, screenTimeoutSeconds, maxTalkSeconds } = d.settings;
    this.offers = new AgentOffers({
      agents: d.agents,
      calls: d.calls,
      coordinator: d.coordinator,
      ringClaimSeconds: agentRingSeconds + 5 + screenTimeoutSeconds,
      talkClaimSeconds: maxTalkSeconds,
      clock: d.clock,
      logger: d.logger,
      roster: d.roster,
      facts: d.facts,
      offered: (call, attempt) => this.offerWatchers.forEach((w) => w(call, attempt)),
    });
    this.line = new WaitingLine(d.coordinator, d.calls);
    this.closing = new CallClosing({
      calls: d.calls,
      coordinator: d.coordinator,
      offers: this.offers,
      logger: d.logger,
      callEnds: d.callEnds,
      endings: this.endings,
      promoteWaiting: (now, freed) => this.promoteWaiting(now, undefined, freed),
    });
    this.stalled = new StalledCalls({ calls: d.calls, offers: this.offers, line: this.line, closing: this.closing });
    this.moves = new CallerMoves({ redirectCall: d.redirectCall, logger: d.logger, ...d.moveLimits });
    this.pass = new WaitingLinePass({
      calls: d.calls,
      line: this.line,
      offers: this.offers,
      docs: this.docs,
      moves: this.moves,
      now: () => d.clock.now(),
      letGo: (attempt, outcome, now) => this.closing.letGo(attempt, outcome, now),
      abandon: async (call, at) => {
        await this.closing.end(call, { outcome: 'abandoned', at, endedBy: 'caller' });
      },
    });
    this.byTimes = new OutcomeByTimes({
      calls: d.calls,
      clock: d.clock,
      logger: d.logger,
      maxCallerWaitSeconds: d.settings.maxCallerWaitSeconds,
      miss: (call, reason, at) => this.closing.end(call, { outcome: 'missed', at, endedBy: 'system', missedReason: reason }),
      dispatch: (call) => d.callEnds.dispatch(call),
    });
    this.legs = new AgentLegs({
      calls: d.calls,
      clock: d.clock,
      logger: d.logger,
      settings: d.settings,
      docs: this.docs,
      offers: this.offers,
      closing: this.closing,
      whisperFlags: d.whisperFlags,
      listeners: d.listeners,
    });
    this.repeats = new RepeatAnswers({
      calls: d.calls,
      clock: d.clock,
      endings: this.endings,
      docs: this.docs,
      line: this.line,
      offers: this.offers,
      closing: this.closing,
      waitOrMiss: (call, attempts, now, reason) => this.waitOrMiss(call, attempts, now, reason),
    });
  }

  /** Lets a later feature (callbacks, ratings) take over one end of the flow. */
  setEnding<K extends keyof CallFlowEndings>(which: K, fn: CallFlowEndings[K]): void {
    this.endings[which] = fn;
  }

  /** Lets the caller press a key while holding (see WaitingOffer); the key arrives at waitingKey(). */
  setWaitingOffer(offer: WaitingOffer): void {
    this.docs.offer = offer;
  }

  /** Lets the protection feature screen callers before a call is recorded or rung (its check must not throw). */
  setGate(gate: CallerGate): void {
    this.gate = gate;
  }

  addListener(listener: CallEndedListener): void {
    this.d.listeners.push(listener);
  }

  /** Adds a watcher of offers (an agent about to ring); it must return at once and never throw. */
  watchOffers(watcher: OfferWatcher): void {
    this.offerWatchers.push(watcher);
  }

  webhookUrl(name: string, query: Record<string, string>): string {
    return this.docs.webhookUrl(name, query);
  }

  /**
   * A call arrives: the answer begins with the first agent's <Dial answerOnBridge>, so the caller
   * hears ringing from the first second and the call is not answered until an agent accepts.
   * When callers are already waiting for a free agent, the new one joins the line behind them.
   */
  async incoming(p: { callSid: string; from: string; to: string; callerName?: string }): Promise<string> {
    const now = this.d.clock.now();
    const screening = await this.screening(p.from, now);
    const { refused } = screening;
    // A refused call rings nobody: it takes no step of the rotation. A repeated request takes one it does not use.
    const { lineEmpty, rotation } = refused ? { lineEmpty: true, rotation: 0 } : await this.line.arrive(p.to);
    // Behind callers already waiting, this one is recorded waiting from its first second.
    const behind = !lineEmpty;
    const { call, created } = await this.d.calls.createCall(
      { id: callIdFor(p.callSid), callSid: p.callSid, from: p.from, to: p.to, callerName: p.callerName ?? null, startedAt: now, screening, waitingSince: behind ? now : null },
      rotation,
    );
    if (!created || refused) return this.repeats.answer(call);
    try {
      if (behind) return await this.waitOrMiss(call, [], now, 'no-agent-available');
      const attempt = await this.offers.offerNext(call, [], now);
      if (!attempt) return await this.waitOrMiss(call, [], now, 'no-agent-available');
      // The number's own language and greeting (HotlineVoices: in memory, nothing read here).
      const voice = this.docs.voice(call);
      const said = [call.warned ? voice.text.callerWarning : '', this.d.settings.greetingBeforeRing ? voice.text.greeting : ''].join('');
      return this.docs.ring(call, attempt, now, said || undefined);
    } catch (err) {
      // Recorded, then failed (the database went down mid-request): another answer may now carry
      // this caller (src/spool/), so no pass over the line may move them as one of its own.
      await this.d.coordinator.leaveLine(call.id).catch(() => false);
      // Its offers are numbered after the one this request may have recorded (seq 0).
      throw isDatabaseUnreachable(err) ? new RecordedThenFailed(call.id, 1, err) : err;
    }
  }

  /**
   * The caller pressed a key while holding (before the next agent, or in the waiting line). A 1
   * asks for a callback: any agent about to be rung is let go and the call ends missed. Any
   * other key just carries on.
   */
  async waitingKey(callId: string, digits: string | undefined): Promise<string> {
    const call = await this.d.calls.getCall(callId);
    if (!call) throw new NotFoundError(`no call ${callId}`);
    if (call.state !== 'hunting') return this.repeats.answer(call);
    const now = this.d.clock.now();
    const open = (await this.d.calls.attemptsOf(call.id)).find((a) => !a.finishedAt);
    if (digits === '1') {
      if (open) await this.closing.letGo(open, 'callback-requested', now);
      return this.closing.miss(call, 'callback-requested', now);
    }
    if (!open) return this.hold(call.id);
    const again = await this.dialAgain(open, now);
    return again ? this.docs.ring(call, again, now) : this.hold(call.id);
  }

  /**
   * Where a waiting caller is sent, by REST when an agent is free for them and by the hold
   * document itself when its music ends (`recheck`): ring the agent offered to them, take a free
   * one, keep holding, or end the wait. A recheck never rings the agent offered by a REST move
   * still on its way: Twilio would ring that phone twice when the move lands.
   */
  async hold(callId: string, recheck = false): Promise<string> {
    const call = await this.d.calls.getCall(callId);
    if (!call) throw new NotFoundError(`no call ${callId}`);
    if (call.state !== 'hunting') return this.repeats.answer(call);
    const now = this.d.clock.now();
    let attempts = await this.d.calls.attemptsOf(call.id);
    let open = attempts.find((a) => !a.finishedAt);
    if (open && recheck && (await this.offers.lost(open, now))) {
      // The caller is on hold, so that agent is not being dialled: the offer is withdrawn and the wait goes on or ends.
      this.d.logger.warn('withdrew an offer whose move to the agent never came', { callSid: call.callSid, attemptId: open.id });
      await this.closing.letGo(open, 'withdrawn', now);
      attempts = await this.d.calls.attemptsOf(call.id);
      open = undefined;
    }
    if (open && recheck) return this.docs.hold(call, 0);
    if (open) {
      await this.line.leave(call.id, now);
      const again = await this.dialAgain(open, now);
      if (again) return this.docs.ring(call, again, now);
      attempts = await this.d.calls.attemptsOf(call.id);
    }
    return this.waitOrMiss(call, attempts, now, 'all-agents-tried');
  }

  /**
   * A move landed for a caller whose agent is offered already: dialled by a new document, whose
   * mark tells its leg from one an earlier move may have started (Twilio cuts that leg, and its
   * end must not free the agent: see isCutLeg). The agent is claimed again for the attempt (a cut
   * leg's end may have freed them first); taken meanwhile by another call, the offer is withdrawn.
   */
  private async dialAgain(open: RingAttempt, now: Date): Promise<RingAttempt | null> {
    const [dialMark, kept] = await Promise.all([this.d.calls.redial(open.id), this.offers.reclaim(open)]);
    if (kept) return { ...open, dialMark };
    this.d.logger.warn('the agent offered to a moved caller was taken meanwhile; the offer is withdrawn', { attemptId: open.id });
    await this.closing.letGo(open, 'withdrawn', now);
    return null;
  }

  /** The whisper: runs on the agent's phone once something picked up (AgentLegs). */
  screen(attemptId: string, childCallSid: string): Promise<string> {
    return this.legs.screen(attemptId, childCallSid);
  }

  /** The agent's key press (AgentLegs). */
  screenResult(attemptId: string, digits: string | undefined): Promise<string> {
    return this.legs.screenResult(attemptId, digits);
  }

  /** The <Dial> of one agent ended: the talk is over, or the next agent is rung, or the call waits or is missed. */
  async dialResult(attemptId: string, p: DialResult): Promise<string> {
    const now = this.d.clock.now();
    const settled = await this.legs.settleDial(attemptId, p, now);
    // A <Dial> a later move cut (Twilio ignores this answer): the newer leg's own action ends the attempt.
    if (!settled) return emptyTwiml();
    const { first, bridged, callerGone, ended, call } = settled;
    // A repeat, or an action arriving after the call was settled without it: a caller who is gone hears nothing.
    if (!first) return callerGone ? emptyTwiml() : this.repeats.answer((await this.d.calls.getCall(call.id)) ?? call);
    if (bridged) {
      // Already ended: the agent handed the caller over by a REST redirect, and Twilio ignores this reply.
      if (!ended) return emptyTwiml();
      return callerGone ? emptyTwiml() : this.endings.afterTalk(ended);
    }
    if (callerGone) return emptyTwiml();
    // The agent pressed 1 but was never put through: settleDial put the call back to hunting, so hunt on.
    if (call.state !== 'hunting') return hangupTwiml();
    const holdOn = this.docs.voice(call).text.holdOn;
    if (!this.docs.canRing(call, now, holdOn)) return this.closing.miss(call, 'max-wait', now);
    const attempts = await this.d.calls.attemptsOf(call.id);
    const next = await this.offers.offerNext(call, attempts, now);
    if (!next) return this.waitOrMiss(call, attempts, now, 'all-agents-tried');
    return this.docs.ring(call, next, now, holdOn);
  }

  /** What a Dial action writes on record (AgentLegs.settleDial); also how a spooled one is replayed. */
  settleDial(attemptId: string, p: DialResult, at: Date) {
    return this.legs.settleDial(attemptId, p, at);
  }

  /** Progress of an agent's leg (AgentLegs). */
  legStatus(attemptId: string, p: LegStatus): Promise<void> {
    return this.legs.legStatus(attemptId, p);
  }

  /** The hotline call's own status: when the caller's leg is over, the call ends whatever else was lost. */
  async callStatus(p: { callSid: string; callStatus: string; sequenceNumber?: number; timestamp?: string; callDuration?: number }): Promise<void> {
    const now = this.d.clock.now();
    const leftAt = parseTwilioTimestamp(p.timestamp, now);
    await this.d.calls.recordCallEvent({
      callSid: p.callSid,
      callStatus: p.callStatus,
      sequenceNumber: p.sequenceNumber ?? null,
      eventAt: leftAt,
      receivedAt: now,
      durationSeconds: p.callDuration ?? null,
    });
    if (!callerHasLeft(p.callStatus)) return;
    const call = await this.d.calls.getCallBySid(p.callSid);
    if (!call) return;
    if (call.state !== 'ended') {
      const unfinished = (await this.d.calls.attemptsOf(call.id)).filter((a) => !a.finishedAt);
      // Connected but its <Dial> not yet over: only the Dial action (which Twilio sends even after the
      // caller hung up, in either order with this callback) can tell a talk from a bridge that never happened.
      if (call.state === 'connected' && unfinished.some((a) => a.acceptedAt)) return;
      if (await this.closing.end(call, { outcome: 'abandoned', at: now, endedBy: 'caller' })) return;
    }
    // Ended by the hotline first (a sweep, a fallback): the times say whether the caller had left by then.
    const ended = call.state === 'ended' ? call : await this.d.calls.getCall(call.id);
    if (ended?.state === 'ended') await this.byTimes.callerLeft(ended, leftAt);
  }

  /**
   * The caller was answered with the fallback TwiML at `at` (a webhook missed its deadline or
   * failed, or Twilio asked the Voice Fallback URL): unless they had already hung up, the hotline
   * turned them away, and the call is missed (see OutcomeByTimes). Safe to repeat. `arrival`: the
   * incoming webhook itself failed, so the call may not be on record yet.
   */
  async turnedAway(callSid: string, at: Date, reason?: string, arrival?: Arrival): Promise<void> {
    // The call's own arrival failed (a busy pool, a deadlock): it is put on record now, to be missed with its callback.
    if (arrival && !(await this.d.calls.getCallBySid(callSid))) {
      const screening = await this.screening(arrival.from, at);
      await this.d.calls.createCall({ id: callIdFor(callSid), callSid, from: arrival.from, to: arrival.to, callerName: arrival.callerName ?? null, startedAt: at, screening }, 0);
    }
    return this.byTimes.turnedAway(callSid, at, reason);
  }

  /** How the caller gate (blocklist, internal numbers, warnings) takes this caller. */
  private async screening(from: string, now: Date): Promise<NonNullable<NewCall['screening']>> {
    const verdict = await this.gate.check(from, now);
    const refused = verdict === 'reject' || verdict === 'internal';
    return { blocked: verdict === 'reject', internal: verdict === 'internal' || verdict === 'internal-test', warned: verdict === 'warn', refused };
  }

  /** The caller's leg ended at `leftAt` (a status replayed from a spool): a call the hotline ended first is judged by the times. */
  async callerLeftAt(callId: string, leftAt: Date): Promise<void> {
    const call = await this.d.calls.getCall(callId);
    if (call?.state === 'ended') await this.byTimes.callerLeft(call, leftAt);
  }

  /**
   * The agent handed the caller over to the rating from their phone (the caller's leg was already
   * redirected by REST): the talk is over now, whatever the late <Dial> action says afterwards.
   */
  async endByHandover(callId: string): Promise<Call | null> {
    const call = await this.d.calls.getCall(callId);
    if (!call || call.state !== 'connected') return null;
    return this.closing.end(call, { outcome: 'answered', at: this.d.clock.now(), endedBy: 'agent-handover' });
  }

  /**
   * Offers free agents to the waiting lines (see WaitingLinePass). Runs whenever an agent may have
   * become free, within the request that freed them (`freed`: only the lines of that agent's
   * groups are looked at): the other callers' REST moves go on after it returns (CallerMoves), so
   * they never hold up that request's answer.
   */
  async promoteWaiting(now: Date = this.d.clock.now(), self?: string, freed?: string): Promise<RingAttempt | null> {
    return (await this.pass.run(now, self, freed)).mine;
  }

  /**
   * The waiting lines' sweep, every few seconds (claims can also expire silently, and waits run
   * out): a pass, and its moves waited for.
   */
  async sweepLines(now: Date = this.d.clock.now()): Promise<void> {
    await Promise.all((await this.pass.run(now)).moving);
  }

  /**
   * No free agent for this call right now. While agents it has not tried are only busy with
   * other calls and its wait has not run out, the caller waits in line; otherwise the call ends
   * missed, as when every agent has been tried.
   */
  private async waitOrMiss(call: Call, attempts: RingAttempt[], now: Date, reason: string): Promise<string> {
    const untried = await this.offers.untried(attempts, call);
    if (untried.length === 0) {
      await this.line.leave(call.id, now);
      return this.closing.miss(call, attempts.length === 0 ? reason : 'all-agents-tried', now);
    }
    if (!this.docs.canRing(call, now)) {
      await this.line.leave(call.id, now);
      return this.closing.miss(call, 'max-wait', now);
    }
    // An agent may have freed up between our look and joining the line (their release then saw
    // no one waiting): if one this caller could take looks free, offer in line order, asking the
    // coordinator afresh. With every one of them claimed the pass is not needed: a release from
    // now on sees this caller in the line. The look is answered after the join.
    const { ahead, mayBeFree } = await this.line.joinAndLook(call, now, untried.map((a) => a.id));
    if (!mayBeFree) return this.docs.hold(call, ahead);
    const offered = await this.promoteWaiting(now, call.id);
    if (offered) return this.docs.ring(call, offered, now);
    return this.docs.hold(call, await this.line.ahead(call.id));
  }
}
