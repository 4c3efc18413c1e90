import { callerLeftFirst, FALLBACK_MISS, turnedAwayAt } from '../domain/who-left-first';
import type { Call, CallStore } from '../domain/ports';
import type { Clock } from '../domain/clock';
import type { Logger } from '../logger';

export interface OutcomeByTimesDeps {
  calls: Pick<CallStore, 'getCallBySid' | 'getCall' | 'attemptsOf' | 'terminalEventsOf' | 'correctEnd'>;
  clock: Clock;
  logger: Logger;
  maxCallerWaitSeconds: number;
  /** Ends a call still hunting as missed, the way the call flow ends it (listeners, agents let go). */
  miss(call: Call, reason: string, at: Date): Promise<Call | null>;
  /** Runs the call-ended effects of a call whose outcome was just corrected. */
  dispatch(call: Call): Promise<void>;
}

/**
 * Keeps `missed` and `abandoned` true to who left first (rules: src/domain/who-left-first.ts)
 * when the requests that tell it race: the waiting line's sweep against the caller's own hang-up,
 * a fallback answer against a status callback that overtakes the slow handler. Whichever of the
 * two ends the call, the other one, arriving later, corrects it by the times; a correction is
 * made once (compare-and-set on the record) and its effects run again for the new outcome.
 */
export class OutcomeByTimes {
  constructor(private readonly d: OutcomeByTimesDeps) {}

  /**
   * The caller's leg is over (their terminal status, at its Timestamp) and the call had already
   * ended: a miss the hotline decided after the caller left is their abandon.
   */
  async callerLeft(call: Call, leftAt: Date): Promise<void> {
    const turnedAway = turnedAwayAt(call, this.d.maxCallerWaitSeconds);
    if (!turnedAway || !callerLeftFirst(leftAt, turnedAway)) return;
    await this.correct(call, { outcome: 'abandoned', at: leftAt, endedBy: 'caller' });
  }

  /**
   * The caller was answered with the fallback TwiML at `at` (`reason`: which fallback): the
   * hotline turned them away. Safe to repeat, and repeated once the slow handler is done (it may
   * have recorded the call since).
   */
  async turnedAway(callSid: string, at: Date, reason: string = FALLBACK_MISS): Promise<void> {
    const call = await this.d.calls.getCallBySid(callSid);
    if (!call) return;
    if (call.state === 'hunting') {
      const ended = await this.d.miss(call, reason, at);
      // The caller's hang-up may be on record already, its request still on the way to ending the call.
      if (ended) await this.judge(ended);
      else await this.judge(await this.d.calls.getCall(call.id));
      return;
    }
    if (call.state !== 'ended' || call.outcome !== 'abandoned' || call.endedBy !== 'caller') return;
    // An abandon that was put through to an agent (the bridge never happened) was not a fallback's doing;
    // an agent's key press whose bridge never came while the caller stayed (not-bridged) put nobody through.
    if ((await this.d.calls.attemptsOf(call.id)).some((a) => a.acceptedAt && a.outcome !== 'not-bridged')) return;
    const { caller } = await this.d.calls.terminalEventsOf(call.id);
    // Without the caller's status on record, the abandon was inferred when Twilio no longer knew
    // the call (the waiting line's REST move got a 404): the caller had left by then at the latest.
    const leftAt = caller?.at ?? call.endedAt;
    if (!leftAt || callerLeftFirst(leftAt, at)) return;
    await this.correct(call, { outcome: 'missed', at, endedBy: 'system', missedReason: reason });
  }

  private async judge(call: Call | null): Promise<void> {
    if (!call || call.state !== 'ended') return;
    const { caller } = await this.d.calls.terminalEventsOf(call.id);
    if (caller) await this.callerLeft(call, caller.at);
  }

  private async correct(call: Call, to: { outcome: 'missed' | 'abandoned'; at: Date; endedBy: 'caller' | 'system'; missedReason?: string }): Promise<void> {
    const corrected = await this.d.calls.correctEnd(call.id, { outcome: call.outcome!, missedReason: call.missedReason }, to, this.d.clock.now());
    if (!corrected) return;
    this.d.logger.info('call outcome corrected by the times', { callSid: call.callSid, was: call.outcome, wasReason: call.missedReason, now: corrected.outcome, missedReason: corrected.missedReason });
    await this.d.dispatch(corrected);
  }
}
