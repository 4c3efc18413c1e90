import type { DatedShift, DutyPlan, LeaveKind, LeaveSpan, WeeklySlot } from '../domain/shifts';
import type { PausedReason, SkippedAgent } from '../domain/ports';
import type { Db, Queryable } from './db';
import { SkipNotes } from './skip-notes';

export interface Shift extends DatedShift {
  id: string;
  agentId: string;
  createdAt: Date;
}

export interface Leave extends LeaveSpan {
  createdAt: Date;
  callbacksMovedAt: Date | null;
}

export interface Hotline {
  id: string;
  number: string;
  name: string;
  language: 'zh-CN' | 'en-US' | null;
  greeting: string | null;
  agentIds: string[];
  /** Rung on a holiday, all day (migration 0036). */
  standbyAgentIds: string[];
  createdAt: Date;
  updatedAt: Date;
}

type Row = Record<string, unknown>;

const toShift = (r: Row): Shift => ({
  id: r.id as string,
  agentId: r.agent_id as string,
  start: r.start_at as Date,
  end: r.end_at as Date,
  kind: r.kind as 'on' | 'off',
  createdAt: r.created_at as Date,
});

const toLeave = (r: Row): Leave => ({
  id: r.id as string,
  agentId: r.agent_id as string,
  substituteAgentId: r.substitute_agent_id as string,
  start: r.start_at as Date,
  end: r.end_at as Date,
  kind: r.kind as LeaveKind,
  createdAt: r.created_at as Date,
  callbacksMovedAt: (r.callbacks_moved_at as Date | null) ?? null,
});

const parseJson = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

/** Shifts, weekly patterns, leave, hotline groups, pauses and skips: the roster's records. */
export class PostgresRosterStore {
  private readonly skips: SkipNotes;

  constructor(private readonly db: Db) {
    this.skips = new SkipNotes(db);
  }

  async schedule(agentId: string): Promise<WeeklySlot[] | null> {
    const rows = await this.db.query<Row>('SELECT weekly FROM agent_schedules WHERE agent_id = $1', [agentId]);
    return rows[0] ? parseJson<WeeklySlot[]>(rows[0].weekly) : null;
  }

  /** Sets the weekly pattern; an empty one removes it. */
  async setSchedule(agentId: string, weekly: WeeklySlot[], at: Date): Promise<void> {
    if (weekly.length === 0) {
      await this.db.query('DELETE FROM agent_schedules WHERE agent_id = $1', [agentId]);
      return;
    }
    await this.db.query(
      `INSERT INTO agent_schedules (agent_id, weekly, updated_at) VALUES ($1, $2::jsonb, $3)
       ON CONFLICT (agent_id) DO UPDATE SET weekly = EXCLUDED.weekly, updated_at = EXCLUDED.updated_at`,
      [agentId, JSON.stringify(weekly), at],
    );
  }

  async addShift(s: { agentId: string; start: Date; end: Date; kind: 'on' | 'off' }, at: Date): Promise<Shift> {
    const rows = await this.db.query<Row>(
      'INSERT INTO shifts (agent_id, start_at, end_at, kind, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING *',
      [s.agentId, s.start, s.end, s.kind, at],
    );
    return toShift(rows[0]!);
  }

  async getShift(id: string): Promise<Shift | null> {
    const rows = await this.db.query<Row>('SELECT * FROM shifts WHERE id = $1', [id]);
    return rows[0] ? toShift(rows[0]) : null;
  }

  async deleteShift(id: string): Promise<boolean> {
    return (await this.db.query<Row>('DELETE FROM shifts WHERE id = $1 RETURNING id', [id])).length > 0;
  }

  async listShifts(from: Date, to: Date): Promise<Shift[]> {
    const rows = await this.db.query<Row>('SELECT * FROM shifts WHERE start_at < $2 AND end_at > $1 ORDER BY start_at, id', [from, to]);
    return rows.map(toShift);
  }

  /** Every active agent's duty plan, with the dated shifts overlapping [from, to). */
  async plans(agentIds: readonly string[], from: Date, to: Date): Promise<DutyPlan[]> {
    if (agentIds.length === 0) return [];
    const [schedules, shifts, withShifts] = await Promise.all([
      this.db.query<Row>('SELECT agent_id, weekly FROM agent_schedules WHERE agent_id = ANY($1::uuid[])', [agentIds]),
      this.db.query<Row>('SELECT * FROM shifts WHERE agent_id = ANY($1::uuid[]) AND start_at < $3 AND end_at > $2', [agentIds, from, to]),
      this.db.query<Row>('SELECT DISTINCT agent_id FROM shifts WHERE agent_id = ANY($1::uuid[])', [agentIds]),
    ]);
    const weekly = new Map(schedules.map((r) => [r.agent_id as string, parseJson<WeeklySlot[]>(r.weekly)]));
    const has = new Set(withShifts.map((r) => r.agent_id as string));
    return agentIds.map((agentId) => ({
      agentId,
      weekly: weekly.get(agentId) ?? null,
      shifts: shifts.filter((r) => r.agent_id === agentId).map(toShift),
      hasShifts: has.has(agentId),
    }));
  }

  async leavesOverlapping(from: Date, to: Date, q: Queryable = this.db): Promise<Leave[]> {
    const rows = await q.query<Row>('SELECT * FROM leaves WHERE start_at < $2 AND end_at > $1 ORDER BY start_at, id', [from, to]);
    return rows.map(toLeave);
  }

  async listLeaves(): Promise<Leave[]> {
    return (await this.db.query<Row>('SELECT * FROM leaves ORDER BY start_at DESC, id')).map(toLeave);
  }

  async getLeave(id: string): Promise<Leave | null> {
    const rows = await this.db.query<Row>('SELECT * FROM leaves WHERE id = $1', [id]);
    return rows[0] ? toLeave(rows[0]) : null;
  }

  /**
   * Records a leave after `check` has seen the leaves overlapping it, under a lock on the table so
   * two overlapping annual leaves cannot both pass the check at once.
   */
  async addLeave(
    l: { agentId: string; substituteAgentId: string; start: Date; end: Date; kind: LeaveKind },
    at: Date,
    check: (overlapping: Leave[]) => void,
  ): Promise<Leave> {
    return this.db.transaction(async (tx) => {
      await tx.query('LOCK TABLE leaves IN SHARE ROW EXCLUSIVE MODE');
      check(await this.leavesOverlapping(l.start, l.end, tx));
      const rows = await tx.query<Row>(
        `INSERT INTO leaves (agent_id, substitute_agent_id, start_at, end_at, kind, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [l.agentId, l.substituteAgentId, l.start, l.end, l.kind, at],
      );
      return toLeave(rows[0]!);
    });
  }

  async deleteLeave(id: string): Promise<boolean> {
    return (await this.db.query<Row>('DELETE FROM leaves WHERE id = $1 RETURNING id', [id])).length > 0;
  }

  /** Leaves that have begun and whose callbacks were not handed over yet; marks them, once. */
  async takeBegunLeaves(now: Date): Promise<Leave[]> {
    const rows = await this.db.query<Row>(
      `UPDATE leaves SET callbacks_moved_at = $1 WHERE callbacks_moved_at IS NULL AND start_at <= $1 AND end_at > $1 RETURNING *`,
      [now],
    );
    return rows.map(toLeave);
  }

  /** Why agents were passed over for this call (SkipNotes: a bounded number of rows per offer). */
  noteSkipped(callId: string, skipped: readonly SkippedAgent[], at: Date): Promise<void> {
    return this.skips.note(callId, skipped, at);
  }

  /** Pauses or resumes an agent, saying why; returns false when nothing changed. */
  async setPaused(agentId: string, paused: boolean, reason: PausedReason, at: Date): Promise<boolean> {
    const rows = await this.db.query<Row>(
      `UPDATE agents SET paused = $2, paused_reason = CASE WHEN $2 THEN $3 END, paused_at = CASE WHEN $2 THEN $4::timestamptz END,
         missed_offers = 0, updated_at = now()
       WHERE id = $1 AND active AND paused <> $2 RETURNING id`,
      [agentId, paused, reason, at],
    );
    return rows.length > 0;
  }

  /** Counts one more missed offer in a row; returns the streak. */
  async countMissedOffer(agentId: string): Promise<number> {
    const rows = await this.db.query<Row>('UPDATE agents SET missed_offers = missed_offers + 1 WHERE id = $1 RETURNING missed_offers', [agentId]);
    return Number(rows[0]?.missed_offers ?? 0);
  }

  async resetMissedOffers(agentId: string): Promise<void> {
    await this.db.query('UPDATE agents SET missed_offers = 0 WHERE id = $1 AND missed_offers <> 0', [agentId]);
  }

  /** Agents the auto-pause took off at or before `before`. */
  async autoPausedBefore(before: Date): Promise<string[]> {
    const rows = await this.db.query<Row>(`SELECT id FROM agents WHERE active AND paused AND paused_reason = 'auto-pause' AND paused_at <= $1`, [before]);
    return rows.map((r) => r.id as string);
  }

  private async hotlineRows(where: string, params: unknown[]): Promise<Hotline[]> {
    const rows = await this.db.query<Row>(
      `SELECT h.*, COALESCE((SELECT array_agg(agent_id::text ORDER BY agent_id) FROM hotline_agents WHERE hotline_id = h.id), '{}') AS agent_ids,
              h.standby_agent_ids::text[] AS standby_ids
       FROM hotlines h ${where} ORDER BY h.created_at, h.id`,
      params,
    );
    return rows.map((r) => ({
      id: r.id as string,
      number: r.number as string,
      name: r.name as string,
      language: (r.language as Hotline['language']) ?? null,
      greeting: (r.greeting as string | null) ?? null,
      agentIds: (r.agent_ids as string[]) ?? [],
      standbyAgentIds: (r.standby_ids as string[]) ?? [],
      createdAt: r.created_at as Date,
      updatedAt: r.updated_at as Date,
    }));
  }

  listHotlines(): Promise<Hotline[]> {
    return this.hotlineRows('', []);
  }

  async getHotline(id: string): Promise<Hotline | null> {
    return (await this.hotlineRows('WHERE h.id = $1', [id]))[0] ?? null;
  }

  async hotlineByNumber(number: string): Promise<Hotline | null> {
    return (await this.hotlineRows('WHERE h.number = $1', [number]))[0] ?? null;
  }

  /** Creates (no id) or updates a hotline and replaces its group when agentIds is given; null when the number is taken. */
  async saveHotline(
    id: string | null,
    h: { number?: string; name?: string; language?: string | null; greeting?: string | null; agentIds?: string[]; standbyAgentIds?: string[] },
    at: Date,
  ): Promise<string | null> {
    try {
      return await this.db.transaction(async (tx) => {
        let hotlineId = id;
        if (hotlineId === null) {
          const rows = await tx.query<Row>(
            'INSERT INTO hotlines (number, name, language, greeting, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id',
            [h.number, h.name, h.language ?? null, h.greeting ?? null, at],
          );
          hotlineId = rows[0]!.id as string;
        } else {
          await tx.query(
            `UPDATE hotlines SET number = COALESCE($2, number), name = COALESCE($3, name),
               language = CASE WHEN $4::boolean THEN $5 ELSE language END,
               greeting = CASE WHEN $6::boolean THEN $7 ELSE greeting END, updated_at = $8
             WHERE id = $1`,
            [hotlineId, h.number ?? null, h.name ?? null, h.language !== undefined, h.language ?? null, h.greeting !== undefined, h.greeting ?? null, at],
          );
        }
        if (h.standbyAgentIds) {
          await tx.query('UPDATE hotlines SET standby_agent_ids = $2::uuid[] WHERE id = $1', [hotlineId, [...new Set(h.standbyAgentIds)]]);
        }
        if (h.agentIds) {
          await tx.query('DELETE FROM hotline_agents WHERE hotline_id = $1', [hotlineId]);
          await tx.query('INSERT INTO hotline_agents (hotline_id, agent_id) SELECT $1, unnest($2::uuid[])', [hotlineId, [...new Set(h.agentIds)]]);
        }
        return hotlineId;
      });
    } catch (err) {
      if ((err as { code?: string }).code === '23505') return null;
      throw err;
    }
  }
}
