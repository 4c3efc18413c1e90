import type { AttemptOutcome } from '../domain/call-states';
import type { Agent, Call, Candidates, RingAttempt, RosterPort, SkippedAgent } from '../domain/ports';

/**
 * The roster as this instance last read it, per hotline number, kept in memory so that a caller
 * who arrives while the database is down can still be rung (src/spool/degraded-calls.ts). Every
 * successful read for a call refreshes it; the roster itself stays the only source of truth.
 */
export class LastKnownRoster implements RosterPort {
  private readonly byNumber = new Map<string, Agent[]>();
  private latest: Agent[] = [];

  constructor(private readonly roster: RosterPort) {}

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
    await this.candidates({ id: '', to: hotlineNumber }, at);
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
