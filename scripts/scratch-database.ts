import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';

/**
 * Throwaway data for the scripts (benchmarks, the load run, the hostile run): a PostgreSQL
 * database `threering_<kind>_<random>` created on a server's admin URL and dropped afterwards,
 * and a Redis key prefix `threering-<kind>:<random>:` whose keys are deleted afterwards.
 */

/** Random lowercase hex, `bytes` bytes of it. */
export const randomSuffix = (bytes = 4): string => randomBytes(bytes).toString('hex');

/** The name goes into CREATE/DROP DATABASE unquoted: only lowercase letters, digits and `_`. */
const SAFE_NAME = /^[a-z0-9_]+$/;

export interface ScratchDatabase {
  /** `threering_<kind>_<suffix>` */
  name: string;
  /** The admin URL with the scratch database as its path. */
  url: string;
  /** Drops the database, closing whatever connections are still open on it. */
  drop(): Promise<void>;
}

/** Runs one statement on its own connection to `adminUrl`. */
async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/**
 * Creates `threering_<kind>_<suffix>` on the server of `adminUrl` (a URL whose user may create
 * databases, such as postgres://postgres@127.0.0.1:5432/postgres).
 */
export async function createScratchDatabase(adminUrl: string, kind: string, suffix: string = randomSuffix()): Promise<ScratchDatabase> {
  const name = `threering_${kind}_${suffix}`;
  if (!SAFE_NAME.test(name)) throw new Error(`not a safe database name: ${name}`);
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

export interface ScratchRedisPrefix {
  /** `threering-<kind>:<suffix>:` */
  prefix: string;
  /** Deletes every key under the prefix, and nothing else. */
  cleanup(): Promise<void>;
}

/** A key prefix of its own on the Redis at `redisUrl`; nothing is written to Redis here. */
export function scratchRedisPrefix(redisUrl: string, kind: string, suffix: string = randomSuffix()): ScratchRedisPrefix {
  const prefix = `threering-${kind}:${suffix}:`;
  // Used as a SCAN MATCH pattern: no glob characters, so it matches this prefix only.
  if (!/^[a-z0-9_:-]+$/.test(prefix)) throw new Error(`not a safe key prefix: ${prefix}`);
  return { prefix, cleanup: () => deleteKeys(redisUrl, prefix) };
}

/** Calls `each` with every batch of keys under `prefix` (SCAN, so Redis is never blocked). */
export async function forEachKeyBatch(redisUrl: string, prefix: string, each: (redis: Redis, keys: string[]) => Promise<void>): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await each(redis, keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Deletes the keys under `prefix` from the Redis at `redisUrl`. */
export function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  return forEachKeyBatch(redisUrl, prefix, async (redis, keys) => {
    await redis.del(...keys);
  });
}
