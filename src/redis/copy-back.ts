import type { Clock } from '../domain/clock';
import type { Logger } from '../logger';
import type { Queryable } from '../postgres/db';
import type { ClaimRow, PostgresCoordinator } from '../postgres/postgres-coordinator';
import type { RedisCoordinator } from './redis-coordinator';

export interface CopyBackDeps {
  redis: RedisCoordinator;
  postgres: PostgresCoordinator;
  clock: Clock;
  logger: Logger;
}

/** What a copy back wrote into Redis. */
export interface CopyBackCount {
  claims: number;
  line: number;
  releases: number;
}

/**
 * Copies what PostgreSQL holds into Redis: releases Redis missed first (so a claim from before
 * the outage, ended during it, does not keep its agent busy), then live claims with their
 * remaining time, the waiting line, and the rotation counters. With `forget`, the rows of the
 * claims Redis now decides (copied, or kept out by Redis's own holder) are dropped from
 * PostgreSQL. Each claim is copied while its row is there, under its lock (whileClaimRow): one
 * released since the rows were read stays released. Never throws: a failure is logged and the
 * next copy retries.
 */
export async function copyBack(d: CopyBackDeps, forget: boolean, replayReleases: () => Promise<number>): Promise<CopyBackCount> {
  const { redis, postgres, clock } = d;
  const done: CopyBackCount = { claims: 0, line: 0, releases: 0 };
  try {
    done.releases = await replayReleases();
    const now = clock.now().getTime();
    const copied: ClaimRow[] = [];
    const keptOut: ClaimRow[] = [];
    for (const c of await postgres.liveClaims()) {
      const left = c.expiresAt.getTime() - now;
      if (left <= 0) continue;
      const how = await postgres.whileClaimRow(c, async (tx) => {
        if (await redis.restoreClaim(c.agentId, c.holder, left)) return 'copied';
        return (await takeOverStale(d, c, left, tx)) ? 'took-over' : 'kept-out';
      });
      if (how === 'copied' || how === 'took-over') copied.push(c);
      if (how === 'took-over') d.logger.warn('coordination: a claim Redis kept from before its outage, its attempt over, gave way to the one taken during it', { agentId: c.agentId });
      if (how === 'kept-out') {
        keptOut.push(c);
        d.logger.warn('coordination: a claim taken during the Redis outage was not copied back', { agentId: c.agentId });
      }
    }
    // A Redis restarted without its data lost the claims of calls still ringing or talking.
    // Only then: a Redis that kept them has every claim not since released, and the record
    // may still show as unfinished an attempt whose end (and release) came during the outage.
    const restored = new Set(copied.map((c) => c.agentId));
    const lostData = !(await redis.markKept());
    for (const c of lostData ? await postgres.claimsOnRecord() : []) {
      const left = c.expiresAt.getTime() - now;
      if (left > 0 && !restored.has(c.agentId) && (await redis.restoreClaim(c.agentId, c.holder, left))) done.claims++;
    }
    done.claims += copied.length;
    const line = await postgres.lineEntries();
    for (const m of line) await redis.enterLine(m.line, m.callId, m.arrivedAtMs);
    done.line = line.length;
    for (const r of await postgres.rotations()) await redis.raiseRotation(r.key, r.value + 1);
    if (forget) {
      // A row kept out goes too: Redis's holder has the agent, and the row, read by instances in
      // a later grace, would keep the agent taken for them until it ran out.
      await postgres.forgetClaims([...copied, ...keptOut]);
      await postgres.forgetLine(line);
    }
  } catch (err) {
    d.logger.error('coordination: copying back to Redis failed', { error: (err as Error).message, ...done });
  }
  return done;
}

/**
 * Redis holds this claim's agent for another holder. A Redis restarted from its dump keeps the
 * claims it had before its outage, and one of them may be long over by the record while
 * PostgreSQL gave the agent on: kept beside the row's claim, its holder's late release would free
 * an agent still ringing or talking. Such a claim, over on record, gives way to the row's, if
 * the row's attempt is still unfinished on record. Any other (a claim Redis granted since the
 * return, its attempt perhaps not on record yet) keeps the agent.
 */
async function takeOverStale(d: CopyBackDeps, c: ClaimRow, leftMs: number, tx: Queryable): Promise<boolean> {
  const { redis, postgres } = d;
  const other = await redis.holderOf(c.agentId);
  if (other === null || (await postgres.claimOnRecord(c.agentId, other, tx)) !== 'over') return false;
  if ((await postgres.claimOnRecord(c.agentId, c.holder, tx)) !== 'live') return false;
  return redis.takeOverClaim(c.agentId, other, c.holder, leftMs);
}
