import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/logger';
import { pgDb } from '../../src/postgres/db';
import { PostgresCoordinator } from '../../src/postgres/postgres-coordinator';
import { FailoverCoordinator } from '../../src/redis/failover-coordinator';
import { RedisCoordinator } from '../../src/redis/redis-coordinator';
import { ManualClock } from '../support/manual-clock';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Nothing listens here: every query is refused, as while PostgreSQL restarts. */
const DOWN_DATABASE = 'postgres://postgres@127.0.0.1:5449/none';

/**
 * A Redis command times out (under load) while PostgreSQL is down: the instance turns to
 * PostgreSQL, which cannot answer either, so Redis, which still holds every claim, goes on
 * deciding. Found by `npm run load -- --fault pg-restart`: a talk lost its claim extension and
 * its agent was rung for another call.
 */
describe('the failover coordinator when PostgreSQL is down too', () => {
  const prefix = `threering-test:${randomBytes(4).toString('hex')}:`;
  const db = pgDb(DOWN_DATABASE);
  const redis = new RedisCoordinator(REDIS_URL, prefix, { commandTimeoutMs: 1_000 });
  const clock = new ManualClock();
  const coordinator = new FailoverCoordinator({
    redis,
    postgres: new PostgresCoordinator(db, clock, { ringMs: 56_000, talkMs: 3_600_000 }),
    clock,
    logger: createLogger('error', true),
    probeMs: 60_000,
  });
  const inspect = new Redis(REDIS_URL);

  afterEach(async () => {
    vi.restoreAllMocks();
    const keys = await inspect.keys(`${prefix}*`);
    if (keys.length > 0) await inspect.del(...keys);
    await coordinator.close();
    inspect.disconnect();
  });

  it('keeps a talk on its agent and claims other agents through Redis', async () => {
    await coordinator.start(5_000);
    expect(await coordinator.claimFirstFree(['agent-1', 'agent-2'], 'call-a:0', 60_000)).toBe('agent-1');
    vi.spyOn(redis, 'extendClaim').mockRejectedValueOnce(new Error('Command timed out'));

    // The agent takes the call: the talk's claim outlasts the ring's.
    expect(await coordinator.extendClaim('agent-1', 'call-a:0', 3_600_000)).toBe(true);
    expect(coordinator.mode()).toBe('postgres-fallback');
    expect(await inspect.pttl(`${prefix}claim:agent-1`)).toBeGreaterThan(60_000);

    expect(await coordinator.holderOf('agent-1')).toBe('call-a:0');
    expect(await coordinator.claimFirstFree(['agent-1', 'agent-2'], 'call-b:0', 60_000)).toBe('agent-2');
    expect(await coordinator.claimFirstFree(['agent-1', 'agent-2'], 'call-c:0', 60_000)).toBeNull();
    expect(await coordinator.releaseClaim('agent-2', 'call-b:0')).toBe(true);
    expect(await coordinator.claimFirstFree(['agent-1', 'agent-2'], 'call-c:0', 60_000)).toBe('agent-2');
    await coordinator.ping();
  });
});
