import type { Db, Queryable } from '../../src/postgres/db';

export interface Statement {
  sql: string;
  params: unknown[];
}

/**
 * A Db that notes every statement sent through it (inside transactions too) before passing it on:
 * to count what an operation costs in statements, or to EXPLAIN exactly what it ran.
 */
export function recordingDb(db: Db): Db & { statements: Statement[] } {
  const statements: Statement[] = [];
  const noting = (q: Queryable): Queryable => ({
    query: <T>(sql: string, params: unknown[] = []) => {
      statements.push({ sql, params });
      return q.query<T>(sql, params);
    },
  });
  return {
    ...db,
    kind: db.kind,
    statements,
    query: noting(db).query,
    transaction: (fn) => db.transaction((tx) => fn(noting(tx))),
    exec: (sql) => db.exec(sql),
    close: () => db.close(),
  };
}
