import type { Call, CallStore } from '../domain/ports';
import type { AgentOffers } from './agent-offers';
import type { CallClosing } from './call-closing';
import type { WaitingLine } from './waiting-line';

export interface StalledCallsDeps {
  calls: CallStore;
  offers: AgentOffers;
  line: WaitingLine;
  closing: CallClosing;
}

/**
 * The recovery paths of the call settler (src/routing/call-settler.ts): calls whose next request
 * from Twilio, or whose move by REST, was lost are closed or moved on from what is on record,
 * with the same primitives as the call flow (CallClosing).
 */
export class StalledCalls {
  constructor(private readonly d: StalledCallsDeps) {}

  /**
   * Settles a connected call whose <Dial> action never came (see CallSettler): ends it with what
   * the record shows, releases its agent and tells the listeners, like any other end. Returns null
   * when the call was no longer connected (the action arrived after all).
   */
  async settleConnected(callId: string, e: { at: Date; endedBy: 'agent' | 'caller'; neverBridged: boolean }): Promise<Call | null> {
    const call = await this.d.calls.getCall(callId);
    if (!call || call.state !== 'connected') return null;
    for (const a of (await this.d.calls.attemptsOf(call.id)).filter((x) => !x.finishedAt)) {
      await this.d.calls.finishAttempt(a.id, { outcome: a.acceptedAt && !e.neverBridged ? 'accepted' : 'not-bridged', dialCallStatus: 'settled-without-action', at: e.at });
      await this.d.closing.release(a, e.at);
    }
    return this.d.closing.end(call, { outcome: 'abandoned', at: e.at, endedBy: e.endedBy, neverBridged: e.neverBridged });
  }

  /**
   * A caller still hunting long past MAX_CALLER_WAIT_SECONDS (see CallSettler): the request that
   * was to move them on was lost with its instance. Offers that never reached the agent are
   * withdrawn, a leg whose Dial action never came is closed (its ring is long over), and the caller
   * goes back in the line, whose sweep on any instance ends the wait: a REST move to the hold
   * document, which ends it missed, or abandoned when Twilio no longer knows the call.
   */
  async requeueOverdue(callId: string, now: Date): Promise<boolean> {
    const call = await this.d.calls.getCall(callId);
    if (!call || call.state !== 'hunting') return false;
    const open = (await this.d.calls.attemptsOf(call.id)).filter((a) => !a.finishedAt);
    // An agent who pressed 1 on a leg Twilio may still bridge: that is the Dial action's to settle.
    if (open.some((a) => a.acceptedAt)) return false;
    for (const a of open) {
      if (this.d.offers.moveLost(a, now)) await this.d.closing.letGo(a, 'withdrawn', now);
      else {
        await this.d.calls.finishAttempt(a.id, { outcome: 'no-answer', dialCallStatus: 'settled-without-action', at: now });
        await this.d.closing.release(a, now);
      }
    }
    await this.d.line.join(call, now);
    return true;
  }
}
