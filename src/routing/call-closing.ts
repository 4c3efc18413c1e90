import type { Call, CallStore, Coordinator, RingAttempt } from '../domain/ports';
import type { Logger } from '../logger';
import type { AgentOffers } from './agent-offers';
import type { CallFlowEndings } from './hotline-ports';

export interface CallClosingDeps {
  calls: CallStore;
  coordinator: Coordinator;
  offers: AgentOffers;
  logger: Logger;
  /** Runs the listeners' effects for a call this request has just ended (the call-ended outbox). */
  callEnds: { dispatch(call: Call): Promise<void> };
  /** HotlineService's endings, the same object its setEnding() changes: a miss answers with whenMissed. */
  endings: CallFlowEndings;
  /** Offers the freed agent to the waiting lines of their groups (HotlineService.promoteWaiting). */
  promoteWaiting(now: Date, freed: string): Promise<RingAttempt | null>;
}

/**
 * The primitives that close a call or free an agent, shared by the call flow, the waiting line's
 * pass and the recovery of stalled calls: every way out of a call lets go of what it held (its
 * place in the line, the agents offered to it) and tells the listeners once.
 */
export class CallClosing {
  constructor(private readonly d: CallClosingDeps) {}

  /**
   * Ends the call (once: null when it had already ended), and leaves nothing of it behind. Ended
   * already, what an earlier ending left behind is let go now: that ending may have failed after
   * the end was written (a deadlock after an outage), and this one (the spool's replay of a
   * turned-away caller, say) is the only one that comes after it.
   */
  async end(call: Call, e: Parameters<CallStore['endCall']>[1]): Promise<Call | null> {
    const ended = await this.d.calls.endCall(call.id, e);
    if (!ended) {
      await this.letGoLeftBehind(call.id, e.at);
      return null;
    }
    // Nothing of an ended call stays behind: its place in the line, or an agent offered to it.
    await this.d.coordinator.leaveLine(ended.id);
    await this.letGoLeftBehind(ended.id, e.at);
    // The listeners' effects were written with the end; whatever fails here is retried (call-end-outbox.ts).
    await this.d.callEnds.dispatch(ended);
    return ended;
  }

  /** The offers of an ended call still open on record: never rung for it now, their agents freed. */
  private async letGoLeftBehind(callId: string, at: Date): Promise<void> {
    for (const a of (await this.d.calls.attemptsOf(callId)).filter((x) => !x.finishedAt && !x.acceptedAt)) await this.letGo(a, 'caller-gone', at);
  }

  /** Ends the call missed and answers with what the caller hears then. */
  async miss(call: Call, reason: string, now: Date): Promise<string> {
    const ended = await this.end(call, { outcome: 'missed', at: now, endedBy: 'system', missedReason: reason });
    return this.d.endings.whenMissed(ended ?? call);
  }

  /** An agent's claim for this attempt is over: free them, and offer them to the waiting line. */
  async release(attempt: RingAttempt, now: Date): Promise<void> {
    if (!(await this.d.offers.release(attempt))) return;
    try {
      await this.d.promoteWaiting(now, attempt.agentId);
    } catch (err) {
      // Other callers' turn must not fail this call's request: the line's sweep offers the agent again.
      this.d.logger.error('offering a freed agent to the waiting line failed', { attemptId: attempt.id, err });
    }
  }

  /** An offered agent who will not be rung for this call after all. */
  async letGo(attempt: RingAttempt, outcome: 'callback-requested' | 'withdrawn' | 'caller-gone', now: Date): Promise<void> {
    await this.d.calls.finishAttempt(attempt.id, { outcome, dialCallStatus: 'not-dialled', at: now });
    await this.release(attempt, now);
  }
}
