import { decideFromRecord, decideFromTwilio, SETTLE_GRACE_SECONDS, type LegEnd, type LegEnds, type StaleCall, type StaleCallRules, type TwilioAnswer } from '../domain/stale-call';
import type { Call, CallStore } from '../domain/ports';
import type { Logger } from '../logger';
import type { TwilioClient } from '../twilio-client';
import type { StalledCalls } from './stalled-calls';

export interface CallSettlerDeps {
  calls: Pick<CallStore, 'listStaleConnected' | 'listOverdueHunting' | 'terminalEventsOf' | 'attemptsOf'>;
  stalled: Pick<StalledCalls, 'settleConnected' | 'requeueOverdue'>;
  twilio: TwilioClient;
  logger: Logger;
  maxTalkSeconds: number;
  maxCallerWaitSeconds: number;
  graceSeconds?: number;
  /** Gives back claims held in the name of calls ended on record (LeftClaims). */
  leftClaims?: { release(): Promise<number> };
}

/**
 * Calls looked at per run, longest connected first. Most are settled at once; those still
 * talking are asked about again next run, so this many live long calls would hold the rest back.
 */
const BATCH = 200;

/** Twilio's call statuses after which a leg is over (queued, ringing and in-progress are live). */
const OVER = new Set(['completed', 'canceled', 'busy', 'failed', 'no-answer']);

/**
 * No call stays connected for ever: a call whose <Dial> action was lost (Twilio does not retry a
 * request its handler failed) is ended from what is on record, or from what Twilio's REST API
 * says of its legs, so that it gets an outcome and its agent is released. The rules are in
 * src/domain/stale-call.ts; the ending itself, with its listeners, is StalledCalls.settleConnected.
 * Every instance may run this: ending a call is once-only, a second settle is a no-op.
 */
export class CallSettler {
  private readonly rules: StaleCallRules;

  constructor(private readonly d: CallSettlerDeps) {
    this.rules = { graceSeconds: d.graceSeconds ?? SETTLE_GRACE_SECONDS, maxTalkSeconds: d.maxTalkSeconds };
  }

  /** Settles the connected calls whose talk is over; returns how many it ended. */
  async settleStale(now: Date): Promise<number> {
    const stale = await this.d.calls.listStaleConnected(new Date(now.getTime() - this.rules.graceSeconds * 1000), BATCH);
    let settled = 0;
    for (const call of stale) {
      try {
        if (await this.settle(call, now)) settled++;
      } catch (err) {
        // One bad call must not keep the others connected; it is tried again next run.
        this.d.logger.error('settling a connected call failed', { callSid: call.callSid, err });
      }
    }
    const requeued = await this.requeueOverdue(now);
    // A failure here must not keep the calls above from being settled: logged, and tried next run.
    await this.d.leftClaims?.release().catch((err: unknown) => this.d.logger.error('giving back the claims of ended calls failed', { err }));
    return settled + requeued;
  }

  /**
   * Callers still hunting a grace past their maximum wait: every ring and prompt of theirs would
   * be over, so what was to move them on was lost (an instance killed between writing an offer and
   * its REST move, say). They go back to the waiting line, whose sweep ends their wait.
   */
  private async requeueOverdue(now: Date): Promise<number> {
    const before = new Date(now.getTime() - (this.d.maxCallerWaitSeconds + this.rules.graceSeconds) * 1000);
    let requeued = 0;
    for (const call of await this.d.calls.listOverdueHunting(before, BATCH)) {
      try {
        if (!(await this.d.stalled.requeueOverdue(call.id, now))) continue;
        requeued++;
        this.d.logger.warn('put back in the waiting line a caller hunting past the maximum wait', { callSid: call.callSid });
      } catch (err) {
        this.d.logger.error('requeueing an overdue caller failed', { callSid: call.callSid, err });
      }
    }
    return requeued;
  }

  private async settle(call: Call, now: Date): Promise<boolean> {
    if (!call.acceptedAt) return false;
    const facts: StaleCall = { acceptedAt: call.acceptedAt, now };
    const record = await this.d.calls.terminalEventsOf(call.id);
    const ends: LegEnds = {};
    if (record.caller) ends.caller = { at: record.caller.at };
    if (record.agentLeg) ends.agent = { at: record.agentLeg.at };
    let decision = decideFromRecord(ends, facts, this.rules);
    if (decision.kind === 'ask-twilio') decision = decideFromTwilio(await this.askTwilio(call), facts, this.rules);
    if (decision.kind !== 'settle') return false;
    const ended = await this.d.stalled.settleConnected(call.id, { at: decision.at, endedBy: decision.endedBy, neverBridged: decision.neverBridged });
    if (!ended) return false;
    this.d.logger.warn('settled a connected call whose Dial action never came', {
      callSid: call.callSid,
      basis: decision.basis,
      outcome: ended.outcome,
      endedBy: ended.endedBy,
      talkSeconds: ended.talkSeconds,
    });
    return true;
  }

  /** The caller's leg (the hotline call) and the accepted agent's leg, as Twilio's REST API has them. */
  private async askTwilio(call: Call): Promise<TwilioAnswer> {
    const accepted = (await this.d.calls.attemptsOf(call.id)).filter((a) => a.acceptedAt).at(-1);
    const [caller, agent] = await Promise.all([this.fetchLeg(call.callSid), accepted?.childCallSid ? this.fetchLeg(accepted.childCallSid) : null]);
    if (caller === 'not-found') return { kind: 'unknown-call' };
    if (caller === 'failed') return { kind: 'unreachable' };
    return { kind: 'legs', caller, agent: agent === 'not-found' || agent === 'failed' ? null : agent };
  }

  private async fetchLeg(callSid: string): Promise<LegEnd | 'live' | 'not-found' | 'failed'> {
    try {
      const leg = await this.d.twilio.calls(callSid).fetch();
      if (!OVER.has(leg.status)) return 'live';
      // twilio-node hands back the raw string when it cannot parse end_time.
      const endTime: unknown = leg.endTime;
      return { at: endTime instanceof Date && !Number.isNaN(endTime.getTime()) ? endTime : null };
    } catch (err) {
      const { status, code } = err as { status?: number; code?: number };
      if (status === 404) return 'not-found';
      // Only the sid and Twilio's codes: the error's text may quote the request.
      this.d.logger.warn('Twilio could not say how a connected call stands; asking again next run', { callSid, status, code });
      return 'failed';
    }
  }
}
