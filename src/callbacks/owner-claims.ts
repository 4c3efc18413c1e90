import type { Coordinator } from '../domain/ports';
import type { Logger } from '../logger';

/** Seconds of slack on a claim, as on a hotline claim: a slow status callback never frees a busy owner. */
const CLAIM_SLACK_SECONDS = 30;

/** Claims taken by callback calls carry this prefix; every other holder is a hotline call (see AgentOffers). */
const HOLDER_PREFIX = 'callback:';

export type ClaimRefusal = 'on-hotline-call' | 'on-callback-call';

/**
 * One agent, one call, callbacks included: a callback call claims its owner in the coordinator the
 * hotline's hunt uses, so the owner is not rung for a hotline call while their phone rings or
 * talks for a callback, and a callback is not placed to an owner ringing or talking for the
 * hotline. The claim lasts the whole callback call, is released when the owner's leg ends, and
 * expires on its own if that end is never reported.
 */
export class OwnerClaims {
  constructor(
    private readonly d: {
      coordinator: Coordinator;
      logger: Logger;
      /** An agent may have become free: offer them to callers in the waiting line. */
      released(agentId: string): Promise<unknown>;
    },
  ) {}

  /** Claims the owner for a callback attempt about to be placed; says why not when they are busy. */
  async claim(agentId: string, attemptId: string, seconds: number): Promise<ClaimRefusal | null> {
    if ((await this.d.coordinator.claimFirstFree([agentId], holderOf(attemptId), ttl(seconds))) === agentId) return null;
    const holder = await this.d.coordinator.holderOf(agentId);
    return holder?.startsWith(HOLDER_PREFIX) ? 'on-callback-call' : 'on-hotline-call';
  }

  /**
   * Keeps the claim for the next stretch of the call (the whisper, then the customer's ring and the
   * talk). Only extends: a claim already released (the owner's leg ended first) is not taken again.
   */
  async hold(agentId: string, attemptId: string, seconds: number): Promise<void> {
    if (await this.d.coordinator.extendClaim(agentId, holderOf(attemptId), ttl(seconds))) return;
    this.d.logger.warn('callback owner no longer claimed: the hotline may ring them meanwhile', { agentId, attemptId });
  }

  async release(agentId: string, attemptId: string): Promise<void> {
    if (!(await this.d.coordinator.releaseClaim(agentId, holderOf(attemptId)))) return;
    try {
      await this.d.released(agentId);
    } catch (err) {
      // The waiting line's sweep offers the agent soon anyway.
      this.d.logger.warn('could not offer a freed callback owner to the waiting line', { agentId, err });
    }
  }
}

const holderOf = (attemptId: string) => `${HOLDER_PREFIX}${attemptId}`;
const ttl = (seconds: number) => (seconds + CLAIM_SLACK_SECONDS) * 1000;
