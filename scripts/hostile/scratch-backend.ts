import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pgDb, pgliteDb, type Db, type Queryable } from '../../src/postgres/db';
import { migrate } from '../../src/postgres/migrate';
import { createScratchDatabase, forEachKeyBatch, randomSuffix, scratchRedisPrefix } from '../scratch-database';

/**
 * Where a hostile run keeps its data: a fresh PGlite folder, or with DATABASE_URL a database of
 * its own on that server (dropped afterwards); with REDIS_URL a key prefix of its own.
 */
export interface ScratchBackend {
  kind: 'embedded' | 'services';
  /** The settings that point a server at this scratch data. */
  env: Record<string, string>;
  /** Opens the database. PGlite allows one process at a time: open it only while no server holds it. */
  openDb(): Promise<Db>;
  /** Every Redis key under the run's prefix with a hash of its value (nothing without REDIS_URL). */
  redisState(): Promise<Map<string, string>>;
  drop(): Promise<void>;
}

export async function scratchBackend(databaseUrl = process.env.DATABASE_URL || undefined, redisUrl = process.env.REDIS_URL || undefined): Promise<ScratchBackend> {
  const env: Record<string, string> = {};
  let openDb: () => Promise<Db>;
  let dropDb: () => Promise<void>;
  if (databaseUrl) {
    const scratch = await createScratchDatabase(databaseUrl, 'hostile', randomSuffix(6));
    env.DATABASE_URL = scratch.url;
    openDb = async () => pgDb(scratch.url, 2);
    dropDb = scratch.drop;
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'threering-hostile-'));
    env.PGLITE_DATA_DIR = dir;
    openDb = () => pgliteDb(dir);
    dropDb = async () => rmSync(dir, { recursive: true, force: true });
  }
  const keys = redisUrl ? scratchRedisPrefix(redisUrl, 'hostile', randomSuffix(6)) : null;
  if (redisUrl && keys) {
    env.REDIS_URL = redisUrl;
    env.REDIS_KEY_PREFIX = keys.prefix;
  }
  const db = await openDb();
  await migrate(db);
  await db.close();
  return {
    kind: databaseUrl || redisUrl ? 'services' : 'embedded',
    env,
    openDb,
    async redisState() {
      const state = new Map<string, string>();
      if (!redisUrl || !keys) return state;
      await forEachKeyBatch(redisUrl, keys.prefix, async (redis, batch) => {
        for (const key of batch) {
          const dump = await redis.dumpBuffer(key);
          if (dump) state.set(key, createHash('sha256').update(dump).digest('hex'));
        }
      });
      return state;
    },
    async drop() {
      await dropDb();
      await keys?.cleanup();
    },
  };
}

/**
 * Tables that change during the unsigned phase by design, and why. A wrong console password is
 * recorded so that guessing is throttled: that row is the defence working, not a leak. Each
 * instance's spool reports what it holds every 2 s (spool_backlogs: a watermark for the callback
 * scheduler), whatever the requests.
 */
export const CHANGED_BY_DESIGN = new Set(['console_sign_in_failures', 'spool_backlogs']);

/** Row count and a checksum of every row of every table in the public schema. */
export async function tableChecksums(db: Queryable): Promise<Map<string, string>> {
  const tables = await db.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
  );
  const out = new Map<string, string>();
  for (const { name } of tables) {
    const [row] = await db.query<{ n: number; sum: string | null }>(`SELECT COUNT(*)::int AS n, md5(string_agg(t::text, '|' ORDER BY t::text)) AS sum FROM "${name}" t`);
    out.set(name, `${row!.n} rows ${row!.sum ?? '-'}`);
  }
  return out;
}

/** What differs between two snapshots: a table's rows, or a Redis key, with both sides. */
export function differences(before: Map<string, string>, after: Map<string, string>, ignore: Set<string> = new Set()): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => !ignore.has(k) && before.get(k) !== after.get(k)).map((k) => `${k}: ${before.get(k) ?? 'absent'} -> ${after.get(k) ?? 'absent'}`);
}
