import { claimHolder, neverDialled, type AttemptOutcome } from '../domain/call-states';
import type { Clock } from '../domain/clock';
import type { Agent, AgentStore, Call, CallStore, Candidates, Coordinator, RingAttempt, RosterPort } from '../domain/ports';
import type { Logger } from '../logger';
import { readCandidates, type FactsCache } from '../postgres/facts-cache';
import { huntOrder } from '../domain/rotation';

/** Seconds of slack on a claim beyond the ring and the screen, so a slow callback never frees a ringing agent. */
const CLAIM_SLACK_SECONDS = 30;

/**
 * How many agents of a hunt order one claim looks at first; each further claim looks at four
 * times as many. With agents mostly free the first claim finds one among a few, whatever the
 * size of the roster; the order is still taken first-free-first, only in slices.
 */
const FIRST_CLAIM_SLICE = 16;
/**
 * The first slice never asks about more agents than this at once: a whole group (at most 500
 * agents), so a claim that has had to walk far of late takes one round trip, not two. Free agents
 * are often side by side in the order (a team on the same shift), and then the walk from a
 * rotating start is anywhere up to the whole group (scripts/bench-scale.ts: half the claims took
 * a second round trip with a cap of 256).
 */
const MAX_FIRST_SLICE = 512;
/** The weight of the latest claim's walk in the moving average the first slice is sized from. */
const WALK_WEIGHT = 0.25;

/** Told of an offer as it is recorded: returns at once (its work, if any, runs on its own). */
export type OfferWatcher = (call: Call, attempt: RingAttempt) => void;

/** Attempts that count as "this agent was tried for this call": a withdrawn offer never rang. */
const triedAgents = (attempts: RingAttempt[]) => new Set(attempts.filter((a) => a.outcome !== 'withdrawn').map((a) => a.agentId));

/**
 * Which agent a call is offered next, and the claims that keep an agent on one call at a time:
 * an agent is claimed (in the coordinator, shared by every instance) from the offer until their
 * leg is over, and for as long as they talk.
 */
export class AgentOffers {
  /** How many busy agents the claims for each hotline number walked past of late, a moving average (see claimFirstFree). */
  private readonly walked = new Map<string, number>();

  constructor(
    private readonly d: {
      agents: AgentStore;
      calls: CallStore;
      coordinator: Coordinator;
      ringClaimSeconds: number;
      talkClaimSeconds: number;
      clock: Clock;
      logger: Logger;
      roster?: RosterPort;
      facts?: FactsCache;
      /** Told of each offer recorded by this instance, without waiting (the ring card). */
      offered?: OfferWatcher;
    },
  ) {}

  /**
   * Who the roster puts up for this call now (on duty, in its hotline's group), and who it passes
   * over: the same for every call to one number, so kept in memory (see FactsCache) until a
   * change is written or announced, or the roster's next shift or leave boundary.
   */
  private candidates(call: Pick<Call, 'id' | 'to'>, now: Date): Promise<Candidates> {
    const roster = this.d.roster;
    const load = roster ? () => roster.candidates(call, now) : async (): Promise<Candidates> => ({ agents: await this.d.agents.listRoutable(), skipped: [] });
    return this.d.facts ? readCandidates(this.d.facts, call.to, now, load) : load();
  }

  /** How long an offer holds its agent: the ring, the whisper, and some slack. */
  private get ringClaimMs(): number {
    return (this.d.ringClaimSeconds + CLAIM_SLACK_SECONDS) * 1000;
  }

  /**
   * The first free agent of the order, claimed for holder, asking the coordinator slice by slice.
   * The first slice reaches three times as far as the claims for this number have had to walk of
   * late (busy agents ahead of the free one, a moving average): with the free agents spread at
   * random over the order, one claim in twenty needs a second round trip, whatever share of the
   * group is talking. The order is the same whatever the slices.
   */
  private async claimFirstFree(order: readonly string[], holder: string, ttlMs: number, key: string): Promise<string | null> {
    let from = 0;
    const walked = this.walked.get(key);
    const noteWalk = (n: number) => this.walked.set(key, walked === undefined ? n : walked + (n - walked) * WALK_WEIGHT);
    for (let size = Math.min(Math.max(FIRST_CLAIM_SLICE, Math.ceil(3 * (walked ?? 0))), MAX_FIRST_SLICE); from < order.length; size *= 4) {
      const slice = order.slice(from, from + size);
      const claimed = await this.d.coordinator.claimFirstFree(slice, holder, ttlMs);
      if (claimed !== null) {
        noteWalk(from + slice.indexOf(claimed));
        return claimed;
      }
      from += size;
    }
    noteWalk(order.length);
    return null;
  }

  /** The agents calls to this call's number may ring now (its hotline's group, on duty), in roster order. */
  async group(call: Pick<Call, 'id' | 'to'>, now: Date = this.d.clock.now()): Promise<Agent[]> {
    return (await this.candidates(call, now)).agents;
  }

  /** The agents this call may ring now and has not tried yet, in its hunt order. */
  async untried(attempts: RingAttempt[], call: Call, now: Date = this.d.clock.now()): Promise<Agent[]> {
    const { agents } = await this.candidates(call, now);
    return huntOrder(agents, call.rotationOffset, triedAgents(attempts));
  }

  /**
   * Claims the next free agent in this call's hunt order and records the attempt, and why others
   * were passed over. `busy` gathers the agents found taken (the claimed one too), for a pass
   * over the waiting line that need not ask again about them.
   */
  async offerNext(call: Call, attempts: RingAttempt[], now: Date, busy?: Set<string>): Promise<RingAttempt | null> {
    const { agents, skipped } = await this.candidates(call, now);
    const order = huntOrder(agents, call.rotationOffset, triedAgents(attempts));
    const seq = attempts.length;
    const holder = claimHolder({ callId: call.id, seq });
    const agentId = await this.claimFirstFree(
      order.map((a) => a.id),
      holder,
      this.ringClaimMs,
      call.to,
    );
    // Everyone ahead of the claimed agent in the hunt was ringing or talking for another call.
    const busyUntil = agentId === null ? order.length : order.findIndex((a) => a.id === agentId);
    if (busy) for (const a of order.slice(0, busyUntil + 1)) busy.add(a.id);
    const passedOver = [...skipped, ...order.slice(0, busyUntil).map((a) => ({ agentId: a.id, reason: 'busy' as const }))];
    const agent = order.find((a) => a.id === agentId);
    let added: Awaited<ReturnType<CallStore['addAttempt']>>;
    // Why the others were passed over is written beside the offer, and the caller's answer does not
    // wait for it: a hunt past hundreds of busy agents writes a note of that size, which took longer
    // than the offer itself (scripts/bench-scale.ts). A note that fails costs the call nothing; a
    // read of the notes waits for those under way (skipNotesWritten).
    if (passedOver.length > 0 && this.d.roster) {
      void this.d.roster.noteSkipped(call.id, passedOver, now).catch((err: unknown) => this.d.logger.warn('could not note why agents were passed over', { callId: call.id, err }));
    }
    if (!agent) return null;
    try {
      added = await this.d.calls.addAttempt({ callId: call.id, seq, agentId: agent.id, endpoint: agent.phone, offeredAt: now });
    } catch (err) {
      // The offer is not on record (or its answer was lost): this request will not dial the agent.
      await this.d.coordinator.releaseClaim(agent.id, holder).catch(() => false);
      throw err;
    }
    if (added?.created) {
      this.d.offered?.(call, added.attempt);
      return added.attempt;
    }
    // Not ours: the call is no longer hunting (its caller hung up, or an agent took it), or a
    // concurrent request recorded attempt `seq` first. The holder is that attempt's too, so what
    // we claimed is its agent's claim when it is the same agent, still ringing or talking: a stale
    // view (a waiting-line pass that read the call before that attempt) claims it again, and
    // giving it back would free an agent in the middle of a call. Anything else is given back.
    const existing = added?.attempt ?? (await this.d.calls.attemptsOf(call.id)).find((a) => a.seq === seq);
    if (!(existing && existing.agentId === agent.id && !existing.finishedAt)) await this.d.coordinator.releaseClaim(agent.id, holder);
    return added?.attempt ?? null;
  }

  /**
   * An offer whose agent was never dialled although a whole ring of it would be over by now: the
   * REST move that was to take its caller to the agent never came (the instance that made the
   * offer died in between), so no leg, Dial action or status will ever end it.
   */
  moveLost(attempt: RingAttempt, now: Date): boolean {
    return neverDialled(attempt) && now.getTime() - attempt.offeredAt.getTime() >= this.d.ringClaimSeconds * 1000;
  }

  /**
   * An offer that will not be dialled: its move never came (moveLost), or, never dialled, it no
   * longer holds its agent's claim. An offer holds its claim from the claim until its leg ends; one
   * without it was given back by a request whose write of the offer failed with its answer lost
   * (the database flaky: the row written, the request told it failed), or it ran out. Such an
   * offer kept its caller "being moved" while the agent sat free, until the ring's time was up.
   */
  async lost(attempt: RingAttempt, now: Date): Promise<boolean> {
    if (!neverDialled(attempt)) return false;
    if (this.moveLost(attempt, now)) return true;
    return (await this.d.coordinator.holderOf(attempt.agentId)) !== claimHolder(attempt);
  }

  /** Claims the attempt's agent for it again (kept, renewed, or taken back if freed); false when another call has them. */
  async reclaim(attempt: RingAttempt): Promise<boolean> {
    return (await this.d.coordinator.claimFirstFree([attempt.agentId], claimHolder(attempt), this.ringClaimMs)) !== null;
  }

  /** The agent accepted: they stay claimed while they talk; the claim still expires if the end is never reported. */
  async holdForTalk(attempt: RingAttempt): Promise<void> {
    await this.d.coordinator.extendClaim(attempt.agentId, claimHolder(attempt), (this.d.talkClaimSeconds + CLAIM_SLACK_SECONDS) * 1000);
  }

  /** An offer's <Dial> is over: the roster counts missed offers (auto-pause). Never fails the call flow. */
  async ended(attempt: RingAttempt, outcome: AttemptOutcome, now: Date): Promise<void> {
    try {
      await this.d.roster?.offerEnded(attempt, outcome, now);
    } catch (err) {
      this.d.logger.error('roster could not note the end of an offer', { attemptId: attempt.id, err });
    }
  }

  /** Frees the agent of this attempt; true when this call did release a claim (the agent may now be free). */
  release(attempt: RingAttempt): Promise<boolean> {
    return this.d.coordinator.releaseClaim(attempt.agentId, claimHolder(attempt));
  }
}
