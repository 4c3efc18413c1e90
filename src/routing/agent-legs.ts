import { owesApology, parseTwilioTimestamp } from '../domain/answer-time';
import { attemptOutcomeFromDial, callerHasLeft, isCutLeg } from '../domain/call-states';
import type { Call, CallStore, RingAttempt } from '../domain/ports';
import type { Clock } from '../domain/clock';
import { speechSeconds } from '../domain/speech';
import { whisperFlagText } from '../domain/whisper-flags';
import { NotFoundError } from '../errors';
import type { Logger } from '../logger';
import { hangupTwiml } from '../twiml/hotline-twiml';
import type { AgentOffers } from './agent-offers';
import type { CallClosing } from './call-closing';
import type { CallDocuments } from './call-documents';
import type { CallEndedListener, DialResult, HotlineDeps, HotlineSettings, LegStatus } from './hotline-ports';
import { acceptedTwiml, screenTwiml } from './routing-twiml';

const TERMINAL_LEG = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

export interface AgentLegsDeps {
  calls: CallStore;
  clock: Clock;
  logger: Logger;
  settings: HotlineSettings;
  docs: CallDocuments;
  offers: AgentOffers;
  closing: CallClosing;
  whisperFlags?: HotlineDeps['whisperFlags'];
  listeners: CallEndedListener[];
}

/**
 * An agent's leg of a hotline call, from the phone picking up to the <Dial>'s end: the whisper
 * and its key press (only a 1 bridges the caller), the leg's progress, and what a Dial action
 * writes on record (the attempt finished, its agent freed, the call ended when the talk is over
 * or the caller gone). HotlineService answers the webhooks with these and decides what the
 * caller hears next.
 */
export class AgentLegs {
  constructor(private readonly d: AgentLegsDeps) {}

  /** A leg dialled by an older document than the attempt's newest: a later move of the caller cut it. */
  private isCutLeg(attempt: RingAttempt, leg: number | undefined): boolean {
    return isCutLeg(attempt, leg);
  }

  /** The whisper: runs on the agent's phone once something picked up. */
  async screen(attemptId: string, childCallSid: string): Promise<string> {
    const { attempt, call } = await this.load(attemptId);
    if (call.state !== 'hunting' || attempt.finishedAt) return hangupTwiml();
    const voice = this.d.docs.voice(call);
    const flags = this.d.whisperFlags ? whisperFlagText(await this.d.whisperFlags.of(call), voice.language) : '';
    const now = this.d.clock.now();
    const { answerThresholdSeconds, screenTimeoutSeconds } = this.d.settings;
    // Judged for when the caller will be put through: after the whisper that is about to play.
    const apologise = owesApology(call.startedAt, now, answerThresholdSeconds, speechSeconds(voice.text.whisper({ apologise: false, flags })));
    await this.d.calls.markScreened(attempt.id, childCallSid, now, apologise);
    return screenTwiml(voice, {
      apologise,
      flags,
      timeoutSeconds: screenTimeoutSeconds,
      actionUrl: this.d.docs.webhookUrl('screen-result', { attempt: attempt.id }),
    });
  }

  /**
   * The agent's key press: only a 1 bridges the caller; anything else turns the leg away. If the
   * caller has by now waited past the rule and the whisper did not ask for an apology, the agent
   * hears the cue before the bridge.
   */
  async screenResult(attemptId: string, digits: string | undefined): Promise<string> {
    const { attempt, call } = await this.load(attemptId);
    if (digits !== '1') return hangupTwiml();
    const now = this.d.clock.now();
    const cue = !attempt.apologyCued && owesApology(call.startedAt, now, this.d.settings.answerThresholdSeconds);
    // The caller is put through when the cue has been said: their wait runs until then.
    const voice = this.d.docs.voice(call);
    const putThrough = cue ? new Date(now.getTime() + speechSeconds(voice.text.apologyCue) * 1000) : now;
    const accepted = await this.d.calls.acceptAttempt(attempt.id, putThrough, this.d.settings.answerThresholdSeconds);
    if (!accepted) return hangupTwiml();
    await this.d.offers.holdForTalk(attempt);
    await this.notifyConnected(attempt.callId);
    return acceptedTwiml(voice, cue);
  }

  /**
   * What a Dial action writes on record, at `at`: the attempt finished with its outcome (a bridged
   * leg whose key press was lost counts as accepted), its agent freed, and the call ended when the
   * talk is over or the caller gone. Also how a Dial action spooled during a PostgreSQL outage is
   * replayed (src/spool/spool-replayer.ts), at the time it came. `first`: this action finished the
   * attempt (false for a repeat, or an action after the call was settled without it). Null for
   * the action of a leg a later move of its caller cut, which settles nothing (see isCutLeg).
   */
  async settleDial(attemptId: string, p: DialResult, at: Date) {
    const { attempt, call } = await this.load(attemptId);
    if (!attempt.finishedAt && this.isCutLeg(attempt, p.leg)) return null;
    const callerGone = callerHasLeft(p.callStatus);
    const bridged = await this.wasBridged(attempt, p, callerGone, at);
    // Twilio bridged a leg whose key press is not on record (a lost request): that agent took the call.
    if (bridged && !attempt.acceptedAt) await this.d.calls.acceptAttempt(attempt.id, attempt.answeredAt ?? at, this.d.settings.answerThresholdSeconds);
    const acceptedNotBridged = !bridged && !callerGone && attempt.acceptedAt !== null;
    const outcome = acceptedNotBridged ? 'not-bridged' : attemptOutcomeFromDial(p.dialCallStatus, bridged, callerGone);
    const first = await this.d.calls.finishAttempt(attempt.id, { outcome, dialCallStatus: p.dialCallStatus, at });
    // Before the release: an agent the auto-pause takes off is not offered to the waiting line.
    if (first) await this.d.offers.ended(attempt, outcome, at);
    await this.d.closing.release(attempt, at);
    let ended: Call | null = null;
    // Not only the first time: a replay whose first try finished the attempt and then failed (a
    // deadlock after an outage) ends the call at its next try (an end is written only once).
    const ends = first || call.state !== 'ended';
    if (ends && bridged) ended = await this.d.closing.end(call, { outcome: 'answered', at, endedBy: callerGone ? 'caller' : 'agent' });
    // attempt.acceptedAt: the agent pressed 1 but the caller hung up before Twilio bridged them.
    else if (ends && callerGone) ended = await this.d.closing.end(call, { outcome: 'abandoned', at, endedBy: 'caller', neverBridged: attempt.acceptedAt !== null });
    // The agent pressed 1 but was never put through, the caller still there: the call goes back to
    // hunting here, so that a replayed action does it too, and a retry of one whose first try failed
    // after finishing the attempt (else the call stays connected, and any later end says answered).
    const reopened = acceptedNotBridged ? await this.d.calls.reopenHunt(call.id, attempt.id) : null;
    return { call: reopened ?? call, first, bridged, callerGone, acceptedNotBridged, ended };
  }

  /**
   * Whether the caller was put through to this leg. Twilio says so in DialBridged; without it, a
   * key press counts only if the caller was still there a second after it (their leg's end at
   * Twilio's Timestamp, or this action if that is not on record yet, came later): a caller who
   * hung up at the press was never bridged.
   */
  private async wasBridged(attempt: RingAttempt, p: DialResult, callerGone: boolean, at: Date): Promise<boolean> {
    if (p.dialBridged !== undefined) return p.dialBridged === 'true';
    if (!attempt.acceptedAt || p.dialCallStatus !== 'completed') return false;
    if (!callerGone) return true;
    const { caller } = await this.d.calls.terminalEventsOf(attempt.callId);
    const callerLeftAt = caller?.at ?? at;
    return callerLeftAt.getTime() > attempt.acceptedAt.getTime() + 1000;
  }

  /** Progress of an agent's leg (initiated, ringing, answered, completed), possibly repeated or out of order. */
  async legStatus(attemptId: string, p: LegStatus): Promise<void> {
    const attempt = await this.d.calls.getAttempt(attemptId);
    if (!attempt) throw new NotFoundError(`no ring attempt ${attemptId}`);
    const now = this.d.clock.now();
    await this.d.calls.recordLegEvent({
      childCallSid: p.childCallSid,
      sequenceNumber: p.sequenceNumber,
      attemptId,
      callStatus: p.callStatus,
      eventAt: parseTwilioTimestamp(p.timestamp, now),
      receivedAt: now,
      durationSeconds: p.callDuration ?? null,
    });
    // A leg a later move cut: the agent's claim is the newer leg's now.
    if (TERMINAL_LEG.has(p.callStatus) && !this.isCutLeg(attempt, p.leg)) await this.d.closing.release(attempt, now);
  }

  private async notifyConnected(callId: string): Promise<void> {
    const listeners = this.d.listeners.filter((l) => l.callConnected);
    if (listeners.length === 0) return;
    const call = await this.d.calls.getCall(callId);
    if (!call) return;
    for (const l of listeners) {
      try {
        await l.callConnected!(call);
      } catch (err) {
        this.d.logger.error('call-connected listener failed', { callSid: call.callSid, err });
      }
    }
  }

  private async load(attemptId: string): Promise<{ attempt: RingAttempt; call: Call }> {
    const attempt = await this.d.calls.getAttempt(attemptId);
    const call = attempt && (await this.d.calls.getCall(attempt.callId));
    if (!attempt || !call) throw new NotFoundError(`no ring attempt ${attemptId}`);
    return { attempt, call };
  }
}
