import type { AttemptOutcome } from '../domain/call-states';
import type { Agent, Call, Candidates, RingAttempt, RosterPort, SkippedAgent } from '../domain/ports';
import { readCandidates, type FactsCache } from '../postgres/facts-cache';

/**
 * The roster as this instance last read it, per hotline number, kept in memory so that a caller
 * who arrives while the database is down can still be rung (src/spool/degraded-calls.ts). Every
 * successful read for a call refreshes it; the roster itself stays the only source of truth.
 */
export class LastKnownRoster implements RosterPort {
  private readonly byNumber = new Map<string, Agent[]>();
  private latest: Agent[] = [];

  /**
   * With `facts`, a refresh reads through the cache the call flow reads (src/routing/agent-offers.ts):
   * nothing is read again while no change was written or announced, so the refresh of every
   * number each ROSTER_REFRESH_SECONDS costs nothing on a large roster (a full read of 1,000 agents'
   * shifts per number, on the event loop beside the webhooks, was a 60 ms tail in bench-scale).
   */
  constructor(
    private readonly roster: RosterPort,
    private readonly facts?: FactsCache,
  ) {}

  async candidates(call: Pick<Call, 'id' | 'to'>, at: Date): Promise<Candidates> {
    const found = await this.roster.candidates(call, at);
    this.byNumber.set(call.to, found.agents);
    this.latest = found.agents;
    return found;
  }

  noteSkipped(callId: string, skipped: readonly SkippedAgent[], at: Date): Promise<void> {
    return this.roster.noteSkipped(callId, skipped, at);
  }

  offerEnded(attempt: RingAttempt, outcome: AttemptOutcome, at: Date): Promise<void> {
    return this.roster.offerEnded(attempt, outcome, at);
  }

  /** Reads the roster now for a number (before any call has: at start, and after an outage). */
  async refresh(hotlineNumber: string, at: Date): Promise<void> {
    const load = () => this.candidates({ id: '', to: hotlineNumber }, at);
    await (this.facts ? readCandidates(this.facts, hotlineNumber, at, load) : load());
  }

  /** Who was on duty for this number at the last read; another number's list when this one was never read. */
  agentsFor(hotlineNumber: string): Agent[] {
    return this.byNumber.get(hotlineNumber) ?? this.latest;
  }

  /**
   * Reads the roster again for every number read so far, so a change that no call has read yet
   * (an agent paused, a shift over) is what a caller in an outage finds. The list stays as it was
   * when the database cannot be read.
   */
  async refreshAll(at: Date): Promise<void> {
    const numbers = this.numbers();
    for (const n of numbers.length > 0 ? numbers : ['']) await this.refresh(n, at);
  }

  /** The numbers read so far. */
  numbers(): string[] {
    return [...this.byNumber.keys()];
  }
}
