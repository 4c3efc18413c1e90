import type { Db } from './db';

/** A named counter in the database: atomic across connections, kept across restarts. */
export function databaseCounter(db: Db, name: string): () => Promise<number> {
  return async () => {
    const rows = await db.query<{ value: string | number }>(
      `INSERT INTO counters (name, value) VALUES ($1, 0)
       ON CONFLICT (name) DO UPDATE SET value = counters.value + 1
       RETURNING value`,
      [name],
    );
    return Number(rows[0]!.value);
  };
}
