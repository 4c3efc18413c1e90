import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/logger';
import { PostgresCoordinator } from '../../src/postgres/postgres-coordinator';
import { FailoverCoordinator } from '../../src/redis/failover-coordinator';
import { RedisCoordinator } from '../../src/redis/redis-coordinator';
import { scratchRedisPrefix } from '../../scripts/scratch-database';
import { freshDatabase, realRedisUrl, type TestDatabase } from '../support/backends';
import { ManualClock } from '../support/manual-clock';

const LIMITS = { ringMs: 56_000, talkMs: 3_600_000 };
const LINE = '+864008001234';

/**
 * Redis is back, and one instance is still in fallback: the instance back on Redis is in its grace
 * (it sees the other's mark) and the other takes callers from PostgreSQL's rows. Each waiting
 * caller is moved by one of them only: leaving the line is decided in one place.
 */
describe.skipIf(!realRedisUrl)('leaving the line in the grace after Redis returns', () => {
  let database: TestDatabase;
  let back: FailoverCoordinator;
  let stillInFallback: PostgresCoordinator;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    database = await freshDatabase();
    const clock = new ManualClock();
    const keys = scratchRedisPrefix(realRedisUrl!, 'test');
    const postgres = new PostgresCoordinator(database.db, clock, LIMITS);
    back = new FailoverCoordinator({ redis: new RedisCoordinator(realRedisUrl!, keys.prefix), postgres, clock, logger: createLogger('error', true), probeMs: 20 });
    await back.start(5_000);
    stillInFallback = new PostgresCoordinator(database.db, clock, LIMITS);
    await stillInFallback.markInFallback('the-other-instance', 600);
    // The instance back on Redis notices the other one: a look at a claimed agent now says "maybe free".
    expect(await back.claimFirstFree(['agent-1'], 'call-0:0', 60_000)).toBe('agent-1');
    await vi.waitFor(async () => expect(await back.anyUnclaimed(['agent-1'])).toBe(true), { timeout: 5_000, interval: 20 });
    cleanup = async () => {
      await back.close();
      await keys.cleanup().catch(() => undefined);
      await database.drop();
    };
  });
  afterEach(async () => {
    await cleanup();
  });

  /** A caller in both: copied back into Redis, and in the rows the other instance reads. */
  const waitingInBoth = async (callId: string, arrivedAtMs: number) => {
    await stillInFallback.enterLine(LINE, callId, arrivedAtMs);
    await back.enterLine(LINE, callId, arrivedAtMs);
  };

  it('lets the instance still in fallback take a caller first, and then the one back on Redis does not take them again', async () => {
    await waitingInBoth('call-1', 1_000);
    expect(await stillInFallback.leaveLine('call-1')).toBe(true);
    expect(await back.leaveLine('call-1')).toBe(false);
    // Redis follows: the caller is out of its line too.
    expect(await back.linePosition('call-1')).toBeNull();
  });

  it('lets the instance back on Redis take a caller first, and then the one in fallback does not', async () => {
    await waitingInBoth('call-2', 2_000);
    expect(await back.leaveLine('call-2')).toBe(true);
    expect(await stillInFallback.leaveLine('call-2')).toBe(false);
  });

  it('gives a caller to exactly one of them when both take at once', async () => {
    await waitingInBoth('call-3', 3_000);
    const took = await Promise.all([back.leaveLine('call-3'), stillInFallback.leaveLine('call-3')]);
    expect(took.filter(Boolean)).toHaveLength(1);
  });

  it('lets a caller the instance in fallback took, and who is back in the line, be taken again by the one back on Redis', async () => {
    await waitingInBoth('call-5', 5_000);
    // Taken to be moved to an agent, whose offer is then withdrawn: the caller holds again.
    expect(await stillInFallback.leaveLine('call-5')).toBe(true);
    await back.enterLine(LINE, 'call-5', 5_000);
    expect(await back.leaveLine('call-5')).toBe(true);
    expect(await stillInFallback.leaveLine('call-5')).toBe(false);
  });

  it('decides in Redis for a caller who entered the line there only (the instance in fallback cannot see them)', async () => {
    await back.enterLine(LINE, 'call-4', 4_000);
    expect(await stillInFallback.lineMembers(LINE, 10)).toEqual([]);
    expect(await back.leaveLine('call-4')).toBe(true);
    expect(await back.leaveLine('call-4')).toBe(false);
  });
});
