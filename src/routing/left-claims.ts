import type { AgentStore, CallStore, Coordinator } from '../domain/ports';
import type { Logger } from '../logger';

/** A hotline claim's holder: the call's id (a UUID) and the offer's number (see claimHolder). */
const HOTLINE_HOLDER = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):\d+$/i;

/**
 * Claims held in the name of a call that has ended on record. None is legitimate: an ended call
 * rings nobody and talks to nobody, and every way out of a call lets go of what it held. One is
 * left behind only when something went wrong on the way out (a deadlock after the end was
 * written, a copy back into a returning Redis that raced a release, a stale request that claimed
 * again), and then nothing on record would ever release it: the agent would sit idle, taken, for
 * as long as the claim lasts (hours for a talk's). The call settler gives such claims back (each
 * only if that holder still has it), and the waiting line's sweep offers the agent again.
 */
export class LeftClaims {
  constructor(
    private readonly d: {
      agents: Pick<AgentStore, 'list'>;
      calls: Pick<CallStore, 'callsByIds'>;
      coordinator: Pick<Coordinator, 'holderOf' | 'releaseClaim'>;
      logger: Logger;
    },
  ) {}

  /** Gives back the claims of ended calls; returns how many. */
  async release(): Promise<number> {
    const agents = await this.d.agents.list();
    const held: { agentId: string; holder: string; callId: string }[] = [];
    for (const a of agents) {
      const holder = await this.d.coordinator.holderOf(a.id);
      const callId = holder === null ? undefined : HOTLINE_HOLDER.exec(holder)?.[1];
      if (holder !== null && callId) held.push({ agentId: a.id, holder, callId });
    }
    if (held.length === 0) return 0;
    const calls = await this.d.calls.callsByIds([...new Set(held.map((h) => h.callId))]);
    let released = 0;
    for (const h of held) {
      const call = calls.get(h.callId);
      if (call?.state !== 'ended' || !(await this.d.coordinator.releaseClaim(h.agentId, h.holder))) continue;
      released++;
      this.d.logger.warn('gave back an agent claimed in the name of a call that had ended', { agentId: h.agentId, callSid: call.callSid, holder: h.holder });
    }
    return released;
  }
}
