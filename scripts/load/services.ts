import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScratchDatabase, randomSuffix, scratchRedisPrefix } from '../scratch-database';

/**
 * The PostgreSQL and Redis a load run's instances share. By default: a scratch database on the
 * shared server (dropped after) and a key prefix of its own on the shared Redis (its keys deleted
 * after). A fault run that stops a service gets a private one on its own port instead, so the
 * shared services are never touched: a redis-server with its data in a temp folder, or a
 * PostgreSQL cluster made with initdb and run by pg_ctl as the postgres user.
 */
export interface LoadServices {
  databaseUrl: string;
  redisUrl: string;
  redisKeyPrefix: string;
  describe: string;
  /** Stops the private service for `seconds`, then starts it again with its data. */
  outage?(seconds: number): Promise<void>;
  release(): Promise<void>;
}

const PG_BIN = '/usr/lib/postgresql/15/bin';
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A private PostgreSQL cluster on `port`, owned by the postgres user; returns its admin URL. */
function privatePostgres(port: number) {
  const dir = mkdtempSync(join(tmpdir(), 'threering-load-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const asPostgres = (cmd: string, args: string[]) => execFileSync('runuser', ['-u', 'postgres', '--', join(PG_BIN, cmd), ...args], { stdio: 'pipe' });
  asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const start = () => asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  const stop = (mode: string) => asPostgres('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async outage(seconds: number) {
      stop('fast');
      await pause(seconds * 1000);
      start();
    },
    release() {
      try {
        stop('immediate');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** A private redis-server on `port`, saving to a temp folder only when stopped (so a restart keeps its keys). */
function privateRedis(port: number) {
  const dir = mkdtempSync(join(tmpdir(), 'threering-load-redis-'));
  const start = () => execFileSync('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'yes'], { stdio: 'pipe' });
  const shutdown = (how: 'save' | 'nosave') => execFileSync('redis-cli', ['-p', String(port), 'shutdown', how], { stdio: 'pipe' });
  start();
  return {
    url: `redis://127.0.0.1:${port}`,
    async ready() {
      for (let i = 0; i < 50; i++) {
        try {
          execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: 'pipe' });
          return;
        } catch {
          await pause(100);
        }
      }
    },
    async outage(seconds: number) {
      shutdown('save');
      await pause(seconds * 1000);
      start();
    },
    release() {
      try {
        shutdown('nosave');
      } catch {
        // already down
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export async function loadServices(o: { fault: string | undefined; databaseUrl: string; redisUrl: string; pgPort: number; redisPort: number }): Promise<LoadServices> {
  const suffix = randomSuffix(5);
  const pg = o.fault === 'pg-restart' ? privatePostgres(o.pgPort) : null;
  const redis = o.fault === 'redis-stop' ? privateRedis(o.redisPort) : null;
  await redis?.ready();
  const adminUrl = pg?.url ?? o.databaseUrl;
  const db = await createScratchDatabase(adminUrl, 'load', suffix);
  const redisUrl = redis?.url ?? o.redisUrl;
  const keys = scratchRedisPrefix(redisUrl, 'load', suffix);
  const describe = `${pg ? `private PostgreSQL on :${o.pgPort}` : `scratch database ${db.name}`} · ${redis ? `private Redis on :${o.redisPort}` : `Redis prefix ${keys.prefix}`}`;
  return {
    databaseUrl: db.url,
    redisUrl,
    redisKeyPrefix: keys.prefix,
    describe,
    outage: pg ? (s) => pg.outage(s) : redis ? (s) => redis.outage(s) : undefined,
    async release() {
      // A private service goes with all its data; on a shared one, only this run's.
      if (pg) pg.release();
      else await db.drop();
      if (redis) redis.release();
      else await keys.cleanup();
    },
  };
}
