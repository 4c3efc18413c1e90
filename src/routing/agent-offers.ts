import type { AgentStore, Call, CallStore, Coordinator, RingAttempt } from '../domain/ports';
import { huntOrder } from '../domain/rotation';

/** Seconds of slack on a claim beyond the ring and the screen, so a slow callback never frees a ringing agent. */
const CLAIM_SLACK_SECONDS = 30;

/** The hunt-holder of an attempt: one per (call, attempt number), so a repeated request claims as the same holder. */
const holderOf = (a: Pick<RingAttempt, 'callId' | 'seq'>) => `${a.callId}:${a.seq}`;

/** Attempts that count as "this agent was tried for this call": a withdrawn offer never rang. */
const triedAgents = (attempts: RingAttempt[]) => new Set(attempts.filter((a) => a.outcome !== 'withdrawn').map((a) => a.agentId));

/**
 * Which agent a call is offered next, and the claims that keep an agent on one call at a time:
 * an agent is claimed (in the coordinator, shared by every instance) from the offer until their
 * leg is over, and for as long as they talk.
 */
export class AgentOffers {
  constructor(
    private readonly d: {
      agents: AgentStore;
      calls: CallStore;
      coordinator: Coordinator;
      ringClaimSeconds: number;
      talkClaimSeconds: number;
    },
  ) {}

  /** The routable agents this call has not tried yet, in its hunt order. */
  async untried(attempts: RingAttempt[], call?: Call) {
    return huntOrder(await this.d.agents.listRoutable(), call?.rotationOffset ?? 0, triedAgents(attempts));
  }

  /** Claims the next free agent in this call's hunt order and records the attempt. */
  async offerNext(call: Call, attempts: RingAttempt[], now: Date): Promise<RingAttempt | null> {
    const order = await this.untried(attempts, call);
    const seq = attempts.length;
    const holder = holderOf({ callId: call.id, seq });
    const agentId = await this.d.coordinator.claimFirstFree(
      order.map((a) => a.id),
      holder,
      (this.d.ringClaimSeconds + CLAIM_SLACK_SECONDS) * 1000,
    );
    const agent = order.find((a) => a.id === agentId);
    if (!agent) return null;
    const added = await this.d.calls.addAttempt({ callId: call.id, seq, agentId: agent.id, endpoint: agent.phone, offeredAt: now });
    // The call ended meanwhile (the caller hung up), or a concurrent repeat of this request
    // recorded attempt `seq` first: give back what we claimed.
    if (!added || (!added.created && added.attempt.agentId !== agent.id)) await this.d.coordinator.releaseClaim(agent.id, holder);
    return added?.attempt ?? null;
  }

  /** The agent accepted: they stay claimed while they talk; the claim still expires if the end is never reported. */
  async holdForTalk(attempt: RingAttempt): Promise<void> {
    await this.d.coordinator.extendClaim(attempt.agentId, holderOf(attempt), (this.d.talkClaimSeconds + CLAIM_SLACK_SECONDS) * 1000);
  }

  /** Frees the agent of this attempt; true when this call did release a claim (the agent may now be free). */
  release(attempt: RingAttempt): Promise<boolean> {
    return this.d.coordinator.releaseClaim(attempt.agentId, holderOf(attempt));
  }
}
