import type { Db } from './db';

export interface AuditEntry {
  id: string;
  actor: string;
  action: string;
  target: string | null;
  detail: Record<string, unknown> | null;
  at: Date;
}

type Row = Record<string, unknown>;

/** Who changed what, from the console or the API; append-only. */
export class PostgresAuditStore {
  constructor(private readonly db: Db) {}

  async record(e: { actor: string; action: string; target?: string | null; detail?: Record<string, unknown> | null; at: Date }): Promise<void> {
    await this.db.query('INSERT INTO audit_log (actor, action, target, detail, at) VALUES ($1, $2, $3, $4, $5)', [
      e.actor,
      e.action,
      e.target ?? null,
      e.detail ? JSON.stringify(e.detail) : null,
      e.at,
    ]);
  }

  async recent(q: { limit: number; target?: string; actionPrefix?: string }): Promise<AuditEntry[]> {
    const rows = await this.db.query<Row>(
      `SELECT * FROM audit_log WHERE ($1::text IS NULL OR target = $1) AND ($2::text IS NULL OR action LIKE $2 || '%')
        ORDER BY at DESC, id DESC LIMIT $3`,
      [q.target ?? null, q.actionPrefix ?? null, q.limit],
    );
    return rows.map((r) => ({
      id: String(r.id),
      actor: r.actor as string,
      action: r.action as string,
      target: (r.target as string | null) ?? null,
      detail: typeof r.detail === 'string' ? JSON.parse(r.detail) : ((r.detail as Record<string, unknown> | null) ?? null),
      at: r.at as Date,
    }));
  }
}
