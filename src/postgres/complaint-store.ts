import type { ComplaintStatus } from '../domain/complaints';
import type { Db, Queryable } from './db';
import { dateOrNull as d } from './row-values';

export interface ComplaintProgress {
  note: string;
  channel: 'call' | 'sms';
  by: string;
  at: Date;
}

export interface ComplaintCase {
  id: string;
  phone: string;
  hotlineNumber: string;
  withheld: boolean;
  ownerAgentId: string | null;
  status: ComplaintStatus;
  weight: number;
  openedAt: Date;
  replyDueAt: Date;
  remindAt: Date;
  repliedAt: Date | null;
  closedAt: Date | null;
  closedBy: string | null;
  resolution: string | null;
  remindedAt: Date | null;
  alertedAt: Date | null;
  callIds: string[];
  progress: ComplaintProgress[];
}

/** A call typed 'complaint' that is in no case yet. */
export interface UntakenComplaint {
  callId: string;
  phone: string;
  hotlineNumber: string;
  ownerAgentId: string | null;
  typedAt: Date | null;
}

type Row = Record<string, unknown>;

const toCase = (r: Row): ComplaintCase => ({
  id: String(r.id),
  phone: String(r.phone),
  hotlineNumber: String(r.hotline_number),
  withheld: r.withheld === true,
  ownerAgentId: (r.owner_agent_id as string | null) ?? null,
  status: r.status as ComplaintStatus,
  weight: Number(r.weight),
  openedAt: r.opened_at as Date,
  replyDueAt: r.reply_due_at as Date,
  remindAt: r.remind_at as Date,
  repliedAt: d(r.replied_at),
  closedAt: d(r.closed_at),
  closedBy: (r.closed_by as string | null) ?? null,
  resolution: (r.resolution as string | null) ?? null,
  remindedAt: d(r.reminded_at),
  alertedAt: d(r.alerted_at),
  callIds: [],
  progress: [],
});

const toUntaken = (r: Row): UntakenComplaint => ({
  callId: String(r.id),
  phone: String(r.from_number),
  hotlineNumber: String(r.to_number),
  ownerAgentId: (r.answered_by_agent_id as string | null) ?? null,
  typedAt: d(r.typed_at),
});

/** Complaint cases, the calls in them and their progress replies (R11). */
export class PostgresComplaintStore {
  constructor(private readonly db: Db) {}

  /** Calls typed complaint (not refused, not internal) that no case holds yet, oldest first. */
  async untaken(limit: number): Promise<UntakenComplaint[]> {
    const rows = await this.db.query<Row>(
      `SELECT c.id, c.from_number, c.to_number, c.answered_by_agent_id,
         (SELECT MAX(n.changed_at) FROM call_note_changes n WHERE n.call_id = c.id AND n.field = 'type' AND n.new_value = 'complaint') AS typed_at
       FROM calls c
       WHERE c.call_type = 'complaint' AND NOT c.blocked AND NOT c.internal
         AND NOT EXISTS (SELECT 1 FROM complaint_calls k WHERE k.call_id = c.id)
       ORDER BY c.started_at, c.id LIMIT $1`,
      [limit],
    );
    return rows.map(toUntaken);
  }

  /** The call, if it is typed complaint (not refused, not internal) and no case holds it yet. */
  async untakenCall(callId: string): Promise<UntakenComplaint | null> {
    const rows = await this.db.query<Row>(
      `SELECT c.id, c.from_number, c.to_number, c.answered_by_agent_id,
         (SELECT MAX(n.changed_at) FROM call_note_changes n WHERE n.call_id = c.id AND n.field = 'type' AND n.new_value = 'complaint') AS typed_at
       FROM calls c
       WHERE c.id = $1 AND c.call_type = 'complaint' AND NOT c.blocked AND NOT c.internal
         AND NOT EXISTS (SELECT 1 FROM complaint_calls k WHERE k.call_id = c.id)`,
      [callId],
    );
    return rows[0] ? toUntaken(rows[0]) : null;
  }

  /**
   * Puts a complaint call into its caller's open case (its weight grows by one), or opens a new
   * case. Safe to repeat and to race: a call is in at most one case, a caller has at most one open case.
   */
  async take(c: UntakenComplaint & { withheld: boolean; openedAt: Date; replyDueAt: Date; remindAt: Date }): Promise<{ caseId: string; joined: boolean } | null> {
    return this.db.transaction(async (tx) => {
      const taken = await tx.query<Row>('SELECT case_id FROM complaint_calls WHERE call_id = $1', [c.callId]);
      if (taken[0]) return null;
      if (!c.withheld) {
        const open = await tx.query<Row>(`SELECT id FROM complaint_cases WHERE phone = $1 AND status <> 'closed' AND NOT withheld FOR UPDATE`, [c.phone]);
        if (open[0]) return this.join(tx, String(open[0].id), c.callId, c.openedAt);
      }
      const opened = await tx.query<Row>(
        `INSERT INTO complaint_cases (phone, hotline_number, withheld, owner_agent_id, opened_at, reply_due_at, remind_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id`,
        [c.phone, c.hotlineNumber, c.withheld, c.ownerAgentId, c.openedAt, c.replyDueAt, c.remindAt],
      );
      // Another instance opened the caller's case meanwhile: this run leaves the call for the next one.
      if (!opened[0]) throw new Error('complaint case opened concurrently');
      await tx.query('INSERT INTO complaint_calls (call_id, case_id, added_at) VALUES ($1, $2, $3)', [c.callId, opened[0].id, c.openedAt]);
      return { caseId: String(opened[0].id), joined: false };
    });
  }

  private async join(tx: Queryable, caseId: string, callId: string, at: Date): Promise<{ caseId: string; joined: boolean } | null> {
    const added = await tx.query<Row>('INSERT INTO complaint_calls (call_id, case_id, added_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING call_id', [callId, caseId, at]);
    if (!added[0]) return null;
    await tx.query('UPDATE complaint_cases SET weight = weight + 1 WHERE id = $1', [caseId]);
    return { caseId, joined: true };
  }

  /** Claims the reminders that are due (each exactly once: reminded_at is set as it is claimed). */
  async claimReminders(now: Date): Promise<ComplaintCase[]> {
    return this.claim('reminded_at', 'remind_at', now);
  }

  /** Claims the cases whose deadline passed with no progress reply (each alerted exactly once). */
  async claimAlerts(now: Date): Promise<ComplaintCase[]> {
    return this.claim('alerted_at', 'reply_due_at', now);
  }

  private async claim(mark: 'reminded_at' | 'alerted_at', due: 'remind_at' | 'reply_due_at', now: Date): Promise<ComplaintCase[]> {
    const rows = await this.db.query<Row>(
      `UPDATE complaint_cases SET ${mark} = $1
       WHERE id IN (SELECT id FROM complaint_cases WHERE status = 'open' AND ${mark} IS NULL AND ${due} <= $1
                    ORDER BY ${due} LIMIT 100 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [now],
    );
    return rows.map(toCase);
  }

  /** A claim whose message could not be sent is given back, for the next run. */
  async unclaim(id: string, mark: 'reminder' | 'alert'): Promise<void> {
    await this.db.query(`UPDATE complaint_cases SET ${mark === 'reminder' ? 'reminded_at' : 'alerted_at'} = NULL WHERE id = $1`, [id]);
  }

  async get(id: string): Promise<ComplaintCase | null> {
    const rows = await this.db.query<Row>('SELECT * FROM complaint_cases WHERE id = $1', [id]);
    return rows[0] ? (await this.withDetail(rows.map(toCase)))[0]! : null;
  }

  async list(q: { status?: ComplaintStatus; ownerAgentId?: string }): Promise<ComplaintCase[]> {
    const rows = await this.db.query<Row>(
      `SELECT * FROM complaint_cases WHERE ($1::text IS NULL OR status = $1) AND ($2::uuid IS NULL OR owner_agent_id = $2)
       ORDER BY opened_at DESC, id LIMIT 500`,
      [q.status ?? null, q.ownerAgentId ?? null],
    );
    return this.withDetail(rows.map(toCase));
  }

  /** Records a progress reply; the first one stops the clock (open -> replied). Null when the case is closed. */
  async addProgress(id: string, p: ComplaintProgress): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<Row>(`SELECT status FROM complaint_cases WHERE id = $1 FOR UPDATE`, [id]);
      if (!rows[0] || rows[0].status === 'closed') return false;
      await tx.query('INSERT INTO complaint_progress (case_id, note, channel, by_actor, at) VALUES ($1, $2, $3, $4, $5)', [id, p.note, p.channel, p.by, p.at]);
      await tx.query(`UPDATE complaint_cases SET status = 'replied', replied_at = $2 WHERE id = $1 AND status = 'open'`, [id, p.at]);
      return true;
    });
  }

  async close(id: string, resolution: string, by: string, at: Date): Promise<boolean> {
    const rows = await this.db.query<Row>(
      `UPDATE complaint_cases SET status = 'closed', closed_at = $2, closed_by = $3, resolution = $4 WHERE id = $1 AND status <> 'closed' RETURNING id`,
      [id, at, by, resolution],
    );
    return rows.length > 0;
  }

  /**
   * Per owner, the cases opened in [from, to): their weight, and the weight of those answered in
   * time (a progress reply by the deadline) and resolved (closed); and the hotline's total.
   */
  async figures(from: Date, to: Date): Promise<{ total: boolean; agentId: string | null; cases: number; weight: number; answeredInTime: number; resolved: number; weightResolvedInTime: number }[]> {
    const rows = await this.db.query<Row>(
      `SELECT owner_agent_id, GROUPING(owner_agent_id) AS total, COUNT(*) AS cases, SUM(weight) AS weight,
         COUNT(*) FILTER (WHERE replied_at IS NOT NULL AND replied_at <= reply_due_at) AS in_time,
         COUNT(*) FILTER (WHERE status = 'closed') AS resolved,
         COALESCE(SUM(weight) FILTER (WHERE replied_at IS NOT NULL AND replied_at <= reply_due_at AND status = 'closed'), 0) AS weight_ok
       FROM complaint_cases WHERE opened_at >= $1 AND opened_at < $2
       GROUP BY ROLLUP (owner_agent_id)`,
      [from, to],
    );
    return rows.map((r) => ({
      total: Number(r.total) === 1,
      agentId: r.owner_agent_id === null ? null : String(r.owner_agent_id),
      cases: Number(r.cases),
      weight: Number(r.weight),
      answeredInTime: Number(r.in_time),
      resolved: Number(r.resolved),
      weightResolvedInTime: Number(r.weight_ok),
    }));
  }

  private async withDetail(cases: ComplaintCase[]): Promise<ComplaintCase[]> {
    if (cases.length === 0) return cases;
    const ids = cases.map((c) => c.id);
    const [calls, progress] = await Promise.all([
      this.db.query<Row>('SELECT k.case_id, k.call_id FROM complaint_calls k JOIN calls c ON c.id = k.call_id WHERE k.case_id = ANY($1::uuid[]) ORDER BY c.started_at, c.id', [ids]),
      this.db.query<Row>('SELECT * FROM complaint_progress WHERE case_id = ANY($1::uuid[]) ORDER BY at, id', [ids]),
    ]);
    const byId = new Map(cases.map((c) => [c.id, c]));
    for (const r of calls) byId.get(String(r.case_id))?.callIds.push(String(r.call_id));
    for (const r of progress) byId.get(String(r.case_id))?.progress.push({ note: String(r.note), channel: r.channel as 'call' | 'sms', by: String(r.by_actor), at: r.at as Date });
    return cases;
  }
}
