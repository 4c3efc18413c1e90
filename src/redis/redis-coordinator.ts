import { readFileSync } from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import type { CoordinationMode, Coordinator } from '../domain/ports';

const lua = (name: string) => readFileSync(path.join(__dirname, 'lua', name), 'utf8');

interface ClaimCommands {
  claimFirstFree(numKeys: number, ...args: (string | number)[]): Promise<number>;
  releaseClaim(key: string, holder: string): Promise<number>;
  extendClaim(key: string, holder: string, ttlMs: number): Promise<number>;
  takeOverClaim(key: string, from: string, to: string, ttlMs: number): Promise<number>;
  arrive(line: string, rotation: string): Promise<[number, number]>;
  enterLineAndLook(numKeys: number, ...args: (string | number)[]): Promise<[number, number]>;
}

/** Coordination in Redis, shared by every server instance (scripts in ./lua, registered once). */
export class RedisCoordinator implements Coordinator {
  private readonly redis: Redis & ClaimCommands;
  private errors = 0;

  /**
   * With `commandTimeoutMs` (the failover coordinator) a command fails fast instead of waiting:
   * no offline queue while disconnected, one retry, and a time limit on each command.
   */
  constructor(
    url: string,
    private readonly prefix: string,
    o: { commandTimeoutMs?: number } = {},
  ) {
    const failFast = o.commandTimeoutMs !== undefined;
    const redis = new Redis(url, {
      maxRetriesPerRequest: failFast ? 1 : 2,
      enableOfflineQueue: !failFast,
      lazyConnect: false,
      // Commands issued while a batch is on its way go out together as the next one: under load,
      // the requests in flight share round trips (each request's commands keep their order).
      enableAutoPipelining: true,
      ...(failFast ? { commandTimeout: o.commandTimeoutMs, connectTimeout: Math.max(1_000, o.commandTimeoutMs! * 4) } : {}),
    });
    // Reconnects by itself; readiness reports the outage and /metrics counts the errors.
    redis.on('error', () => {
      this.errors++;
    });
    redis.defineCommand('claimFirstFree', { lua: lua('claim-first-free.lua') });
    redis.defineCommand('releaseClaim', { numberOfKeys: 1, lua: lua('release-claim-1.lua') });
    redis.defineCommand('extendClaim', { numberOfKeys: 1, lua: lua('extend-claim-1.lua') });
    redis.defineCommand('takeOverClaim', { numberOfKeys: 1, lua: lua('take-over-claim-1.lua') });
    redis.defineCommand('arrive', { numberOfKeys: 2, lua: lua('arrive-2.lua') });
    redis.defineCommand('enterLineAndLook', { lua: lua('enter-line-and-look.lua') });
    this.redis = redis as Redis & ClaimCommands;
  }

  errorCount(): number {
    return this.errors;
  }

  mode(): CoordinationMode {
    return 'redis';
  }

  private claimKey(agentId: string): string {
    return `${this.prefix}claim:${agentId}`;
  }

  private rotationKey(key?: string): string {
    return key ? `${this.prefix}rotation:${key}` : `${this.prefix}rotation`;
  }

  async nextRotation(key?: string): Promise<number> {
    return (await this.redis.incr(this.rotationKey(key))) - 1;
  }

  async arrive(key: string): Promise<{ rotation: number; lineEmpty: boolean }> {
    const [rotation, waiting] = await this.redis.arrive(this.lineKey, this.rotationKey(key));
    return { rotation: Number(rotation), lineEmpty: Number(waiting) === 0 };
  }

  async claimFirstFree(agentIds: readonly string[], holder: string, ttlMs: number): Promise<string | null> {
    if (agentIds.length === 0) return null;
    const keys = agentIds.map((id) => this.claimKey(id));
    const index = Number(await this.redis.claimFirstFree(keys.length, ...keys, holder, Math.ceil(ttlMs)));
    return index > 0 ? (agentIds[index - 1] ?? null) : null;
  }

  async extendClaim(agentId: string, holder: string, ttlMs: number): Promise<boolean> {
    return Number(await this.redis.extendClaim(this.claimKey(agentId), holder, Math.ceil(ttlMs))) === 1;
  }

  async releaseClaim(agentId: string, holder: string): Promise<boolean> {
    return Number(await this.redis.releaseClaim(this.claimKey(agentId), holder)) === 1;
  }

  async holderOf(agentId: string): Promise<string | null> {
    return this.redis.get(this.claimKey(agentId));
  }

  async anyUnclaimed(agentIds: readonly string[]): Promise<boolean> {
    const keys = [...new Set(agentIds)].map((id) => this.claimKey(id));
    if (keys.length === 0) return false;
    return (await this.redis.exists(...keys)) < keys.length;
  }

  private get lineKey(): string {
    return `${this.prefix}line`;
  }

  /** The place is kept by NX, then read: enter-line-and-look.lua, looking at no agent. */
  async enterLine(callId: string, arrivedAtMs: number): Promise<number> {
    return (await this.enterLineAndLook(callId, arrivedAtMs, [])).ahead;
  }

  async enterLineAndLook(callId: string, arrivedAtMs: number, agentIds: readonly string[]): Promise<{ ahead: number; anyUnclaimed: boolean }> {
    const claims = [...new Set(agentIds)].map((id) => this.claimKey(id));
    const [ahead, unclaimed] = await this.redis.enterLineAndLook(1 + claims.length, this.lineKey, ...claims, arrivedAtMs, callId);
    return { ahead: Number(ahead), anyUnclaimed: Number(unclaimed) === 1 };
  }

  async leaveLine(callId: string): Promise<boolean> {
    return (await this.redis.zrem(this.lineKey, callId)) === 1;
  }

  async lineMembers(limit: number): Promise<string[]> {
    return this.redis.zrange(this.lineKey, '0', String(limit - 1));
  }

  async linePosition(callId: string): Promise<number | null> {
    return this.redis.zrank(this.lineKey, callId);
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  /** Resolves once connected, or rejects after `ms` (the server starts in fallback then). */
  connected(ms: number): Promise<void> {
    if (this.redis.status === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.redis.off('ready', onReady);
        reject(new Error(`Redis not ready within ${ms} ms (${this.redis.status})`));
      }, ms);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.redis.once('ready', onReady);
    });
  }

  /**
   * Puts back a claim taken in PostgreSQL while Redis was down, for its remaining time. A claim on
   * that agent held by someone else stays (false): Redis granted it since, and it is the newer.
   */
  async restoreClaim(agentId: string, holder: string, ttlMs: number): Promise<boolean> {
    const key = this.claimKey(agentId);
    if (await this.redis.set(key, holder, 'PX', Math.ceil(ttlMs), 'NX')) return true;
    return this.extendClaim(agentId, holder, ttlMs);
  }

  /** Gives the agent's claim to `to` for `ttlMs` if `from` still holds it (FailoverCoordinator's copy back). */
  async takeOverClaim(agentId: string, from: string, to: string, ttlMs: number): Promise<boolean> {
    return Number(await this.redis.takeOverClaim(this.claimKey(agentId), from, to, Math.ceil(ttlMs))) === 1;
  }

  /** Raises a rotation counter so that its next value is at least `next` (never lowers it). */
  async raiseRotation(key: string | undefined, next: number): Promise<void> {
    const k = this.rotationKey(key);
    const current = Number((await this.redis.get(k)) ?? 0);
    // INCRBY, not SET: an instance incrementing meanwhile is never set back.
    if (current < next) await this.redis.incrby(k, next - current);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
