import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Client, Pool, type ClientConfig, type PoolClient, type QueryResult } from 'pg';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { holdDataDir } from './data-dir-lock';

/**
 * The one database interface the stores use. Two implementations share every SQL statement:
 * a pg pool on real PostgreSQL, and PGlite (embedded PostgreSQL compiled to WebAssembly).
 */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs fn in one transaction; it commits when fn resolves and rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs a script of several statements (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
  /**
   * Listens on a NOTIFY channel over a connection of its own (real PostgreSQL only), reconnecting
   * after a second when it is lost; `up` says when notices start and stop arriving. Returns a stop.
   */
  listen?(channel: string, on: { notice(payload: string): void; up(up: boolean): void }): () => Promise<void>;
  /** The pool of a real PostgreSQL (none for PGlite), and how many of its queries failed: for /metrics. */
  poolStats?(): { total: number; idle: number; waiting: number; errors: number };
}

/** How long a new connection to the server may take before it counts as unreachable. */
export const CONNECT_TIMEOUT_MS = 750;
/**
 * How long a query may wait for a free connection of the pool. Waiting here means the instance
 * is busy, not that the database is down: it fails as an ordinary error, never as "unreachable".
 */
export const POOL_WAIT_MS = 5_000;

/**
 * A pg client whose connection attempt has its own, short, time limit. pg-pool gives one
 * `connectionTimeoutMillis` to both the wait for a free client and each new connection, and fails
 * both with the same message; with this, a slow connect fails with the client's own "timeout
 * expired" (the server is unreachable) and only a full pool's wait says "timeout
 * exceeded when trying to connect".
 */
class QuickConnectClient extends Client {
  constructor(config?: ClientConfig) {
    super({ ...config, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  }
}

/**
 * Statements run outside a transaction are prepared once per connection and then only bound and
 * run: PostgreSQL parses each of them once, and plans once those whose plan does not depend on
 * the values (the call's insert); one whose best plan does (the call list's optional filters)
 * still gets a plan of its own each time. For an incoming call this took a quarter off
 * PostgreSQL's CPU (docs/PERFORMANCE.md). Only the first PREPARED_MAX distinct texts get a name,
 * so SQL put together at run time cannot make a connection keep statements without bound.
 */
const PREPARED_MAX = 200;

/** A statement prepared before another instance's migration changed its table's shape. */
function isStalePlan(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e.code === '0A000' && /cached plan must not change result type/.test(e.message ?? '');
}

/**
 * A pooler that hands each statement to any of its server connections (PgBouncer in transaction
 * mode before 1.21): a statement prepared on one is missing on the next (26000), or another
 * client's of the same name is already there (42P05).
 */
const POOLED_AWAY = new Set(['26000', '42P05']);

/** Gives each of the first `max` distinct statement texts a name of its own; undefined after. */
function statementNames(max: number): (sql: string) => string | undefined {
  const names = new Map<string, string>();
  return (sql) => {
    let name = names.get(sql);
    if (name === undefined && names.size < max) {
      name = `threering_${names.size}`;
      names.set(sql, name);
    }
    return name;
  };
}

/**
 * The pool's query, preparing statements (see PREPARED_MAX). A prepared statement that cannot
 * run, for the reasons above, has not run: its failure closed its connection (pg-pool destroys a
 * client released with an error), and the same text is run again unprepared. Behind a pooler
 * that loses statements, nothing is prepared from then on.
 */
function preparingQuery(pool: Pool): (sql: string, params?: unknown[]) => Promise<QueryResult> {
  const nameOf = statementNames(PREPARED_MAX);
  let preparing = true;
  return async (sql, params) => {
    const name = preparing ? nameOf(sql) : undefined;
    if (name === undefined) return pool.query(sql, params);
    try {
      return await pool.query({ name, text: sql, values: params });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== undefined && POOLED_AWAY.has(code)) preparing = false;
      else if (!isStalePlan(err)) throw err;
      return pool.query(sql, params);
    }
  };
}

export function pgDb(connectionString: string, max = 20, o: { poolWaitMs?: number; listenTiming?: ListenTiming } = {}): Db {
  // Fail fast rather than hang: a caller arriving while the database is down is put through from
  // memory (src/spool/), which only helps if a dead server is noticed in well under a second.
  const pool = new Pool({ connectionString, max, Client: QuickConnectClient, connectionTimeoutMillis: o.poolWaitMs ?? POOL_WAIT_MS, query_timeout: 8_000, keepAlive: true });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  let errors = 0;
  pool.on('error', () => {
    errors++;
  });
  const counted = async <T>(run: Promise<T>): Promise<T> => {
    try {
      return await run;
    } catch (err) {
      errors++;
      throw err;
    }
  };
  const run = preparingQuery(pool);
  const onClient = (client: PoolClient): Queryable => ({
    query: async <T>(sql: string, params?: unknown[]) => (await counted(client.query(sql, params))).rows as T[],
  });
  return {
    kind: 'postgres',
    query: async <T>(sql: string, params?: unknown[]) => (await counted(run(sql, params))).rows as T[],
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, errors }),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await counted(pool.connect());
      // A checked-out client is not covered by the pool's listener: a server shutting down (57P01)
      // would otherwise be an unhandled 'error' event and end the process. The query in flight
      // fails on its own, and the broken client is destroyed rather than returned to the pool.
      let lost: Error | undefined;
      const onLost = (err: Error) => {
        errors++;
        lost = err;
      };
      client.on('error', onLost);
      try {
        await client.query('BEGIN');
        const result = await fn(onClient(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        if (!lost) await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.off('error', onLost);
        client.release(lost);
      }
    },
    async exec(sql: string) {
      await pool.query(sql);
    },
    close: () => pool.end(),
    listen: (channel, on) => listenFor(connectionString, channel, on, o.listenTiming ?? LISTEN_TIMING),
  };
}

/** How long a lost listening connection waits before it connects again. */
const LISTEN_RETRY_MS = 1_000;

/** Timing of the listening connection's heartbeat (see listenFor); tests shorten it. */
export interface ListenTiming {
  /** How often the listener sends itself a notice. */
  heartbeatMs: number;
  /** How long that notice may take to come back before the connection counts as lost. */
  heartbeatWaitMs: number;
}
const LISTEN_TIMING: ListenTiming = { heartbeatMs: 10_000, heartbeatWaitMs: 5_000 };

/** Notices this prefix starts are the listeners' own heartbeats, never passed on. */
const HEARTBEAT = 'heartbeat:';

/**
 * See Db.listen. The channel is a plain identifier chosen by the code, never input.
 *
 * A listening connection can die without a word (a network cut, a failover that sends no reset)
 * or never get a notice (a pooler in transaction mode): every heartbeatMs it sends a notice of
 * its own, and one that is not back within heartbeatWaitMs ends the connection (`up(false)`) and
 * starts a new one. Other instances hear these heartbeats too, and pass none on.
 */
function listenFor(
  connectionString: string,
  channel: string,
  on: { notice(payload: string): void; up(up: boolean): void },
  timing: ListenTiming,
): () => Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
  const heartbeat = HEARTBEAT + randomUUID();
  let client: Client | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let awaiting: NodeJS.Timeout | undefined;
  const again = () => {
    if (stopped) return;
    retry = setTimeout(() => void connect(), LISTEN_RETRY_MS);
    retry.unref();
  };
  const lost = (c: Client) => {
    if (client !== c) return;
    client = null;
    clearTimeout(awaiting);
    awaiting = undefined;
    c.end().catch(() => undefined);
    on.up(false);
    again();
  };
  const beat = setInterval(() => {
    const c = client;
    if (!c || awaiting) return;
    awaiting = setTimeout(() => lost(c), timing.heartbeatWaitMs);
    awaiting.unref();
    // Sent on the listening connection itself (a session hears its own notices), so a busy pool
    // cannot hold it up; a failure leaves the heartbeat unanswered, which is what it should say.
    c.query('SELECT pg_notify($1, $2)', [channel, heartbeat]).catch(() => undefined);
  }, timing.heartbeatMs);
  beat.unref();
  const connect = async () => {
    const c = new QuickConnectClient({ connectionString, keepAlive: true });
    c.on('error', () => lost(c));
    c.on('end', () => lost(c));
    c.on('notification', (m) => {
      if (m.channel !== channel) return;
      const payload = m.payload ?? '';
      if (payload === heartbeat) {
        clearTimeout(awaiting);
        awaiting = undefined;
      } else if (!payload.startsWith(HEARTBEAT)) {
        on.notice(payload);
      }
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
    } catch {
      c.end().catch(() => undefined);
      again();
      return;
    }
    if (stopped) return void c.end().catch(() => undefined);
    client = c;
    on.up(true);
  };
  void connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    clearInterval(beat);
    clearTimeout(awaiting);
    const c = client;
    client = null;
    // A connection gone silent would never confirm its end: shutting down does not wait for it.
    if (c) await Promise.race([c.end().catch(() => undefined), new Promise((r) => setTimeout(r, 1_000).unref())]);
  };
}

/**
 * The folder a PGlite dataDir names on this machine: a plain path or a file:// one. None for the
 * in-memory database (no dataDir, memory://) and the browser-only schemes.
 */
function folderOf(dataDir: string | undefined): string | undefined {
  if (!dataDir) return undefined;
  if (dataDir.startsWith('file://')) return dataDir.slice('file://'.length) || undefined;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(dataDir) ? undefined : dataDir;
}

/**
 * PGlite creates only the last folder of its dataDir, so the default ./data/pglite fails in a
 * fresh clone, where ./data does not exist yet. Create the whole path, and say plainly why not.
 */
function ensureDataFolder(dataDir: string | undefined): string | undefined {
  const folder = folderOf(dataDir);
  if (folder === undefined) return undefined;
  const path = resolve(folder);
  try {
    mkdirSync(path, { recursive: true });
  } catch (err) {
    // Node's message already names the code and the path that failed: "EACCES: permission denied, mkdir '/srv'".
    throw new Error(
      `PGLITE_DATA_DIR: cannot create the embedded database folder ${path}: ${(err as Error).message}. ` +
        'Set PGLITE_DATA_DIR to a writable folder, or DATABASE_URL to use PostgreSQL.',
      { cause: err },
    );
  }
  return path;
}

/** Opens the embedded database; a folder on disk is held by this process until close (see data-dir-lock.ts). */
export async function pgliteDb(dataDir?: string): Promise<Db> {
  const folder = ensureDataFolder(dataDir);
  const release = folder === undefined ? () => undefined : holdDataDir(folder);
  // The WebAssembly build is only instantiated here, so a real-PostgreSQL deployment never pays for it.
  const lite = new PGlite(dataDir);
  try {
    await lite.waitReady;
  } catch (err) {
    release();
    throw err;
  }
  const onTx = (tx: Transaction): Queryable => ({
    query: async <T>(sql: string, params?: unknown[]) => (await tx.query<T>(sql, params)).rows,
  });
  return {
    kind: 'pglite',
    query: async <T>(sql: string, params?: unknown[]) => (await lite.query<T>(sql, params)).rows,
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) => lite.transaction((tx) => fn(onTx(tx))),
    async exec(sql: string) {
      await lite.exec(sql);
    },
    async close() {
      try {
        await lite.close();
      } finally {
        release();
      }
    },
  };
}
