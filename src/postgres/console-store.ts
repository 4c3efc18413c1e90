import type { Db } from './db';

export interface CallInProgress {
  id: string;
  from: string;
  to: string;
  startedAt: Date;
  state: 'hunting' | 'connected';
  answeredByAgentId: string | null;
  acceptedAt: Date | null;
  waitingSince: Date | null;
  /** The agent whose phone is ringing for it now, if any. */
  ringingAgentId: string | null;
}

export interface HourOfWeekRow {
  /** ISO weekday, 1 = Monday. */
  weekday: number;
  hour: number;
  offered: number;
  answered: number;
}

type Row = Record<string, unknown>;

/** What the console reads that no API route lists: the calls live right now, and calls by hour of the week. */
export class PostgresConsoleStore {
  constructor(private readonly db: Db) {}

  async callsInProgress(): Promise<CallInProgress[]> {
    const rows = await this.db.query<Row>(
      `SELECT c.id, c.from_number, c.to_number, c.started_at, c.state, c.answered_by_agent_id, c.accepted_at, c.waiting_since,
              (SELECT a.agent_id FROM ring_attempts a WHERE a.call_id = c.id AND a.finished_at IS NULL AND a.accepted_at IS NULL
                ORDER BY a.seq DESC LIMIT 1) AS ringing_agent_id
         FROM calls c WHERE c.state IN ('hunting', 'connected') ORDER BY c.started_at, c.id`,
    );
    return rows.map((r) => ({
      id: r.id as string,
      from: r.from_number as string,
      to: r.to_number as string,
      startedAt: r.started_at as Date,
      state: r.state as 'hunting' | 'connected',
      answeredByAgentId: (r.answered_by_agent_id as string | null) ?? null,
      acceptedAt: (r.accepted_at as Date | null) ?? null,
      waitingSince: (r.waiting_since as Date | null) ?? null,
      ringingAgentId: (r.ringing_agent_id as string | null) ?? null,
    }));
  }

  /** Ended calls by local weekday and hour of arrival: the staffing gaps, as a heatmap. */
  async byHourOfWeek(from: Date, to: Date, timeZone: string): Promise<HourOfWeekRow[]> {
    const rows = await this.db.query<Row>(
      `SELECT to_char(started_at AT TIME ZONE $3, 'ID') AS weekday, to_char(started_at AT TIME ZONE $3, 'HH24') AS hour,
              COUNT(*) AS offered, COUNT(*) FILTER (WHERE outcome = 'answered') AS answered
         FROM calls WHERE started_at >= $1 AND started_at < $2 AND outcome IS NOT NULL AND NOT blocked AND NOT internal
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [from, to, timeZone],
    );
    return rows.map((r) => ({ weekday: Number(r.weekday), hour: Number(r.hour), offered: Number(r.offered), answered: Number(r.answered) }));
  }
}
