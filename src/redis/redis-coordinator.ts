import { readFileSync } from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { linePlaceOrder } from '../domain/coordination';
import type { CoordinationMode, Coordinator, LinePlace } from '../domain/ports';

const lua = (name: string) => readFileSync(path.join(__dirname, 'lua', name), 'utf8');

interface ClaimCommands {
  claimFirstFree(numKeys: number, ...args: (string | number)[]): Promise<number>;
  releaseClaim(key: string, holder: string): Promise<number>;
  extendClaim(key: string, holder: string, ttlMs: number): Promise<number>;
  takeOverClaim(key: string, from: string, to: string, ttlMs: number): Promise<number>;
  arrive(line: string, rotation: string): Promise<[number, number]>;
  enterLineAndLook(numKeys: number, ...args: (string | number)[]): Promise<[number, number]>;
  leaveLine(lineOf: string, lines: string, callId: string, linePrefix: string): Promise<number>;
  linePosition(lineOf: string, callId: string, linePrefix: string): Promise<number | null>;
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
    redis.defineCommand('leaveLine', { numberOfKeys: 2, lua: lua('leave-line-2.lua') });
    redis.defineCommand('linePosition', { numberOfKeys: 1, lua: lua('line-position-1.lua') });
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
    const [rotation, waiting] = await this.redis.arrive(this.lineKey(key), this.rotationKey(key));
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

  /** Each line a sorted set of call ids by arrival; beside them, which line each call is in, and the lines in use. */
  private get linePrefix(): string {
    return `${this.prefix}line:`;
  }

  private lineKey(line: string): string {
    return this.linePrefix + line;
  }

  private get lineOfKey(): string {
    return `${this.prefix}line-of`;
  }

  private get linesKey(): string {
    return `${this.prefix}lines`;
  }

  /** The place is kept by NX, then read: enter-line-and-look.lua, looking at no agent. */
  async enterLine(line: string, callId: string, arrivedAtMs: number): Promise<number> {
    return (await this.enterLineAndLook(line, callId, arrivedAtMs, [])).ahead;
  }

  async enterLineAndLook(line: string, callId: string, arrivedAtMs: number, agentIds: readonly string[]): Promise<{ ahead: number; anyUnclaimed: boolean }> {
    const claims = [...new Set(agentIds)].map((id) => this.claimKey(id));
    const keys = [this.lineKey(line), this.lineOfKey, this.linesKey, ...claims];
    const [ahead, unclaimed] = await this.redis.enterLineAndLook(keys.length, ...keys, arrivedAtMs, callId, line, this.linePrefix);
    return { ahead: Number(ahead), anyUnclaimed: Number(unclaimed) === 1 };
  }

  async leaveLine(callId: string): Promise<boolean> {
    return Number(await this.redis.leaveLine(this.lineOfKey, this.linesKey, callId, this.linePrefix)) === 1;
  }

  async waitingLines(): Promise<string[]> {
    return this.redis.smembers(this.linesKey);
  }

  /**
   * A page of the line from just after `after`: by score from its arrival, passing over the
   * callers of that same millisecond who are not after it (equal scores are ordered by id).
   */
  async lineMembers(line: string, limit: number, after?: LinePlace): Promise<LinePlace[]> {
    const key = this.lineKey(line);
    const out: LinePlace[] = [];
    for (let offset = 0; out.length < limit; offset += limit) {
      const flat = await this.redis.zrangebyscore(key, after ? after.arrivedAtMs : '-inf', '+inf', 'WITHSCORES', 'LIMIT', offset, limit);
      for (let i = 0; i < flat.length && out.length < limit; i += 2) {
        const place = { callId: flat[i]!, arrivedAtMs: Number(flat[i + 1]) };
        if (!after || linePlaceOrder(place, after) > 0) out.push(place);
      }
      if (flat.length < 2 * limit) break;
    }
    return out;
  }

  async linePosition(callId: string): Promise<number | null> {
    const ahead = await this.redis.linePosition(this.lineOfKey, callId, this.linePrefix);
    return ahead === null ? null : Number(ahead);
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
   * Marks this Redis as holding the hotline's coordination; true when the mark was there already
   * (Redis kept its data), false when it had to be set: a Redis restarted empty, or one this
   * deployment never used. Only then are the claims of calls still ringing or talking rebuilt
   * from the record (FailoverCoordinator's copy back): otherwise a claim released while its
   * attempt's end was still on its way to the record would come back to life.
   */
  async markKept(): Promise<boolean> {
    return (await this.redis.set(`${this.prefix}kept`, '1', 'NX')) === null;
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
