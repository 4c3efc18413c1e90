import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { Clock } from '../../src/domain/clock';
import type { Coordinator } from '../../src/domain/ports';
import { databaseCounter } from '../../src/postgres/counter-store';
import { pgDb, pgliteDb, type Db } from '../../src/postgres/db';
import { migrate } from '../../src/postgres/migrate';
import { InProcessCoordinator } from '../../src/redis/in-process-coordinator';
import { RedisCoordinator } from '../../src/redis/redis-coordinator';
import { scratchRedisPrefix } from '../../scripts/scratch-database';

/**
 * The suite runs on whatever the environment names, exactly like the server: with DATABASE_URL
 * each test file gets its own fresh PostgreSQL database, otherwise an in-memory PGlite; with
 * REDIS_URL coordination goes through Redis under a key prefix of its own, otherwise in process.
 */
export const realDatabaseUrl = process.env.DATABASE_URL || undefined;
export const realRedisUrl = process.env.REDIS_URL || undefined;

const suffix = () => randomBytes(6).toString('hex');

export interface TestDatabase {
  db: Db;
  url?: string;
  drop(): Promise<void>;
}

/** `migrations`: a folder of migrations to apply instead of the shipped ones (to test one on data of the schema before it). */
export async function freshDatabase(migrations?: string): Promise<TestDatabase> {
  if (!realDatabaseUrl) {
    const db = await pgliteDb();
    await migrate(db, migrations);
    return { db, drop: () => db.close() };
  }
  const name = `threering_t_${suffix()}`;
  const admin = new Client({ connectionString: realDatabaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(realDatabaseUrl);
  url.pathname = `/${name}`;
  const db = pgDb(url.toString(), 5);
  await migrate(db, migrations);
  return {
    db,
    url: url.toString(),
    async drop() {
      await db.close();
      const c = new Client({ connectionString: realDatabaseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export function freshCoordinator(db: Db, clock: Clock, kind: 'auto' | 'redis' | 'in-process' = 'auto'): Coordinator {
  const useRedis = kind === 'redis' || (kind === 'auto' && realRedisUrl);
  if (useRedis) {
    if (!realRedisUrl) throw new Error('REDIS_URL is not set');
    // A key prefix of its own, whose keys go when the coordinator is closed.
    const keys = scratchRedisPrefix(realRedisUrl, 'test');
    const coordinator = new RedisCoordinator(realRedisUrl, keys.prefix);
    const close = coordinator.close.bind(coordinator);
    coordinator.close = async () => {
      await close();
      await keys.cleanup().catch(() => undefined);
    };
    return coordinator;
  }
  return new InProcessCoordinator(databaseCounter(db, 'rotation'), clock);
}
