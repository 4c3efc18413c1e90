import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/logger';
import { PostgresCoordinator } from '../../src/postgres/postgres-coordinator';
import { FailoverCoordinator } from '../../src/redis/failover-coordinator';
import { deadlock } from '../support/faults';
import { RedisCoordinator } from '../../src/redis/redis-coordinator';
import { freshDatabase, type TestDatabase } from '../support/backends';
import { ManualClock } from '../support/manual-clock';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * Redis comes back while an instance claims through PostgreSQL: what it took there is copied
 * back. Found by the big worlds with outages (seed 11): an offer taken in PostgreSQL was
 * withdrawn, and its claim given back, while the instance was copying its rows into Redis; the
 * copy, reading the rows before the release, put the claim back in Redis, where nothing would
 * ever release it again, and the agent sat idle beside a waiting caller until the world's end.
 */
describe('the copy back into a returning Redis', () => {
  let database: TestDatabase;
  let redis: RedisCoordinator;
  let postgres: PostgresCoordinator;
  let coordinator: FailoverCoordinator;
  const prefix = `threering-test:${randomBytes(4).toString('hex')}:`;
  const inspect = new Redis(REDIS_URL);
  const clock = new ManualClock();

  beforeEach(async () => {
    database = await freshDatabase();
    redis = new RedisCoordinator(REDIS_URL, prefix, { commandTimeoutMs: 1_000 });
    postgres = new PostgresCoordinator(database.db, clock, { ringMs: 56_000, talkMs: 3_600_000 });
    coordinator = new FailoverCoordinator({ redis, postgres, clock, logger: createLogger('error', true), probeMs: 50, graceMs: 200 });
    await coordinator.start(5_000);
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await coordinator.close();
    const keys = await inspect.keys(`${prefix}*`);
    if (keys.length > 0) await inspect.del(...keys);
    await database.drop();
  });
  afterAll(() => inspect.disconnect());

  /** A Redis command fails once: the instance claims through PostgreSQL until its probe finds Redis again. */
  const claimDuringOutage = async (agentId: string, holder: string) => {
    vi.spyOn(redis, 'claimFirstFree').mockRejectedValueOnce(new Error('Connection is closed.'));
    expect(await coordinator.claimFirstFree([agentId], holder, 56_000)).toBe(agentId);
    expect(coordinator.mode()).toBe('postgres-fallback');
  };

  it('leaves released a claim given back while the rows are being copied', async () => {
    await claimDuringOutage('agent-1', 'call-a:0');
    // The offer is withdrawn just after the copy has read the rows, before it writes them to Redis.
    const liveClaims = postgres.liveClaims.bind(postgres);
    const read = vi.spyOn(postgres, 'liveClaims').mockImplementationOnce(async () => {
      const rows = await liveClaims();
      expect(await coordinator.releaseClaim('agent-1', 'call-a:0')).toBe(true);
      return rows;
    });
    await until('the copy back', () => read.mock.calls.length > 0 && coordinator.mode() === 'redis');
    // Past the grace and its second copy.
    await sleep(400);

    expect(await inspect.get(`${prefix}claim:agent-1`)).toBeNull();
    expect(await coordinator.holderOf('agent-1')).toBeNull();
    expect(await coordinator.claimFirstFree(['agent-1'], 'call-b:0', 56_000)).toBe('agent-1');
  });

  it('copies a claim still held, with its holder', async () => {
    await claimDuringOutage('agent-1', 'call-a:0');
    await until('the switch back', () => coordinator.mode() === 'redis');
    await until('the copy', async () => (await inspect.get(`${prefix}claim:agent-1`)) !== null);
    expect(await inspect.get(`${prefix}claim:agent-1`)).toBe('call-a:0');
    expect(await coordinator.claimFirstFree(['agent-1'], 'call-b:0', 56_000)).toBeNull();
    expect(await coordinator.releaseClaim('agent-1', 'call-a:0')).toBe(true);
    await sleep(400);
    expect(await inspect.get(`${prefix}claim:agent-1`)).toBeNull();
  });

  it('in the grace, releases in Redis a claim whose row could not be deleted (a deadlock), and says so', async () => {
    // Another instance still claims through PostgreSQL: this one is in the grace.
    expect(await coordinator.claimFirstFree(['agent-2'], 'call-c:0', 56_000)).toBe('agent-2');
    await postgres.markInFallback('the-other-instance', 600);
    // In the grace a claimed agent "may be free" (the look is left to the caller).
    await until('the grace', () => coordinator.anyUnclaimed(['agent-2']));
    vi.spyOn(postgres, 'releaseClaim').mockRejectedValueOnce(deadlock());
    await expect(coordinator.releaseClaim('agent-2', 'call-c:0')).rejects.toThrow('deadlock');
    expect(await inspect.get(`${prefix}claim:agent-2`)).toBeNull();
  });

  it('leaves no mark of the instance in fallback once it is back on Redis, however late the last mark was written', async () => {
    // The other instances read such a mark as "claims are still taken in PostgreSQL" and look at its rows for 3 s.
    const mark = postgres.markInFallback.bind(postgres);
    vi.spyOn(postgres, 'markInFallback').mockImplementation(async (id, seconds) => {
      await sleep(150);
      return mark(id, seconds);
    });
    await claimDuringOutage('agent-1', 'call-a:0');
    await until('the switch back', () => coordinator.mode() === 'redis');
    await sleep(300);
    expect(await database.db.query(`SELECT instance_id FROM coordination_fallback WHERE until > now()`)).toEqual([]);
  });
});
