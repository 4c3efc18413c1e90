import { readFileSync } from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import type { Coordinator } from '../domain/ports';

const lua = (name: string) => readFileSync(path.join(__dirname, 'lua', name), 'utf8');

interface ClaimCommands {
  claimFirstFree(numKeys: number, ...args: (string | number)[]): Promise<number>;
  releaseClaim(key: string, holder: string): Promise<number>;
  extendClaim(key: string, holder: string, ttlMs: number): Promise<number>;
}

/** Coordination in Redis, shared by every server instance (scripts in ./lua, registered once). */
export class RedisCoordinator implements Coordinator {
  private readonly redis: Redis & ClaimCommands;
  private errors = 0;

  constructor(
    url: string,
    private readonly prefix: string,
  ) {
    const redis = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
    // Reconnects by itself; readiness reports the outage and /metrics counts the errors.
    redis.on('error', () => {
      this.errors++;
    });
    redis.defineCommand('claimFirstFree', { lua: lua('claim-first-free.lua') });
    redis.defineCommand('releaseClaim', { numberOfKeys: 1, lua: lua('release-claim-1.lua') });
    redis.defineCommand('extendClaim', { numberOfKeys: 1, lua: lua('extend-claim-1.lua') });
    this.redis = redis as Redis & ClaimCommands;
  }

  errorCount(): number {
    return this.errors;
  }

  private claimKey(agentId: string): string {
    return `${this.prefix}claim:${agentId}`;
  }

  async nextRotation(key?: string): Promise<number> {
    return (await this.redis.incr(key ? `${this.prefix}rotation:${key}` : `${this.prefix}rotation`)) - 1;
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

  private get lineKey(): string {
    return `${this.prefix}line`;
  }

  async enterLine(callId: string, arrivedAtMs: number): Promise<void> {
    await this.redis.zadd(this.lineKey, 'NX', arrivedAtMs, callId);
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

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
