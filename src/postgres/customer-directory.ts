import type { Db } from './db';

export interface CustomerListing {
  id: string;
  phone: string;
  name: string | null;
  nameSuggestion: string | null;
  notes: string | null;
  updatedAt: Date;
  calls: number;
  lastCallAt: Date | null;
}

type Row = Record<string, unknown>;

/**
 * The customer files as a list, latest contact first, optionally narrowed by a piece of the
 * number or of the name (what a supervisor types into a search box).
 */
export async function listCustomers(db: Db, q: { search?: string; byPhone: boolean; limit: number }): Promise<CustomerListing[]> {
  const like = q.search ? `%${q.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
  const rows = await db.query<Row>(
    `SELECT c.*, COUNT(k.id)::int AS calls, MAX(k.started_at) AS last_call_at
       FROM customers c LEFT JOIN calls k ON k.customer_id = c.id
      WHERE $1::text IS NULL OR ($3 AND c.phone LIKE $1) OR c.name ILIKE $1 OR c.name_suggestion ILIKE $1
      GROUP BY c.id ORDER BY MAX(k.started_at) DESC NULLS LAST, c.updated_at DESC LIMIT $2`,
    [like, q.limit, q.byPhone],
  );
  return rows.map((r) => ({
    id: String(r.id),
    phone: String(r.phone),
    name: (r.name as string | null) ?? null,
    nameSuggestion: (r.name_suggestion as string | null) ?? null,
    notes: (r.notes as string | null) ?? null,
    updatedAt: r.updated_at as Date,
    calls: Number(r.calls),
    lastCallAt: (r.last_call_at as Date | null) ?? null,
  }));
}
