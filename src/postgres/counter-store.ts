import type { Db } from './db';

/**
 * A named counter in the database: atomic across connections, kept across restarts. A key gives
 * a counter of its own under the name (`rotation:+864008001234`).
 */
export function databaseCounter(db: Db, base: string): (key?: string) => Promise<number> {
  return async (key?: string) => {
    const name = key ? `${base}:${key}` : base;
    const rows = await db.query<{ value: string | number }>(
      `INSERT INTO counters (name, value) VALUES ($1, 0)
       ON CONFLICT (name) DO UPDATE SET value = counters.value + 1
       RETURNING value`,
      [name],
    );
    return Number(rows[0]!.value);
  };
}
