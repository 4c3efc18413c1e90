import type { Clock } from '../domain/clock';
import type { CoordinationMode, Coordinator } from '../domain/ports';

/**
 * The single-instance twin of RedisCoordinator: claims live in this process's memory (they
 * expire the same way), and the rotation counter is handed in, normally a database row so the
 * rotation survives restarts. Passes the same contract suite as the Redis version.
 */
export class InProcessCoordinator implements Coordinator {
  private readonly claims = new Map<string, { holder: string; expiresAt: number }>();
  /** The waiting line, kept sorted by arrival (then call id, as Redis orders equal scores). */
  private line: { callId: string; arrivedAtMs: number }[] = [];

  constructor(
    /** The rotation counter of a key (none: the shared one). */
    private readonly counter: (key?: string) => Promise<number>,
    private readonly clock: Clock,
  ) {}

  private live(agentId: string) {
    const claim = this.claims.get(agentId);
    if (claim && claim.expiresAt <= this.clock.now().getTime()) {
      this.claims.delete(agentId);
      return undefined;
    }
    return claim;
  }

  nextRotation(key?: string): Promise<number> {
    return this.counter(key);
  }

  // No await between the check and the set: within one process this is atomic.
  async claimFirstFree(agentIds: readonly string[], holder: string, ttlMs: number): Promise<string | null> {
    for (const id of agentIds) {
      const claim = this.live(id);
      if (!claim || claim.holder === holder) {
        // The holder's own claim is renewed, never shortened (it may have been extended for a talk).
        const expiresAt = Math.max(this.clock.now().getTime() + ttlMs, claim?.expiresAt ?? 0);
        this.claims.set(id, { holder, expiresAt });
        return id;
      }
    }
    return null;
  }

  async extendClaim(agentId: string, holder: string, ttlMs: number): Promise<boolean> {
    const claim = this.live(agentId);
    if (!claim || claim.holder !== holder) return false;
    claim.expiresAt = this.clock.now().getTime() + ttlMs;
    return true;
  }

  async releaseClaim(agentId: string, holder: string): Promise<boolean> {
    const claim = this.live(agentId);
    if (!claim || claim.holder !== holder) return false;
    this.claims.delete(agentId);
    return true;
  }

  async holderOf(agentId: string): Promise<string | null> {
    return this.live(agentId)?.holder ?? null;
  }

  async anyUnclaimed(agentIds: readonly string[]): Promise<boolean> {
    return agentIds.some((id) => !this.live(id));
  }

  async enterLine(callId: string, arrivedAtMs: number): Promise<number> {
    if (!this.line.some((m) => m.callId === callId)) {
      this.line.push({ callId, arrivedAtMs });
      this.line.sort((a, b) => a.arrivedAtMs - b.arrivedAtMs || (a.callId < b.callId ? -1 : 1));
    }
    return this.line.findIndex((m) => m.callId === callId);
  }

  async leaveLine(callId: string): Promise<boolean> {
    const before = this.line.length;
    this.line = this.line.filter((m) => m.callId !== callId);
    return this.line.length < before;
  }

  async lineMembers(limit: number): Promise<string[]> {
    return this.line.slice(0, limit).map((m) => m.callId);
  }

  async linePosition(callId: string): Promise<number | null> {
    const i = this.line.findIndex((m) => m.callId === callId);
    return i < 0 ? null : i;
  }

  async ping(): Promise<void> {}

  mode(): CoordinationMode {
    return 'in-process';
  }

  async close(): Promise<void> {
    this.claims.clear();
    this.line = [];
  }
}
