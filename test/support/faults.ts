import type { Db, Queryable } from '../../src/postgres/db';
import { DEADLOCK } from '../../src/postgres/database-unreachable';
import type { RedisCoordinator } from '../../src/redis/redis-coordinator';

/**
 * Outages injected in process, by the means the e2e tests use (test/e2e/spooled-calls.test.ts
 * replaces the database's query and transaction with ones that fail as a refused connection;
 * test/e2e/redis-outage.test.ts stops a Redis, which the coordinator sees as commands that fail):
 * cheap enough to switch on and off many times inside one generated run.
 */
export const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
/** What pg-pool says when a query waited too long for a free connection (a busy instance, not a down database). */
export const poolWaitTimeout = () => new Error('timeout exceeded when trying to connect');
export const deadlock = () => Object.assign(new Error('deadlock detected'), { code: DEADLOCK });

/**
 * PostgreSQL going down and coming back under every instance that shares `db`. While down, every
 * query and transaction fails as a refused connection. While `flaky`, a share of them fails for a
 * passing reason (a deadlock, a pool-wait timeout) and nothing else changes: what the spool's
 * replay meets right after a return, when every instance writes at once.
 */
export class DatabaseSwitch {
  private readonly query: Db['query'];
  private readonly transaction: Db['transaction'];
  private state: 'up' | 'down' | 'flaky' = 'up';
  private flakyShare = 0;
  private rand: () => number = Math.random;
  /** Queries that failed on purpose (down or flaky). */
  failed = 0;

  constructor(private readonly db: Db) {
    this.query = db.query.bind(db);
    this.transaction = db.transaction.bind(db);
    const self = this;
    db.query = function <T>(sql: string, params?: unknown[]): Promise<T[]> {
      const fault = self.fault();
      return fault ? Promise.reject(fault) : (self.query(sql, params) as Promise<T[]>);
    } as Db['query'];
    db.transaction = function <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const fault = self.fault();
      return fault ? Promise.reject(fault) : self.transaction(fn);
    };
  }

  isDown(): boolean {
    return this.state === 'down';
  }

  down(): void {
    this.state = 'down';
  }

  /** Back, and from now on a `share` of statements fails for a passing reason (0: all well). */
  up(flaky: { share: number; rand: () => number } = { share: 0, rand: Math.random }): void {
    this.state = flaky.share > 0 ? 'flaky' : 'up';
    this.flakyShare = flaky.share;
    this.rand = flaky.rand;
  }

  private fault(): Error | null {
    if (this.state === 'up') return null;
    if (this.state === 'down') {
      this.failed++;
      return refused();
    }
    if (this.rand() >= this.flakyShare) return null;
    this.failed++;
    return this.rand() < 0.5 ? deadlock() : poolWaitTimeout();
  }

  /** Puts the database's own methods back. */
  restore(): void {
    this.db.query = this.query;
    this.db.transaction = this.transaction;
  }
}

/**
 * A Redis that stops answering, as one instance's coordinator sees it: every command fails as on a
 * closed connection until `up`. Each instance has its own (two servers have two connections),
 * and the test switches them together: Redis is one server.
 */
export class RedisSwitch {
  private down = false;

  constructor(redis: RedisCoordinator) {
    const proto = Object.getPrototypeOf(redis) as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const original = proto[name];
      // errorCount, mode and close still work on a dead connection.
      if (name === 'constructor' || typeof original !== 'function' || ['errorCount', 'mode', 'close'].includes(name)) continue;
      (redis as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        if (this.down) return Promise.reject(new Error('Connection is closed.'));
        return (original as (...a: unknown[]) => unknown).apply(redis, args);
      };
    }
  }

  isDown(): boolean {
    return this.down;
  }

  set(down: boolean): void {
    this.down = down;
  }
}
