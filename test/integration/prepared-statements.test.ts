import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgDb, type Db } from '../../src/postgres/db';
import { freshDatabase, realDatabaseUrl, type TestDatabase } from '../support/backends';

/** The texts of the statements the pool's one connection holds prepared under its names. */
async function preparedOn(db: Db): Promise<string[]> {
  const rows = await db.query<{ statement: string }>("SELECT statement FROM pg_prepared_statements WHERE name LIKE 'threering\\_%'");
  return rows.map((r) => r.statement);
}

// Real PostgreSQL only: PGlite has no connection pool and no named statements.
describe.runIf(realDatabaseUrl)('statements prepared once per connection', () => {
  let t: TestDatabase;
  let db: Db;
  let other: Client;

  beforeAll(async () => {
    t = await freshDatabase();
    // One connection, so every query below meets the statements the earlier ones prepared.
    db = pgDb(t.url!, 1);
    other = new Client({ connectionString: t.url });
    await other.connect();
    await other.query('CREATE TABLE shapes (id int PRIMARY KEY, a text)');
    await other.query("INSERT INTO shapes VALUES (1, 'one')");
  });
  afterAll(async () => {
    await other?.end();
    await db?.close();
    await t?.drop();
  });

  it('a statement run twice is prepared once, and gives the same answer each time', async () => {
    const first = await db.query('SELECT * FROM shapes WHERE id = $1', [1]);
    const second = await db.query('SELECT * FROM shapes WHERE id = $1', [1]);
    expect(first).toEqual([{ id: 1, a: 'one' }]);
    expect(second).toEqual(first);
    // The connection holds that statement, parsed and planned for the next call.
    expect(await preparedOn(db)).toContain('SELECT * FROM shapes WHERE id = $1');
  });

  it('a table that changed shape under a prepared statement: the query still answers, with the new column', async () => {
    expect(await db.query('SELECT * FROM shapes WHERE id = $1', [1])).toEqual([{ id: 1, a: 'one' }]);
    const [before] = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    // Another instance's migration, while this connection keeps the old plan.
    await other.query("ALTER TABLE shapes ADD COLUMN b text NOT NULL DEFAULT 'two'");
    expect(await db.query('SELECT * FROM shapes WHERE id = $1', [1])).toEqual([{ id: 1, a: 'one', b: 'two' }]);
    // The connection with the stale plan was closed, and the pool's one connection is a new one.
    const [after] = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    expect(after!.pid).not.toBe(before!.pid);
    // Where the statement is prepared again, for the calls after.
    expect(await db.query('SELECT * FROM shapes WHERE id = $1', [1])).toEqual([{ id: 1, a: 'one', b: 'two' }]);
    expect(await preparedOn(db)).toContain('SELECT * FROM shapes WHERE id = $1');
  });

  it('a pooler that loses prepared statements: the query still answers, and nothing is prepared from then on', async () => {
    const lossy = pgDb(t.url!, 1);
    try {
      expect(await lossy.query('SELECT a FROM shapes WHERE id = $1', [1])).toEqual([{ a: 'one' }]);
      // What a pooler in transaction mode does: the next statement meets a server connection
      // that never saw the one prepared before.
      await lossy.query('DEALLOCATE ALL');
      expect(await lossy.query('SELECT a FROM shapes WHERE id = $1', [1])).toEqual([{ a: 'one' }]);
      expect(await lossy.query('SELECT a FROM shapes WHERE id = $1', [1])).toEqual([{ a: 'one' }]);
      expect(await preparedOn(lossy)).toEqual([]);
    } finally {
      await lossy.close();
    }
  });

  it('a statement that fails for its own reasons still fails, with its own error', async () => {
    await expect(db.query('SELECT * FROM no_such_table')).rejects.toThrow(/no_such_table/);
    await expect(db.query('INSERT INTO shapes (id, a) VALUES ($1, $2)', [1, 'again'])).rejects.toThrow(/duplicate key/);
  });
});
