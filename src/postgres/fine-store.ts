import { fineAmount } from '../domain/fines';
import { ConflictError } from '../errors';
import type { Db } from './db';

export interface Fine {
  id: string;
  agentId: string;
  callbackId: string;
  period: string;
  ordinal: number;
  amount: number;
  lapsedAt: Date;
  createdAt: Date;
  waivedAt: Date | null;
  waivedReason: string | null;
  /** Who waived it: 'account:<username>', or 'admin-token' for the shared API token. */
  waivedBy: string | null;
}

type Row = Record<string, unknown>;
const toFine = (r: Row): Fine => ({
  id: r.id as string,
  agentId: r.agent_id as string,
  callbackId: r.callback_id as string,
  period: r.period as string,
  ordinal: Number(r.ordinal),
  amount: Number(r.amount),
  lapsedAt: r.lapsed_at as Date,
  createdAt: r.created_at as Date,
  waivedAt: (r.waived_at as Date | null) ?? null,
  waivedReason: (r.waived_reason as string | null) ?? null,
  waivedBy: (r.waived_by as string | null) ?? null,
});

/** The fines ledger: append-only; a waiver is written beside the fine, never instead of it. */
export class PostgresFineStore {
  constructor(private readonly db: Db) {}

  /**
   * Writes the fine for one lapsed callback, at most once per callback. The agent's row is locked
   * so two lapses of the same agent landing together still get ordinals 1 and 2, not 1 and 1.
   * Waived fines keep their place on the ladder: a waiver forgives the money, not the lapse.
   * A callback cancelled as a misdial is never fined (null): its row is locked here as
   * PostgresCallbackStore.cancelForMisdial locks it, so one of the two sees the other. The
   * callback is locked before the agent, the order placing a callback takes them in (its attempt's
   * row refers to the agent), so a dial at the deadline cannot deadlock with the fine.
   */
  async recordLapse(l: { agentId: string; callbackId: string; lapsedAt: Date; period: string; schedule: readonly number[]; now: Date }): Promise<{ fine: Fine; created: boolean } | null> {
    return this.db.transaction(async (tx) => {
      const cb = (await tx.query<Row>('SELECT status FROM callbacks WHERE id = $1 FOR UPDATE', [l.callbackId]))[0];
      if (cb?.status === 'cancelled') return null;
      await tx.query('SELECT id FROM agents WHERE id = $1 FOR UPDATE', [l.agentId]);
      const existing = (await tx.query<Row>('SELECT * FROM fines WHERE callback_id = $1', [l.callbackId]))[0];
      if (existing) return { fine: toFine(existing), created: false };
      // Its place on the ladder is its place among the agent's lapses of the period, by when they
      // lapsed, whatever the order they are judged in (two instances' schedulers, a verdict held
      // back for a spool): fines of later lapses judged already move one step up. Through negative
      // ordinals, so the unique (agent, period, ordinal) holds at every row.
      const before = [l.agentId, l.period, l.lapsedAt, l.callbackId];
      const count = (
        await tx.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM fines WHERE agent_id = $1 AND period = $2 AND (lapsed_at, callback_id) < ($3, $4::uuid)', before)
      )[0]!.n;
      const ordinal = Number(count) + 1;
      const moved = await tx.query<{ id: string; ordinal: number }>(
        'UPDATE fines SET ordinal = -(ordinal + 1) WHERE agent_id = $1 AND period = $2 AND (lapsed_at, callback_id) > ($3, $4::uuid) RETURNING id, -ordinal AS ordinal',
        before,
      );
      if (moved.length > 0) {
        await tx.query('UPDATE fines f SET ordinal = m.ordinal, amount = m.amount FROM unnest($1::uuid[], $2::int[], $3::int[]) AS m (id, ordinal, amount) WHERE f.id = m.id', [
          moved.map((m) => m.id),
          moved.map((m) => Number(m.ordinal)),
          moved.map((m) => fineAmount(Number(m.ordinal), l.schedule)),
        ]);
      }
      const rows = await tx.query<Row>(
        `INSERT INTO fines (agent_id, callback_id, period, ordinal, amount, lapsed_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
        [l.agentId, l.callbackId, l.period, ordinal, fineAmount(ordinal, l.schedule), l.lapsedAt, l.now],
      );
      return { fine: toFine(rows[0]!), created: true };
    });
  }

  async get(id: string): Promise<Fine | null> {
    const rows = await this.db.query<Row>('SELECT * FROM fines WHERE id = $1', [id]);
    return rows[0] ? toFine(rows[0]) : null;
  }

  async listLapsedBetween(from: Date, to: Date): Promise<Fine[]> {
    const rows = await this.db.query<Row>('SELECT * FROM fines WHERE lapsed_at >= $1 AND lapsed_at < $2 ORDER BY agent_id, lapsed_at, ordinal', [from, to]);
    return rows.map(toFine);
  }

  async waive(id: string, reason: string, at: Date, by: string): Promise<Fine | null> {
    const rows = await this.db.query<Row>('UPDATE fines SET waived_at = $2, waived_reason = $3, waived_by = $4 WHERE id = $1 AND waived_at IS NULL RETURNING *', [id, at, reason, by]);
    if (rows[0]) return toFine(rows[0]);
    const fine = await this.get(id);
    if (fine) throw new ConflictError('this fine was already waived', 'id');
    return null;
  }
}
