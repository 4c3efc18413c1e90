import { arriveOneByOne, enterLineThenLook } from '../domain/coordination';
import type { Call, CallStore, Coordinator, LinePlace } from '../domain/ports';

/**
 * The lines of callers waiting for a free agent, one per hotline number (the number's group of
 * agents: RosterPort.candidates), named after the number. Their order lives in the coordinator
 * (Redis or in-process), so every instance sees the same lines, longest-waiting first; the time
 * each caller spends in one is written on their call record, apart from the ringing.
 *
 * A call is in the line while it is hunting with no agent to ring: every agent it has not yet
 * tried is busy with another call. It leaves when an agent is offered to it, when its wait runs
 * out, when the caller asks for a callback, or when the call ends.
 */
export class WaitingLine {
  constructor(
    private readonly coordinator: Coordinator,
    private readonly calls: CallStore,
  ) {}

  /**
   * A call arrives at `hotline`: its rotation offset, and whether anyone is waiting in that
   * number's line already (it then joins behind them). One round trip where the coordinator can ask both at once.
   */
  arrive(hotline: string): Promise<{ rotation: number; lineEmpty: boolean }> {
    return this.coordinator.arrive ? this.coordinator.arrive(hotline) : arriveOneByOne(this.coordinator, hotline);
  }

  /** Puts the caller in their number's line (keeping their place if already in it); returns how many are ahead in it. */
  async join(call: Call, now: Date): Promise<number> {
    return (await this.joinAndLook(call, now, [])).ahead;
  }

  /**
   * join, and then a look at whether one of `agentIds` may be free (see Coordinator.anyUnclaimed):
   * an agent released just before the caller joined saw nobody waiting. The look is answered
   * after the join, in one round trip where the coordinator can ask both at once.
   */
  async joinAndLook(call: Call, now: Date, agentIds: readonly string[]): Promise<{ ahead: number; mayBeFree: boolean }> {
    const arrivedAtMs = call.startedAt.getTime();
    const { ahead, anyUnclaimed } = this.coordinator.enterLineAndLook
      ? await this.coordinator.enterLineAndLook(call.to, call.id, arrivedAtMs, agentIds)
      : await enterLineThenLook(this.coordinator, call.to, call.id, arrivedAtMs, agentIds);
    // A call that arrived behind waiting callers was recorded waiting (HotlineService.incoming).
    if (!call.waitingSince) await this.calls.markWaiting(call.id, now);
    return { ahead, mayBeFree: anyUnclaimed };
  }

  /** Takes the caller out; true for the one request (on any instance) that did. */
  async leave(callId: string, now: Date): Promise<boolean> {
    const took = await this.coordinator.leaveLine(callId);
    if (took) await this.calls.stopWaiting(callId, now);
    return took;
  }

  async ahead(callId: string): Promise<number> {
    return (await this.coordinator.linePosition(callId)) ?? 0;
  }

  /** The lines with callers in them (hotline numbers). */
  lines(): Promise<string[]> {
    return this.coordinator.waitingLines();
  }

  /** A page of one line, longest-waiting first, from just after `after`. */
  members(line: string, limit: number, after?: LinePlace): Promise<LinePlace[]> {
    return this.coordinator.lineMembers(line, limit, after);
  }
}
