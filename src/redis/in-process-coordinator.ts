import type { Clock } from '../domain/clock';
import { linePlaceOrder } from '../domain/coordination';
import type { CoordinationMode, Coordinator, LinePlace } from '../domain/ports';

/**
 * The single-instance twin of RedisCoordinator: claims live in this process's memory (they
 * expire the same way), and the rotation counter is handed in, normally a database row so the
 * rotation survives restarts. Passes the same contract suite as the Redis version.
 */
export class InProcessCoordinator implements Coordinator {
  private readonly claims = new Map<string, { holder: string; expiresAt: number }>();
  /** The waiting lines by name, each kept sorted by arrival (then call id, as Redis orders equal scores). */
  private lines = new Map<string, LinePlace[]>();
  /** Which line each waiting call is in. */
  private lineOf = new Map<string, string>();

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

  async enterLine(line: string, callId: string, arrivedAtMs: number): Promise<number> {
    if (!this.lineOf.has(callId)) {
      const members = this.lines.get(line) ?? [];
      members.push({ callId, arrivedAtMs });
      members.sort(linePlaceOrder);
      this.lines.set(line, members);
      this.lineOf.set(callId, line);
    }
    return (await this.linePosition(callId))!;
  }

  async leaveLine(callId: string): Promise<boolean> {
    const line = this.lineOf.get(callId);
    if (line === undefined) return false;
    this.lineOf.delete(callId);
    const members = this.lines.get(line)!.filter((m) => m.callId !== callId);
    if (members.length > 0) this.lines.set(line, members);
    else this.lines.delete(line);
    return true;
  }

  async waitingLines(): Promise<string[]> {
    return [...this.lines.keys()];
  }

  async lineMembers(line: string, limit: number, after?: LinePlace): Promise<LinePlace[]> {
    const members = this.lines.get(line) ?? [];
    const from = after ? members.findIndex((m) => linePlaceOrder(m, after) > 0) : 0;
    return from < 0 ? [] : members.slice(from, from + limit).map((m) => ({ ...m }));
  }

  async linePosition(callId: string): Promise<number | null> {
    const line = this.lineOf.get(callId);
    if (line === undefined) return null;
    return this.lines.get(line)!.findIndex((m) => m.callId === callId);
  }

  async ping(): Promise<void> {}

  mode(): CoordinationMode {
    return 'in-process';
  }

  async close(): Promise<void> {
    this.claims.clear();
    this.lines.clear();
    this.lineOf.clear();
  }
}
