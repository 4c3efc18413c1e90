import type { Db, Queryable } from './db';

/** The tables behind the facts an arriving call reads from FactsCache. */
const FACT_TABLES = /\b(agents|agent_schedules|shifts|leaves|hotlines|hotline_agents|blocklist_rules|internal_numbers|caller_reports|holiday_days)\b/i;

/**
 * Bookkeeping in a fact table that no cached fact reads, written often: the count of offers an
 * agent missed in a row (at most call ends) and a leave's callbacks handed over (the roster's
 * minute loop). One column set, one statement, nothing nested.
 */
const BOOKKEEPING_ONLY = /^\s*UPDATE (agents SET missed_offers|leaves SET callbacks_moved_at) = [^,;()]+ WHERE [^;()]*$/i;

/** Any statement but a plain SELECT that names a fact table may change a fact (an over-match only costs a re-read). */
const mayChangeFacts = (sql: string) => !/^\s*select\b/i.test(sql) && FACT_TABLES.test(sql) && !BOOKKEEPING_ONLY.test(sql);

/**
 * The database as the stores see it, telling `changed` before and after every statement that
 * may change a cached fact, and again when a transaction holding one is over (its commit): a
 * read that overlapped the write is then never kept.
 */
export function watchFactWrites(db: Db, changed: () => void): Db {
  const watched = (q: Queryable, wrote: () => void = () => undefined): Queryable => ({
    async query<T>(sql: string, params?: unknown[]): Promise<T[]> {
      if (!mayChangeFacts(sql)) return q.query<T>(sql, params);
      changed();
      wrote();
      try {
        return await q.query<T>(sql, params);
      } finally {
        changed();
      }
    },
  });
  const top = watched(db);
  return {
    ...db,
    query: top.query,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      let wroteFacts = false;
      try {
        return await db.transaction((tx) =>
          fn(
            watched(tx, () => {
              wroteFacts = true;
            }),
          ),
        );
      } finally {
        if (wroteFacts) changed();
      }
    },
    async exec(sql: string): Promise<void> {
      try {
        await db.exec(sql);
      } finally {
        changed();
      }
    },
  };
}
