import type { Call, CallStore, RingAttempt } from '../domain/ports';
import type { Logger } from '../logger';
import type { AgentOffers } from './agent-offers';
import type { CallDocuments } from './call-documents';
import type { WaitingLine } from './waiting-line';

/** How many waiting callers one pass over the line looks at. */
const LINE_SCAN = 50;

export interface WaitingLinePassDeps {
  calls: CallStore;
  line: WaitingLine;
  offers: AgentOffers;
  docs: CallDocuments;
  logger: Logger;
  /** Moves a live call to a new TwiML document (Twilio's REST call update). */
  redirectCall(callSid: string, url: string): Promise<void>;
  /** An offered agent who will not be rung for this call after all (released, and offered on). */
  letGo(attempt: RingAttempt, outcome: 'withdrawn', now: Date): Promise<void>;
  /** Ends a caller's wait as abandoned (their hang-up was lost). */
  abandon(call: Call, at: Date): Promise<void>;
}

/**
 * One pass over the waiting line: free agents are offered to the longest-waiting caller who can
 * take them, and each caller who got one is moved by a REST redirect; callers with nothing left
 * to wait for are moved on to the end of their wait.
 *
 * Its cost does not grow with the line: the callers and their attempts are read in two queries,
 * and every agent the coordinator has said is taken (ringing, talking, or just offered to a
 * caller ahead) is remembered for the rest of the pass, so once every agent a caller could take
 * is known to be taken the pass asks nothing more for them: with no agent free, a pass asks the
 * coordinator once per hotline group in the line, however long the line is.
 */
export class WaitingLinePass {
  constructor(private readonly d: WaitingLinePassDeps) {}

  /**
   * `self` is the call of the request running this, which is not redirected: its offered attempt
   * is returned for that request to dial.
   */
  async run(now: Date, self?: string): Promise<RingAttempt | null> {
    const busy = new Set<string>();
    const ids = await this.d.line.members(LINE_SCAN);
    if (ids.length === 0) return null;
    const [calls, attemptsByCall] = await Promise.all([this.d.calls.callsByIds(ids), this.d.calls.attemptsOfCalls(ids)]);
    let mine: RingAttempt | null = null;
    for (const callId of ids) {
      const call = calls.get(callId);
      if (!call || call.state !== 'hunting') {
        await this.d.line.leave(callId, now);
        continue;
      }
      const attempts = attemptsByCall.get(callId) ?? [];
      if (attempts.some((a) => !a.finishedAt)) continue; // being moved to an agent already
      const untried = await this.d.offers.untried(attempts, call, now);
      if (!this.d.docs.canRing(call, now) || untried.length === 0) {
        // Nothing left to wait for: /voice/hold ends the wait (missed, with the callback offer).
        if (callId !== self && (await this.d.line.leave(call.id, now))) await this.moveCaller(call, null, now);
        continue;
      }
      if (untried.every((a) => busy.has(a.id))) continue;
      const offered = await this.d.offers.offerNext(call, attempts, now, busy);
      if (!offered) continue;
      if (!(await this.d.line.leave(call.id, now))) continue; // another instance, or the caller's own request, moved it
      if (callId === self) mine = offered;
      else await this.moveCaller(call, offered, now);
    }
    return mine;
  }

  /** Sends a waiting caller to /voice/hold, which rings the agent offered to them (or ends their wait). */
  private async moveCaller(call: Call, offered: RingAttempt | null, now: Date): Promise<void> {
    try {
      await this.d.redirectCall(call.callSid, this.d.docs.webhookUrl('hold', { call: call.id }));
    } catch (err) {
      this.d.logger.warn('could not move a waiting caller', { callSid: call.callSid, err });
      if (offered) await this.d.letGo(offered, 'withdrawn', now);
      const fresh = await this.d.calls.getCall(call.id);
      if (fresh?.state !== 'hunting') return;
      // Twilio no longer knows the call: the caller hung up and their status callback was lost.
      // Their wait is over; anything else (Twilio unreachable) keeps their place, and the hold
      // document asks again when its music ends.
      if ((err as { status?: number }).status === 404) {
        const { caller } = await this.d.calls.terminalEventsOf(fresh.id);
        await this.d.abandon(fresh, caller?.at ?? now);
        return;
      }
      await this.d.line.join(fresh, now);
    }
  }
}
