import { randomUUID } from 'node:crypto';
import { answeredByMachine, statusAfterAttempt, statusAfterOwnerHungUp, type CallbackAttemptOutcome, type CallbackStatus } from '../domain/callback-rules';
import { ConflictError } from '../errors';
import { toAttempt, toCallback, type Callback, type CallbackAttempt, type NewCallback, type Row } from './callback-rows';
import type { Db, Queryable } from './db';

export type { Callback, CallbackAttempt, NewCallback } from './callback-rows';

/** An attempt with no outcome after this long is presumed lost (a status callback never came) and no longer blocks a new one. */
const ATTEMPT_IN_FLIGHT_MS = 10 * 60_000;

/** Callbacks, the calls they answer for, and every attempt to return them. */
export class PostgresCallbackStore {
  constructor(private readonly db: Db) {}

  private async withCallIds(q: Queryable, rows: Row[]): Promise<Callback[]> {
    if (rows.length === 0) return [];
    const links = await q.query<{ callback_id: string; call_id: string }>(
      'SELECT cc.callback_id, cc.call_id FROM callback_calls cc JOIN calls c ON c.id = cc.call_id WHERE cc.callback_id = ANY($1::uuid[]) ORDER BY c.started_at',
      [rows.map((r) => r.id)],
    );
    return rows.map((r) => toCallback(r, links.filter((l) => l.callback_id === r.id).map((l) => l.call_id)));
  }

  async get(id: string): Promise<Callback | null> {
    const rows = await this.db.query<Row>('SELECT * FROM callbacks WHERE id = $1', [id]);
    return (await this.withCallIds(this.db, rows))[0] ?? null;
  }

  async findOpenByPhone(phone: string): Promise<Callback | null> {
    const rows = await this.db.query<Row>(`SELECT * FROM callbacks WHERE phone = $1 AND status IN ('open', 'attempted')`, [phone]);
    return (await this.withCallIds(this.db, rows))[0] ?? null;
  }

  async byCallId(callId: string): Promise<Callback | null> {
    const rows = await this.db.query<Row>('SELECT cb.* FROM callbacks cb JOIN callback_calls cc ON cc.callback_id = cb.id WHERE cc.call_id = $1', [callId]);
    return (await this.withCallIds(this.db, rows))[0] ?? null;
  }

  /** Newest first; `late` keeps only (or leaves out) callbacks whose deadline lapsed. */
  async list(q: { status?: CallbackStatus; late?: boolean; limit: number; hotline?: string }): Promise<Callback[]> {
    const rows = await this.db.query<Row>(
      `SELECT * FROM callbacks
        WHERE ($1::text IS NULL OR status = $1::text)
          AND ($2::boolean IS NULL OR (lapsed_at IS NOT NULL) = $2::boolean)
          AND ($4::text IS NULL OR hotline_number = $4::text)
        ORDER BY created_at DESC, id DESC LIMIT $3`,
      [q.status ?? null, q.late ?? null, q.limit, q.hotline ?? null],
    );
    return this.withCallIds(this.db, rows);
  }

  /** Adds the call to the caller's open callback; false when they have none. */
  async join(phone: string, callId: string, requestedByCaller: boolean, at: Date): Promise<Callback | null> {
    return this.db.transaction(async (tx) => {
      const open = (await tx.query<Row>(`SELECT * FROM callbacks WHERE phone = $1 AND status IN ('open', 'attempted') FOR UPDATE`, [phone]))[0];
      if (!open) return null;
      await tx.query('INSERT INTO callback_calls (callback_id, call_id, joined_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [open.id, callId, at]);
      if (requestedByCaller) await tx.query('UPDATE callbacks SET requested_by_caller = true, updated_at = $2 WHERE id = $1', [open.id, at]);
      return (await this.withCallIds(tx, [open]))[0]!;
    });
  }

  /**
   * Opens a callback with its scheduled jobs, in one transaction. Returns null when another
   * request opened one for the same number first (the one-open-per-number index); join that one.
   */
  async open(c: NewCallback, ownerAgentId: string | null): Promise<Callback | null> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<Row>(
        `INSERT INTO callbacks (phone, hotline_number, deadline_window, owner_agent_id, requested_by_caller, first_call_at, waited_seconds, created_at, due_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8)
         ON CONFLICT (phone) WHERE status IN ('open', 'attempted') DO NOTHING RETURNING *`,
        [c.phone, c.hotlineNumber, c.window, ownerAgentId, c.requestedByCaller, c.firstCallAt, c.waitedSeconds, c.now, c.dueAt],
      );
      const row = rows[0];
      if (!row) return null;
      await tx.query('INSERT INTO callback_calls (callback_id, call_id, joined_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [row.id, c.callId, c.now]);
      for (const job of c.jobs) {
        await tx.query('INSERT INTO callback_jobs (callback_id, kind, run_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [row.id, job.kind, job.runAt]);
      }
      return toCallback(row, [c.callId]);
    });
  }

  /**
   * Hands an open callback to another owner (the first left, is on leave, or there was nobody):
   * the new owner is texted again, and reminded if the reminder is still ahead.
   */
  async reassign(id: string, ownerAgentId: string, at: Date): Promise<Callback | null> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<Row>(
        `UPDATE callbacks SET owner_agent_id = $2, updated_at = $3 WHERE id = $1 AND status IN ('open', 'attempted') RETURNING *`,
        [id, ownerAgentId, at],
      );
      if (!rows[0]) return null;
      await tx.query(
        `UPDATE callback_jobs SET status = 'pending', run_at = $2, runs = 0, lease_until = NULL, result = NULL, finished_at = NULL
         WHERE callback_id = $1 AND kind = 'notify' AND status <> 'running'`,
        [id, at],
      );
      await tx.query(
        `UPDATE callback_jobs SET status = 'pending', runs = 0, lease_until = NULL, result = NULL, finished_at = NULL
         WHERE callback_id = $1 AND kind = 'remind' AND run_at > $2 AND status <> 'running'`,
        [id, at],
      );
      return (await this.withCallIds(tx, rows))[0] ?? null;
    });
  }

  /**
   * The caller got through on their own: their open callback has nothing left to return. Only one
   * opened before that call ended: a retried run must not close a callback for a later miss.
   */
  async closeForCaller(phone: string, callId: string, at: Date): Promise<Callback | null> {
    const rows = await this.db.query<Row>(
      `UPDATE callbacks SET status = 'closed', closed_at = $3, closed_by_call_id = $2, updated_at = $3
       WHERE phone = $1 AND status IN ('open', 'attempted') AND created_at <= $3 RETURNING *`,
      [phone, callId, at],
    );
    return (await this.withCallIds(this.db, rows))[0] ?? null;
  }

  /**
   * The call turned out to be a misdial: its callback is cancelled when no call in it still needs
   * one (each is an abandon shorter than `minAbandonSeconds`), while it is still owed (open or
   * attempted). Its pending jobs are skipped and a fine already levied for it is waived by the
   * system, in one transaction with the callback's row locked, so a deadline judged at the same
   * moment either sees it cancelled or has its fine waived here (PostgresFineStore.recordLapse).
   * Null when there was nothing to cancel (or a call in it was a real miss: it stays owed).
   */
  async cancelForMisdial(callId: string, minAbandonSeconds: number, reason: string, at: Date): Promise<{ callback: Callback; waivedFineId: string | null } | null> {
    return this.db.transaction(async (tx) => {
      const cb = (
        await tx.query<Row>(
          `SELECT cb.* FROM callbacks cb JOIN callback_calls cc ON cc.callback_id = cb.id
            WHERE cc.call_id = $1 AND cb.status IN ('open', 'attempted') FOR UPDATE OF cb`,
          [callId],
        )
      )[0];
      if (!cb) return null;
      const needed = await tx.query<Row>(
        `SELECT 1 FROM callback_calls cc JOIN calls c ON c.id = cc.call_id
          WHERE cc.callback_id = $1 AND NOT (c.outcome = 'abandoned' AND COALESCE(c.wait_seconds, 0) < $2) LIMIT 1`,
        [cb.id, minAbandonSeconds],
      );
      if (needed[0]) return null;
      const rows = await tx.query<Row>(
        `UPDATE callbacks SET status = 'cancelled', cancelled_at = $2, cancelled_reason = $3, updated_at = $2 WHERE id = $1 RETURNING *`,
        [cb.id, at, reason],
      );
      await tx.query(
        `UPDATE callback_jobs SET status = 'skipped', result = 'callback cancelled: a misdial', finished_at = $2, lease_until = NULL
          WHERE callback_id = $1 AND status = 'pending'`,
        [cb.id, at],
      );
      const waived = await tx.query<{ id: string }>(
        `UPDATE fines SET waived_at = $2, waived_reason = $3, waived_by = 'system' WHERE callback_id = $1 AND waived_at IS NULL RETURNING id`,
        [cb.id, at, reason],
      );
      return { callback: (await this.withCallIds(tx, rows))[0]!, waivedFineId: waived[0]?.id ?? null };
    });
  }

  async attachRecording(callId: string, r: { sid?: string; url?: string; seconds?: number }, at: Date): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE callbacks SET recording_sid = COALESCE($2, recording_sid), recording_url = COALESCE($3, recording_url),
         recording_seconds = COALESCE($4, recording_seconds), updated_at = $5
       WHERE id = (SELECT callback_id FROM callback_calls WHERE call_id = $1) RETURNING id`,
      [callId, r.sid ?? null, r.url ?? null, r.seconds ?? null, at],
    );
    return rows.length > 0;
  }

  async markLapsed(id: string, at: Date): Promise<void> {
    await this.db.query('UPDATE callbacks SET lapsed_at = COALESCE(lapsed_at, $2) WHERE id = $1', [id, at]);
  }

  async markR4Breached(id: string, at: Date): Promise<void> {
    await this.db.query('UPDATE callbacks SET r4_breached_at = COALESCE(r4_breached_at, $2) WHERE id = $1', [id, at]);
  }

  /** Records a new attempt (under `id` when given); refuses while another one is still ringing or talking. */
  async addAttempt(callbackId: string, agentId: string, placedVia: string, at: Date, id: string = randomUUID()): Promise<CallbackAttempt> {
    return this.db.transaction(async (tx) => {
      const cb = (await tx.query<Row>('SELECT id, status FROM callbacks WHERE id = $1 FOR UPDATE', [callbackId]))[0];
      if (!cb) throw new ConflictError(`no callback ${callbackId}`);
      if (cb.status !== 'open' && cb.status !== 'attempted') throw new ConflictError(`callback is ${String(cb.status)}; there is nothing left to dial`, 'status');
      const previous = await tx.query<Row>('SELECT * FROM callback_attempts WHERE callback_id = $1 ORDER BY seq', [callbackId]);
      const busy = previous.find((a) => a.outcome === null && at.getTime() - (a.placed_at as Date).getTime() < ATTEMPT_IN_FLIGHT_MS);
      if (busy) throw new ConflictError('a callback call for this customer is already in progress');
      const rows = await tx.query<Row>(
        'INSERT INTO callback_attempts (id, callback_id, seq, agent_id, placed_via, placed_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *',
        [id, callbackId, previous.length, agentId, placedVia, at],
      );
      return toAttempt(rows[0]!);
    });
  }

  async getAttempt(id: string): Promise<CallbackAttempt | null> {
    const rows = await this.db.query<Row>('SELECT * FROM callback_attempts WHERE id = $1', [id]);
    return rows[0] ? toAttempt(rows[0]) : null;
  }

  async attemptsOf(callbackId: string): Promise<CallbackAttempt[]> {
    const rows = await this.db.query<Row>('SELECT * FROM callback_attempts WHERE callback_id = $1 ORDER BY seq', [callbackId]);
    return rows.map(toAttempt);
  }

  async attemptsOfMany(callbackIds: string[]): Promise<Map<string, CallbackAttempt[]>> {
    const byCallback = new Map<string, CallbackAttempt[]>(callbackIds.map((id) => [id, []]));
    if (callbackIds.length === 0) return byCallback;
    const rows = await this.db.query<Row>('SELECT * FROM callback_attempts WHERE callback_id = ANY($1::uuid[]) ORDER BY callback_id, seq', [callbackIds]);
    for (const row of rows) byCallback.get(row.callback_id as string)?.push(toAttempt(row));
    return byCallback;
  }

  async setOwnerCallSid(attemptId: string, sid: string): Promise<void> {
    await this.db.query('UPDATE callback_attempts SET owner_call_sid = COALESCE(owner_call_sid, $2) WHERE id = $1', [attemptId, sid]);
  }

  async markOwnerAnswered(attemptId: string, at: Date): Promise<void> {
    await this.db.query('UPDATE callback_attempts SET owner_answered_at = COALESCE(owner_answered_at, $2) WHERE id = $1', [attemptId, at]);
  }

  /** The owner pressed 1 and the customer is being dialled: from now on the callback counts as attempted. */
  async markCustomerDialled(attemptId: string, at: Date): Promise<void> {
    await this.db.transaction(async (tx) => {
      const a = (await tx.query<Row>('UPDATE callback_attempts SET customer_dialled_at = COALESCE(customer_dialled_at, $2) WHERE id = $1 RETURNING callback_id', [attemptId, at]))[0];
      if (!a) return;
      await tx.query(
        `UPDATE callbacks SET first_attempt_at = COALESCE(first_attempt_at, $2), updated_at = $2,
           status = CASE WHEN status = 'open' THEN 'attempted' ELSE status END
         WHERE id = $1`,
        [a.callback_id, at],
      );
    });
  }

  async noteCustomerLeg(attemptId: string, sid: string, answeredAt: Date | null): Promise<void> {
    await this.db.query(
      'UPDATE callback_attempts SET customer_call_sid = COALESCE(customer_call_sid, $2), customer_answered_at = COALESCE(customer_answered_at, $3) WHERE id = $1',
      [attemptId, sid, answeredAt],
    );
  }

  /** Records a leg's status callback; a repeat returns false. */
  async recordLegEvent(e: { callSid: string; callStatus: string; attemptId: string; leg: 'owner' | 'customer'; sequenceNumber: number | null; eventAt: Date; receivedAt: Date; durationSeconds: number | null }): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO callback_leg_events (call_sid, call_status, attempt_id, leg, sequence_number, event_at, received_at, duration_seconds)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING call_sid`,
      [e.callSid, e.callStatus, e.attemptId, e.leg, e.sequenceNumber, e.eventAt, e.receivedAt, e.durationSeconds],
    );
    return rows.length > 0;
  }

  /**
   * Answering machine detection reported on the customer's leg. When it says machine after the
   * attempt already counted as connected, the attempt becomes a voicemail and a callback it had
   * made done goes back to attempted (or unreachable after the last try).
   */
  async noteAnsweredBy(attemptId: string, answeredBy: string, at: Date, maxAttempts: number): Promise<Callback | null> {
    return this.db.transaction(async (tx) => {
      const row = (await tx.query<Row>('SELECT callback_id, outcome FROM callback_attempts WHERE id = $1 FOR UPDATE', [attemptId]))[0];
      if (!row) return null;
      await tx.query('UPDATE callback_attempts SET customer_answered_by = $2 WHERE id = $1', [attemptId, answeredBy]);
      if (row.outcome !== 'connected' || !answeredByMachine(answeredBy)) return null;
      await tx.query(`UPDATE callback_attempts SET outcome = 'customer-voicemail' WHERE id = $1`, [attemptId]);
      const cb = (await tx.query<Row>('SELECT * FROM callbacks WHERE id = $1 FOR UPDATE', [row.callback_id]))[0]!;
      if (cb.status !== 'done') return null;
      const failed = Number(cb.failed_attempts) + 1;
      const rows = await tx.query<Row>(
        `UPDATE callbacks SET status = $2, failed_attempts = $3, done_at = NULL, updated_at = $4 WHERE id = $1 RETURNING *`,
        [cb.id, failed >= maxAttempts ? 'unreachable' : 'attempted', failed, at],
      );
      return (await this.withCallIds(tx, rows))[0] ?? null;
    });
  }

  /**
   * Settles an attempt once (later reports of the same attempt are no-ops, except that a report of
   * the customer's leg replaces 'owner-hung-up') and moves the callback on: done when the customer
   * answered, unreachable after maxAttempts failed dials.
   */
  async finishAttempt(attemptId: string, reported: CallbackAttemptOutcome, at: Date, maxAttempts: number): Promise<Callback | null> {
    return this.db.transaction(async (tx) => {
      const row = (await tx.query<Row>('SELECT callback_id, outcome, customer_answered_by, customer_dialled_at FROM callback_attempts WHERE id = $1 FOR UPDATE', [attemptId]))[0];
      if (!row) return null;
      // 'owner-hung-up' was read from the owner's end alone; a report of the customer's leg is the better word.
      const overrides = row.outcome === 'owner-hung-up' && reachedCustomer(reported);
      if (row.outcome !== null && !overrides) return null;
      // A leg that was "answered" by a voicemail (detection came first) is no callback.
      const outcome: CallbackAttemptOutcome = reported === 'connected' && answeredByMachine(row.customer_answered_by as string | null) ? 'customer-voicemail' : reported;
      await tx.query('UPDATE callback_attempts SET outcome = $2, finished_at = $3 WHERE id = $1', [attemptId, outcome, at]);
      const cb = (await tx.query<Row>('SELECT * FROM callbacks WHERE id = $1 FOR UPDATE', [row.callback_id]))[0]!;
      const failed = Number(cb.failed_attempts) + (outcome.startsWith('customer-') ? 1 : 0);
      const status = statusAfterAttempt(outcome, failed, maxAttempts, cb.status as CallbackStatus);
      // A dial of the customer counts from the owner's key (LEAST ignores a null: owner outcomes change nothing).
      const dialledAt = reachedCustomer(outcome) ? ((row.customer_dialled_at as Date | null) ?? null) : null;
      const rows = await tx.query<Row>(
        `UPDATE callbacks SET status = $2, failed_attempts = $3, updated_at = $4,
           done_at = CASE WHEN $2 = 'done' THEN COALESCE(done_at, $4) ELSE done_at END,
           first_attempt_at = LEAST(first_attempt_at, $5::timestamptz)
         WHERE id = $1 RETURNING *`,
        [cb.id, status, failed, at, dialledAt],
      );
      return (await this.withCallIds(tx, rows))[0] ?? null;
    });
  }

  /**
   * The owner pressed 1 but hung up before the customer's leg started: the attempt dialled nobody,
   * so the callback is put back as if the key had not been pressed (open, unless another attempt
   * reached the customer). A deadline or 24-hour check already judged on that key press is judged
   * again, from `rejudgeAt` (leaving time for a late report of the customer's leg to override).
   */
  async settleOwnerHungUp(attemptId: string, at: Date, rejudgeAt: Date): Promise<Callback | null> {
    return this.db.transaction(async (tx) => {
      const row = (await tx.query<Row>('SELECT callback_id, outcome, customer_call_sid FROM callback_attempts WHERE id = $1 FOR UPDATE', [attemptId]))[0];
      if (!row || row.outcome !== null || row.customer_call_sid !== null) return null;
      await tx.query(`UPDATE callback_attempts SET outcome = 'owner-hung-up', finished_at = $2 WHERE id = $1`, [attemptId, at]);
      const cb = (await tx.query<Row>('SELECT * FROM callbacks WHERE id = $1 FOR UPDATE', [row.callback_id]))[0]!;
      const firstDial = (
        await tx.query<{ first: Date | null }>(
          `SELECT MIN(customer_dialled_at) AS first FROM callback_attempts
            WHERE callback_id = $1 AND customer_dialled_at IS NOT NULL AND outcome IS DISTINCT FROM 'owner-hung-up'`,
          [cb.id],
        )
      )[0]?.first ?? null;
      const status = statusAfterOwnerHungUp(cb.status as CallbackStatus, firstDial !== null);
      const rows = await tx.query<Row>('UPDATE callbacks SET status = $2, first_attempt_at = $3, updated_at = $4 WHERE id = $1 RETURNING *', [cb.id, status, firstDial, at]);
      const before = (cb.first_attempt_at as Date | null)?.getTime() ?? null;
      if (before !== (firstDial?.getTime() ?? null)) {
        await tx.query(
          `UPDATE callback_jobs SET status = 'pending', run_at = GREATEST(run_at, $2::timestamptz), lease_until = NULL, result = NULL, finished_at = NULL
            WHERE callback_id = $1 AND kind IN ('remind', 'deadline', 'r4') AND status = 'skipped'`,
          [cb.id, rejudgeAt],
        );
      }
      return (await this.withCallIds(tx, rows))[0] ?? null;
    });
  }
}

/** The customer's phone was dialled: the attempt counts as a call back (connected or not). */
const reachedCustomer = (o: CallbackAttemptOutcome) => o === 'connected' || o.startsWith('customer-');
