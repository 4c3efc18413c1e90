import { randomUUID } from 'node:crypto';
import type { Clock } from '../domain/clock';
import { arriveOneByOne, enterLineThenLook } from '../domain/coordination';
import type { CoordinationMode, Coordinator, LinePlace } from '../domain/ports';
import type { Logger } from '../logger';
import { isDatabaseUnreachable } from '../postgres/database-unreachable';
import type { PostgresCoordinator } from '../postgres/postgres-coordinator';
import { copyBack, type CopyBackCount } from './copy-back';
import type { RedisCoordinator } from './redis-coordinator';

/**
 * How often Redis is asked whether it is back while coordinating through PostgreSQL (and the
 * instance renews its mark there), and how often an instance on Redis looks for such marks.
 */
const PROBE_MS = 1_000;
/** How long a mark lasts unless renewed: an instance that died in fallback stops counting soon. */
const MARK_SECONDS = 3;
/**
 * After switching back, how long claims are also written to PostgreSQL, where an instance that
 * has not noticed Redis is back still claims (its probe runs every PROBE_MS); several probes long.
 */
const GRACE_MS = 5_000;

type Attempted<T> = { ok: true; value: T } | { ok: false };

/**
 * Coordination in Redis that keeps the hotline routing while Redis is down. A Redis command that
 * fails or times out (REDIS_COMMAND_TIMEOUT_MS) sends this instance to PostgreSQL
 * (PostgresCoordinator: claims as rows, checked against the record) until a background probe
 * finds Redis answering; then what was taken meanwhile (claims with their remaining time, the
 * waiting line, the rotation counters, and releases Redis missed) is copied back. Each instance
 * decides on its own; the window in which two disagree is in README "When Redis or PostgreSQL is
 * down".
 */
export class FailoverCoordinator implements Coordinator {
  private current: 'redis' | 'postgres-fallback' = 'redis';
  private graceUntil = 0;
  private failures = 0;
  private probe: NodeJS.Timeout | undefined;
  private watch: NodeJS.Timeout | undefined;
  /** Another instance coordinates through PostgreSQL now: claims here are written there too. */
  private othersInFallback = false;
  private readonly instanceId = randomUUID();
  private graceEnd: NodeJS.Timeout | undefined;
  private probing = false;
  /** The last rotation offset Redis handed this instance, per key: PostgreSQL continues from it. */
  private readonly lastRotation = new Map<string, number>();
  /** The marks of this instance in fallback, in the order written: the switch back clears the mark after the last. */
  private marking: Promise<void> = Promise.resolve();
  /** Copies back under way: claims go on being written to PostgreSQL too until each is over (see inGrace). */
  private copying = 0;

  constructor(
    private readonly d: {
      redis: RedisCoordinator;
      postgres: PostgresCoordinator;
      clock: Clock;
      logger: Logger;
      probeMs?: number;
      graceMs?: number;
    },
  ) {}

  /** Waits up to `ms` for Redis; a server that starts while Redis is down starts in fallback. */
  async start(ms: number): Promise<void> {
    await this.d.redis
      .connected(ms)
      .then(() => this.d.redis.markKept())
      .catch((err: unknown) => this.fail(err));
    this.watch = setInterval(() => void this.watchOthers(), this.d.probeMs ?? PROBE_MS);
    this.watch.unref();
  }

  /**
   * On Redis, each PROBE_MS: whether another instance coordinates through PostgreSQL, and the
   * releases noted there during a failover that no instance has replayed into Redis yet (the one
   * that noted them may have died before it switched back, or in the middle of its copy back).
   */
  private async watchOthers(): Promise<void> {
    if (this.current !== 'redis') return;
    this.othersInFallback = await this.d.postgres.othersInFallback(this.instanceId).catch(() => this.othersInFallback);
    const replayed = await this.replayReleases().catch((err: unknown) => {
      this.d.logger.warn('coordination: replaying releases noted in PostgreSQL failed', { error: (err as Error).message });
      return 0;
    });
    if (replayed > 0) this.d.logger.info('coordination: replayed releases noted in PostgreSQL during a failover', { releases: replayed });
  }

  /** Releases noted in PostgreSQL during a failover, into Redis (see PostgresCoordinator.replayReleases). */
  private async replayReleases(): Promise<number> {
    let done = 0;
    for (let n = -1; n !== 0; done += n) n = await this.d.postgres.replayReleases((r) => this.d.redis.releaseClaim(r.agentId, r.holder));
    return done;
  }

  mode(): CoordinationMode {
    return this.current;
  }

  errorCount(): number {
    return this.d.redis.errorCount() + this.failures;
  }

  /**
   * Claims are written to PostgreSQL too while another instance may still claim there: for a
   * while after this one switched back, and while another marks itself in fallback.
   */
  private inGrace(): boolean {
    return this.othersInFallback || this.copying > 0 || Date.now() < this.graceUntil;
  }

  /**
   * Renews this instance's mark in fallback, after the marks before it: a mark written after the
   * switch back's clearFallback would tell the others for MARK_SECONDS that this instance still
   * claims in PostgreSQL, and they would read its left-over rows as claims.
   */
  private markFallback(): void {
    this.marking = this.marking.then(() => this.d.postgres.markInFallback(this.instanceId, MARK_SECONDS)).catch(() => undefined);
  }

  private fail(err: unknown): void {
    this.failures++;
    if (this.current !== 'redis') return;
    this.current = 'postgres-fallback';
    this.graceUntil = 0;
    this.d.logger.warn('coordination switched to PostgreSQL: Redis failed', { error: (err as Error)?.message ?? String(err) });
    this.markFallback();
    this.probe = setInterval(() => void this.probeRedis(), this.d.probeMs ?? PROBE_MS);
    this.probe.unref();
  }

  private async tryRedis<T>(op: (redis: RedisCoordinator) => Promise<T>): Promise<Attempted<T>> {
    if (this.current !== 'redis') return { ok: false };
    try {
      return { ok: true, value: await op(this.d.redis) };
    } catch (err) {
      this.fail(err);
      return { ok: false };
    }
  }

  /**
   * In fallback, PostgreSQL; when it cannot be reached either (a Redis command timed out under
   * load during a PostgreSQL outage), Redis after all. With the database down no instance can
   * coordinate there, so Redis alone holds the claims; going without it would, for one, leave a
   * talk on its ring claim, and the agent would be rung again once that ran out.
   */
  private async inFallback<T>(pg: (p: PostgresCoordinator) => Promise<T>, redis: (r: RedisCoordinator) => Promise<T>): Promise<T> {
    try {
      return await pg(this.d.postgres);
    } catch (err) {
      if (!isDatabaseUnreachable(err)) throw err;
      return redis(this.d.redis).catch(() => {
        throw err;
      });
    }
  }

  /** A copy of a Redis operation in PostgreSQL, for instances that may still claim there: moot while nobody can reach the database. */
  private async mirror<T>(pg: (p: PostgresCoordinator) => Promise<T>, unreachable: T): Promise<T> {
    try {
      return await pg(this.d.postgres);
    } catch (err) {
      if (isDatabaseUnreachable(err)) return unreachable;
      throw err;
    }
  }

  private async probeRedis(): Promise<void> {
    if (this.probing || this.current === 'redis') return;
    this.probing = true;
    this.markFallback();
    try {
      await this.d.redis.ping();
      // Copied back while this instance still claims and releases through PostgreSQL: a release
      // it makes meanwhile is noted there and replayed below. Switched first, such a release went
      // to Redis, which did not hold the claim yet, and the copy then put the released claim back
      // (a property world: an offer withdrawn during the copy kept its agent claimed).
      const copied = await this.copyBack(false);
      clearInterval(this.probe);
      this.current = 'redis';
      this.graceUntil = Date.now() + (this.d.graceMs ?? GRACE_MS);
      await this.marking;
      await this.d.postgres.clearFallback(this.instanceId).catch(() => undefined);
      copied.releases += await this.replayReleases().catch(() => 0);
      this.d.logger.info('coordination switched back to Redis', copied);
    } catch {
      return;
    } finally {
      this.probing = false;
    }
    const graceMs = this.d.graceMs ?? GRACE_MS;
    // Claims and callers that instances still in fallback added meanwhile come over at the end;
    // the rows stay while one still claims there (it sees the others' claims only in them).
    this.graceEnd = setTimeout(() => {
      if (this.current === 'redis') void this.copyBack(!this.othersInFallback);
    }, graceMs);
    this.graceEnd.unref();
  }

  /** Copies PostgreSQL's claims, line and counters into Redis (see copyBack in ./copy-back.ts); claims are written to both meanwhile. */
  private async copyBack(forget: boolean): Promise<CopyBackCount> {
    this.copying++;
    try {
      return await copyBack(this.d, forget, () => this.replayReleases());
    } finally {
      this.copying--;
    }
  }

  async nextRotation(key?: string): Promise<number> {
    const r = await this.tryRedis((redis) => redis.nextRotation(key));
    if (r.ok) {
      this.lastRotation.set(key ?? '', r.value);
      return r.value;
    }
    return this.inFallback(
      (pg) => pg.nextRotationFrom(key, (this.lastRotation.get(key ?? '') ?? -1) + 1),
      (redis) => redis.nextRotation(key),
    );
  }

  async claimFirstFree(agentIds: readonly string[], holder: string, ttlMs: number): Promise<string | null> {
    let order = [...agentIds];
    for (;;) {
      const r = await this.tryRedis((redis) => redis.claimFirstFree(order, holder, ttlMs));
      if (!r.ok) return this.inFallback((pg) => pg.claimFirstFree(agentIds, holder, ttlMs), (redis) => redis.claimFirstFree(agentIds, holder, ttlMs));
      const agentId = r.value;
      if (agentId === null || !this.inGrace()) return agentId;
      // Another instance may not have noticed Redis is back: its claims in PostgreSQL count too.
      if ((await this.mirror((pg) => pg.claimFirst([agentId], holder, ttlMs, false), agentId)) === agentId) return agentId;
      await this.tryRedis((redis) => redis.releaseClaim(agentId, holder));
      order = order.slice(order.indexOf(agentId) + 1);
    }
  }

  async extendClaim(agentId: string, holder: string, ttlMs: number): Promise<boolean> {
    const r = await this.tryRedis((redis) => redis.extendClaim(agentId, holder, ttlMs));
    if (!r.ok) return this.inFallback((pg) => pg.extendClaim(agentId, holder, ttlMs), (redis) => redis.extendClaim(agentId, holder, ttlMs));
    if (this.inGrace()) await this.mirror((pg) => pg.extendClaim(agentId, holder, ttlMs), false);
    return r.value;
  }

  /**
   * In the grace the row goes first, then Redis's claim: a copy back copies a claim only while its
   * row is there (whileClaimRow), so a release either comes before the copy, or after it and
   * releases the copy too. Redis first, the copy could put back a claim just released in Redis.
   */
  async releaseClaim(agentId: string, holder: string): Promise<boolean> {
    let inRows = false;
    let rowsFailed: unknown;
    // A row that could not be deleted (a deadlock) does not keep Redis's claim: released there, and the failure thrown after.
    if (this.current === 'redis' && this.inGrace()) inRows = await this.mirror((pg) => pg.releaseClaim(agentId, holder), false).catch((err: unknown) => ((rowsFailed = err), false));
    const r = await this.tryRedis((redis) => redis.releaseClaim(agentId, holder));
    if (rowsFailed !== undefined) throw rowsFailed;
    if (r.ok) return inRows || r.value;
    const released = await this.inFallback(
      async (pg) => {
        // The claim may be in Redis, taken before the outage: Redis hears of this release when back.
        await pg.noteRelease(agentId, holder);
        return pg.releaseClaim(agentId, holder);
      },
      (redis) => redis.releaseClaim(agentId, holder),
    );
    return inRows || released;
  }

  async holderOf(agentId: string): Promise<string | null> {
    const r = await this.tryRedis((redis) => redis.holderOf(agentId));
    if (!r.ok) return this.inFallback((pg) => pg.holderOf(agentId), (redis) => redis.holderOf(agentId));
    return r.value ?? (this.inGrace() ? this.mirror((pg) => pg.holderOf(agentId), null) : null);
  }

  /**
   * Redis's answer while it alone holds the claims; otherwise true (some claims may be only in
   * PostgreSQL, or Redis may not yet have them back), and the caller looks for itself.
   */
  async anyUnclaimed(agentIds: readonly string[]): Promise<boolean> {
    if (this.inGrace()) return true;
    const r = await this.tryRedis((redis) => redis.anyUnclaimed(agentIds));
    return r.ok ? r.value : true;
  }

  async arrive(key: string): Promise<{ rotation: number; lineEmpty: boolean }> {
    const r = await this.tryRedis((redis) => redis.arrive(key));
    if (r.ok) {
      this.lastRotation.set(key, r.value.rotation);
      return r.value;
    }
    // Redis failed or is not in use: each is asked as on its own, with its fallback.
    return arriveOneByOne(this, key);
  }

  async enterLineAndLook(line: string, callId: string, arrivedAtMs: number, agentIds: readonly string[]): Promise<{ ahead: number; anyUnclaimed: boolean }> {
    // In the grace after a fallback the look is not asked of Redis (see anyUnclaimed).
    if (!this.inGrace()) {
      const r = await this.tryRedis((redis) => redis.enterLineAndLook(line, callId, arrivedAtMs, agentIds));
      if (r.ok) return r.value;
    }
    return enterLineThenLook(this, line, callId, arrivedAtMs, agentIds);
  }

  /**
   * In the grace, a caller whose row PostgreSQL has is back in that row too: leaving is decided
   * there (see leaveLine), and a row an instance in fallback had taken them from would say "gone"
   * to every pass, so nobody would move them again (a property world: the caller held while an
   * agent was offered to them, and withdrawn, again and again).
   */
  async enterLine(line: string, callId: string, arrivedAtMs: number): Promise<number> {
    const r = await this.tryRedis((redis) => redis.enterLine(line, callId, arrivedAtMs));
    if (!r.ok) return this.inFallback((pg) => pg.enterLine(line, callId, arrivedAtMs), (redis) => redis.enterLine(line, callId, arrivedAtMs));
    // Best effort: a caller left "taken" there waits for the grace to end (the sweep, the hold document's recheck).
    if (this.inGrace()) await this.mirror((pg) => pg.rejoinLine(callId), false).catch(() => false);
    return r.value;
  }

  /**
   * Leaving the line is who moves the caller. In the grace, a caller whose row PostgreSQL has (one
   * copied back, or who entered in fallback) is decided there alone: an instance still in
   * fallback takes callers from those rows, so the row's taker moves them, and Redis only follows.
   * A caller PostgreSQL never had entered in Redis, where instances in fallback cannot see them.
   */
  async leaveLine(callId: string): Promise<boolean> {
    const r = await this.tryRedis((redis) => redis.leaveLine(callId));
    if (!r.ok) return this.inFallback((pg) => pg.leaveLine(callId), (redis) => redis.leaveLine(callId));
    if (!this.inGrace()) return r.value;
    const decided = await this.mirror((pg) => pg.leaveLineDeciding(callId), 'absent' as const);
    return decided === 'absent' ? r.value : decided === 'took';
  }

  async waitingLines(): Promise<string[]> {
    const r = await this.tryRedis((redis) => redis.waitingLines());
    return r.ok ? r.value : this.inFallback((pg) => pg.waitingLines(), (redis) => redis.waitingLines());
  }

  async lineMembers(line: string, limit: number, after?: LinePlace): Promise<LinePlace[]> {
    const r = await this.tryRedis((redis) => redis.lineMembers(line, limit, after));
    return r.ok ? r.value : this.inFallback((pg) => pg.lineMembers(line, limit, after), (redis) => redis.lineMembers(line, limit, after));
  }

  async linePosition(callId: string): Promise<number | null> {
    const r = await this.tryRedis((redis) => redis.linePosition(callId));
    if (!r.ok) return this.inFallback((pg) => pg.linePosition(callId), (redis) => redis.linePosition(callId));
    return r.value ?? (this.inGrace() ? this.mirror((pg) => pg.linePosition(callId), null) : null);
  }

  /** Ready when the backend in use answers: an instance in fallback still routes calls. */
  async ping(): Promise<void> {
    const r = await this.tryRedis((redis) => redis.ping());
    if (!r.ok) await this.inFallback((pg) => pg.ping(), (redis) => redis.ping());
  }

  async close(): Promise<void> {
    clearInterval(this.probe);
    clearInterval(this.watch);
    if (this.current !== 'redis') await this.d.postgres.clearFallback(this.instanceId).catch(() => undefined);
    clearTimeout(this.graceEnd);
    await this.d.redis.close();
    await this.d.postgres.close();
  }
}
