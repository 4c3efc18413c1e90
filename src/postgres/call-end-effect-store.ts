import type { CallEndEffectStore, ClaimedEffect, EffectRecord, EffectStatus } from '../routing/call-end-outbox';
import type { Db, Queryable } from './db';

/**
 * The request that ended a call runs its effects at once; the retry loop leaves a fresh row alone
 * this long, so it does not race that request for it (a claim would settle a race anyway).
 */
const FIRST_RUN_GRACE_MS = 60_000;

/**
 * Written by PostgresCallStore.endCall inside the transaction that ends the call, so the end and
 * the work it is owed are committed together. A call ends once, and the key stops a second row.
 */
export async function recordCallEndEffects(tx: Queryable, callId: string, effects: readonly string[], endedAt: Date): Promise<void> {
  if (effects.length === 0) return;
  await tx.query(
    `INSERT INTO call_end_effects (call_id, effect, next_attempt_at)
     SELECT $1, e, $3 FROM unnest($2::text[]) AS e
     ON CONFLICT (call_id, effect) DO NOTHING`,
    [callId, [...effects], new Date(endedAt.getTime() + FIRST_RUN_GRACE_MS)],
  );
}

/**
 * A call whose outcome was corrected is owed its effects again, for the outcome it has now (a
 * miss its callback). Every effect goes back to pending: a runner still holding one cannot mark
 * it done, and the listeners are safe to run twice.
 */
export async function owedAgain(tx: Queryable, callId: string, now: Date): Promise<void> {
  await tx.query(
    `UPDATE call_end_effects SET status = 'pending', next_attempt_at = $2, lease_until = NULL, done_at = NULL WHERE call_id = $1`,
    [callId, new Date(now.getTime() + FIRST_RUN_GRACE_MS)],
  );
}

type ClaimRow = { call_id: string; effect: string; attempts: number | string };
const toClaimed = (r: ClaimRow): ClaimedEffect => ({ callId: r.call_id, effect: r.effect, attempts: Number(r.attempts) });

/**
 * The outbox of call-ended effects (states in src/routing/call-end-outbox.ts). Taking an effect
 * marks it running with a lease and counts the attempt; only the holder of that attempt can
 * finish it, so a runner whose lease ran out cannot mark a retaken effect.
 */
export class PostgresCallEndEffectStore implements CallEndEffectStore {
  constructor(private readonly db: Db) {}

  /** The request that ended the call takes its pending effects, whatever their due time. */
  async claimFor(callId: string, effects: readonly string[], leaseUntil: Date): Promise<ClaimedEffect[]> {
    const rows = await this.db.query<ClaimRow>(
      `UPDATE call_end_effects SET status = 'running', attempts = attempts + 1, lease_until = $3
        WHERE call_id = $1 AND effect = ANY($2::text[]) AND status = 'pending'
        RETURNING call_id, effect, attempts`,
      [callId, [...effects], leaseUntil],
    );
    return rows.map(toClaimed);
  }

  /**
   * Due effects for the retry loop: pending past their time, or running past their lease (the
   * runner died). FOR UPDATE SKIP LOCKED lets a racing instance pass over them instead of taking
   * them again. Only effects this instance has a listener for: an unknown name waits for one.
   */
  async claimDue(effects: readonly string[], now: Date, leaseUntil: Date, limit: number): Promise<ClaimedEffect[]> {
    const rows = await this.db.query<ClaimRow>(
      `UPDATE call_end_effects e SET status = 'running', attempts = e.attempts + 1, lease_until = $3
         FROM (SELECT call_id, effect FROM call_end_effects
                WHERE effect = ANY($2::text[])
                  AND ((status = 'pending' AND next_attempt_at <= $1) OR (status = 'running' AND lease_until < $1))
                ORDER BY next_attempt_at, call_id, effect
                LIMIT $4
                FOR UPDATE SKIP LOCKED) due
        WHERE e.call_id = due.call_id AND e.effect = due.effect
        RETURNING e.call_id, e.effect, e.attempts`,
      [now, [...effects], leaseUntil, limit],
    );
    return rows.map(toClaimed);
  }

  async done(e: ClaimedEffect, at: Date): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE call_end_effects SET status = 'done', done_at = $4, lease_until = NULL
        WHERE call_id = $1 AND effect = $2 AND status = 'running' AND attempts = $3 RETURNING call_id`,
      [e.callId, e.effect, e.attempts, at],
    );
    return rows.length > 0;
  }

  /** A failed attempt: again at retryAt, or given up once it was the last allowed. Null when the claim was lost meanwhile. */
  async retryLater(e: ClaimedEffect, error: string, retryAt: Date, maxAttempts: number): Promise<'pending' | 'failed' | null> {
    const rows = await this.db.query<{ status: 'pending' | 'failed' }>(
      `UPDATE call_end_effects SET
         status = CASE WHEN attempts >= $5 THEN 'failed' ELSE 'pending' END,
         next_attempt_at = CASE WHEN attempts >= $5 THEN next_attempt_at ELSE $4 END,
         last_error = $6, lease_until = NULL
        WHERE call_id = $1 AND effect = $2 AND status = 'running' AND attempts = $3 RETURNING status`,
      [e.callId, e.effect, e.attempts, retryAt, maxAttempts, error.slice(0, 500)],
    );
    return rows[0]?.status ?? null;
  }

  async effectsOf(callId: string): Promise<EffectRecord[]> {
    type Row = { effect: string; status: EffectStatus; attempts: number | string; next_attempt_at: Date; last_error: string | null; done_at: Date | null };
    const rows = await this.db.query<Row>(
      'SELECT effect, status, attempts, next_attempt_at, last_error, done_at FROM call_end_effects WHERE call_id = $1 ORDER BY effect',
      [callId],
    );
    return rows.map((r) => ({ effect: r.effect, status: r.status, attempts: Number(r.attempts), nextAttemptAt: r.next_attempt_at, lastError: r.last_error, doneAt: r.done_at }));
  }

  /** Effects given up after their last attempt: each is a call whose callback, file or SMS someone must see to. */
  async failedCount(): Promise<number> {
    const rows = await this.db.query<{ n: number | string }>(`SELECT count(*) AS n FROM call_end_effects WHERE status = 'failed'`);
    return Number(rows[0]?.n ?? 0);
  }
}
