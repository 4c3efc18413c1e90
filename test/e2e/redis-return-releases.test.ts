import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/logger';
import { PostgresCoordinator } from '../../src/postgres/postgres-coordinator';
import { FailoverCoordinator } from '../../src/redis/failover-coordinator';
import { RedisCoordinator } from '../../src/redis/redis-coordinator';
import { freshDatabase } from '../support/backends';
import { ManualClock } from '../support/manual-clock';

/** A private Redis for this file alone (the other outage tests use 6391-6398 but this one). */
const PORT = 6396;
const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
const cli = (...args: string[]) => spawnSync('redis-cli', ['-p', String(PORT), ...args]).stdout?.toString().trim();

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Releases noted in PostgreSQL during a failover reach Redis even when the instance that noted
 * them dies before it replays them: any instance on Redis replays them (README "When Redis or
 * PostgreSQL is down"). Two instances' coordinators share one Redis and one database.
 */
describe.skipIf(!hasRedisServer)('releases noted during a failover, when the instance that noted them dies', () => {
  it('are replayed into Redis by another instance, so the agent is free again', async () => {
    if (cli('ping') === 'PONG') cli('shutdown', 'nosave');
    execFileSync('redis-server', ['--port', String(PORT), '--save', '', '--appendonly', 'no', '--daemonize', 'yes']);
    await until('the private Redis', () => cli('ping') === 'PONG');
    const database = await freshDatabase();
    const clock = new ManualClock();
    const prefix = `threering-releases:${randomBytes(4).toString('hex')}:`;
    const instance = () => {
      const redis = new RedisCoordinator(`redis://127.0.0.1:${PORT}`, prefix, { commandTimeoutMs: 250 });
      const postgres = new PostgresCoordinator(database.db, clock, { ringMs: 56_000, talkMs: 3_600_000 });
      const coordinator = new FailoverCoordinator({ redis, postgres, clock, logger: createLogger('error', true), probeMs: 100, graceMs: 200 });
      return { redis, postgres, coordinator };
    };
    const dying = instance();
    const other = instance();
    try {
      await dying.coordinator.start(5_000);
      await other.coordinator.start(5_000);
      expect(await dying.coordinator.claimFirstFree(['agent-1'], 'talk:0', 3_600_000)).toBe('agent-1');

      // The talk ends while this instance's Redis commands time out: it turns to PostgreSQL and
      // notes the release there; it switches back to Redis, and its releases still fail there
      // (it is dying) until it is gone.
      vi.spyOn(dying.redis, 'releaseClaim').mockRejectedValue(new Error('Command timed out'));
      expect(await dying.coordinator.releaseClaim('agent-1', 'talk:0')).toBe(false);
      expect(dying.coordinator.mode()).toBe('postgres-fallback');
      await until('the switch back', () => dying.coordinator.mode() === 'redis');
      await dying.coordinator.close();

      // The instance that stayed on Redis replays it (Redis never heard it from the dying one): the agent is free for the next call.
      await until('the release replayed by the other instance', () => cli('exists', `${prefix}claim:agent-1`) === '0');
      expect(await database.db.query('SELECT * FROM coordination_releases')).toEqual([]);
      expect(await other.coordinator.claimFirstFree(['agent-1'], 'next:0', 60_000)).toBe('agent-1');
    } finally {
      await other.coordinator.close();
      await database.drop();
      cli('shutdown', 'nosave');
    }
  }, 60_000);
});
