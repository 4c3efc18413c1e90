import type { CallbackJobKind } from '../domain/callback-rules';
import type { Db } from './db';

export interface CallbackJob {
  id: string;
  callbackId: string;
  kind: CallbackJobKind;
  runAt: Date;
  /** How many times the job has been taken; more than 1 means an earlier run may have done part of it. */
  runs: number;
}

type Row = { id: string; callback_id: string; kind: CallbackJobKind; run_at: Date; runs: number | string };
const toJob = (r: Row): CallbackJob => ({ id: r.id, callbackId: r.callback_id, kind: r.kind, runAt: r.run_at, runs: Number(r.runs) });

/**
 * The scheduler's queue. A due job is taken by exactly one instance: one UPDATE marks it running
 * with a lease, choosing rows with FOR UPDATE SKIP LOCKED so a racing instance skips them instead
 * of waiting and taking them again. A job whose runner died is taken again when its lease runs out.
 */
export class PostgresCallbackJobStore {
  constructor(private readonly db: Db) {}

  async claimDue(now: Date, leaseMs: number, limit: number): Promise<CallbackJob[]> {
    const rows = await this.db.query<Row>(
      `UPDATE callback_jobs SET status = 'running', runs = runs + 1, lease_until = $2
       WHERE id IN (
         SELECT id FROM callback_jobs
          WHERE run_at <= $1 AND (status = 'pending' OR (status = 'running' AND lease_until < $1))
          ORDER BY run_at, id
          LIMIT $3
          FOR UPDATE SKIP LOCKED)
       RETURNING id, callback_id, kind, run_at, runs`,
      [now, new Date(now.getTime() + leaseMs), limit],
    );
    return rows.map(toJob).sort((a, b) => a.runAt.getTime() - b.runAt.getTime());
  }

  /**
   * Done (or skipped: nothing left to do). Only the holder of a running job can finish it: `runs`
   * is the count its claim gave, so a runner whose lease ran out cannot finish a retaken job.
   */
  async finish(job: Pick<CallbackJob, 'id' | 'runs'>, status: 'done' | 'skipped', result: string, at: Date): Promise<void> {
    await this.db.query(
      `UPDATE callback_jobs SET status = $2, result = $3, finished_at = $4, lease_until = NULL WHERE id = $1 AND status = 'running' AND runs = $5`,
      [job.id, status, result, at, job.runs],
    );
  }

  /** A run failed: try again later, up to maxRuns, then give up loudly. */
  async retryLater(job: Pick<CallbackJob, 'id' | 'runs'>, error: string, retryAt: Date, maxRuns: number, at: Date): Promise<'pending' | 'failed'> {
    const rows = await this.db.query<{ status: 'pending' | 'failed' }>(
      `UPDATE callback_jobs SET
         status = CASE WHEN runs >= $4 THEN 'failed' ELSE 'pending' END,
         run_at = CASE WHEN runs >= $4 THEN run_at ELSE $3::timestamptz END,
         finished_at = CASE WHEN runs >= $4 THEN $5::timestamptz ELSE NULL END,
         result = $2, lease_until = NULL
       WHERE id = $1 AND status = 'running' AND runs = $6 RETURNING status`,
      [job.id, error.slice(0, 500), retryAt, maxRuns, at, job.runs],
    );
    return rows[0]?.status ?? 'failed';
  }

  /**
   * Not yet: the job is put back for `runAt` without counting this run (it did nothing), e.g. while
   * a spool still holds events that could change its verdict.
   */
  async postpone(job: Pick<CallbackJob, 'id' | 'runs'>, runAt: Date, reason: string): Promise<void> {
    await this.db.query(
      `UPDATE callback_jobs SET status = 'pending', run_at = $2, runs = runs - 1, result = $3, lease_until = NULL
       WHERE id = $1 AND status = 'running' AND runs = $4`,
      [job.id, runAt, reason.slice(0, 500), job.runs],
    );
  }

  async jobsOf(callbackId: string): Promise<{ kind: CallbackJobKind; status: string; runAt: Date; runs: number; result: string | null }[]> {
    const rows = await this.db.query<{ kind: CallbackJobKind; status: string; run_at: Date; runs: number; result: string | null }>(
      'SELECT kind, status, run_at, runs, result FROM callback_jobs WHERE callback_id = $1 ORDER BY run_at',
      [callbackId],
    );
    return rows.map((r) => ({ kind: r.kind, status: r.status, runAt: r.run_at, runs: Number(r.runs), result: r.result }));
  }
}
