import type { Db } from './db';
import { PostgresTicketStore, type TicketFigure } from './ticket-store';

/**
 * The figures of the weekly summary (R7) beyond call answering: callbacks, ratings, fines,
 * call types, each overall and per agent, over one range of arrival (or creation) times.
 */
const n = (v: unknown) => Number(v ?? 0);
const avg = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export interface CallbackFigures {
  created: number;
  onTime: number;
  late: number;
  done: number;
  closed: number;
  unreachable: number;
  stillOpen: number;
}

export interface RatingFigures {
  offered: number;
  rated: number;
  average: number | null;
  distribution: Record<'1' | '2' | '3' | '4' | '5', number>;
}

export interface FineFigures {
  count: number;
  waived: number;
  total: number;
}

export interface AgentWeekRow {
  agentId: string;
  answered: number;
  answeredWithinRule: number;
  averageSpeedOfAnswerSeconds: number | null;
  averageTalkSeconds: number | null;
  ratings: number;
  averageRating: number | null;
  callbacksOwned: number;
  callbacksOnTime: number;
  callbacksLate: number;
  fines: number;
  fineTotal: number;
}

// A callback was returned on time when someone dialled the customer, the customer got through, or
// they phoned in and were answered, no later than its deadline (LEAST skips the NULLs).
const ON_TIME = 'LEAST(first_attempt_at, done_at, closed_at) <= due_at';
// A callback cancelled as a misdial was never owed: it is in none of the figures.
const OWED = `status <> 'cancelled'`;

export class PostgresReportStore {
  constructor(private readonly db: Db) {}

  /** Answered calls by the type the agent recorded (R5), 'unrecorded' while none is. */
  async byType(from: Date, to: Date): Promise<Record<string, number>> {
    const rows = await this.db.query<{ type: string; count: unknown }>(
      `SELECT COALESCE(call_type, 'unrecorded') AS type, COUNT(*) AS count
       FROM calls WHERE started_at >= $1 AND started_at < $2 AND outcome = 'answered' AND NOT blocked AND NOT internal
       GROUP BY 1 ORDER BY 1`,
      [from, to],
    );
    return Object.fromEntries(rows.map((r) => [r.type, n(r.count)]));
  }

  async callbacks(from: Date, to: Date, now: Date): Promise<CallbackFigures> {
    const [r] = await this.db.query<Record<string, unknown>>(
      `SELECT COUNT(*) AS created,
         COUNT(*) FILTER (WHERE ${ON_TIME}) AS on_time,
         COUNT(*) FILTER (WHERE due_at <= $3 AND NOT COALESCE(${ON_TIME}, false)) AS late,
         COUNT(*) FILTER (WHERE status = 'done') AS done,
         COUNT(*) FILTER (WHERE status = 'closed') AS closed,
         COUNT(*) FILTER (WHERE status = 'unreachable') AS unreachable,
         COUNT(*) FILTER (WHERE status IN ('open', 'attempted')) AS still_open
       FROM callbacks WHERE created_at >= $1 AND created_at < $2 AND ${OWED}`,
      [from, to, now],
    );
    return { created: n(r!.created), onTime: n(r!.on_time), late: n(r!.late), done: n(r!.done), closed: n(r!.closed), unreachable: n(r!.unreachable), stillOpen: n(r!.still_open) };
  }

  async ratings(from: Date, to: Date): Promise<RatingFigures> {
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT r.status, r.score, COUNT(*) AS count
       FROM call_ratings r JOIN calls c ON c.id = r.call_id AND NOT c.blocked AND NOT c.internal
       WHERE c.started_at >= $1 AND c.started_at < $2
       GROUP BY 1, 2`,
      [from, to],
    );
    const distribution = { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 };
    let offered = 0;
    let sum = 0;
    for (const r of rows) {
      offered += n(r.count);
      if (r.status === 'rated' && r.score !== null) {
        distribution[String(r.score) as keyof typeof distribution] += n(r.count);
        sum += n(r.score) * n(r.count);
      }
    }
    const rated = Object.values(distribution).reduce((a, b) => a + b, 0);
    return { offered, rated, average: rated === 0 ? null : sum / rated, distribution };
  }

  async fines(from: Date, to: Date): Promise<FineFigures> {
    const [r] = await this.db.query<Record<string, unknown>>(
      `SELECT COUNT(*) AS count, COUNT(*) FILTER (WHERE waived_at IS NOT NULL) AS waived,
         COALESCE(SUM(amount) FILTER (WHERE waived_at IS NULL), 0) AS total
       FROM fines WHERE lapsed_at >= $1 AND lapsed_at < $2`,
      [from, to],
    );
    return { count: n(r!.count), waived: n(r!.waived), total: n(r!.total) };
  }

  /** Per agent: the calls they answered, their ratings, the callbacks they owned, their fines. */
  async agents(from: Date, to: Date, now: Date): Promise<AgentWeekRow[]> {
    const [answered, ratings, callbacks, fines] = await Promise.all([
      this.db.query<Record<string, unknown>>(
        `SELECT answered_by_agent_id AS agent_id, COUNT(*) AS answered,
           COUNT(*) FILTER (WHERE within_answer_rule) AS within_rule,
           AVG(wait_seconds) AS asa, AVG(talk_seconds) AS talk
         FROM calls WHERE started_at >= $1 AND started_at < $2 AND outcome = 'answered' AND NOT blocked AND NOT internal
         GROUP BY 1`,
        [from, to],
      ),
      this.db.query<Record<string, unknown>>(
        `SELECT r.agent_id, COUNT(*) AS ratings, AVG(r.score) AS average
         FROM call_ratings r JOIN calls c ON c.id = r.call_id AND NOT c.blocked AND NOT c.internal
         WHERE c.started_at >= $1 AND c.started_at < $2 AND r.status = 'rated'
         GROUP BY 1`,
        [from, to],
      ),
      this.db.query<Record<string, unknown>>(
        `SELECT owner_agent_id AS agent_id, COUNT(*) AS owned,
           COUNT(*) FILTER (WHERE ${ON_TIME}) AS on_time,
           COUNT(*) FILTER (WHERE due_at <= $3 AND NOT COALESCE(${ON_TIME}, false)) AS late
         FROM callbacks WHERE created_at >= $1 AND created_at < $2 AND owner_agent_id IS NOT NULL AND ${OWED}
         GROUP BY 1`,
        [from, to, now],
      ),
      this.db.query<Record<string, unknown>>(
        `SELECT agent_id, COUNT(*) FILTER (WHERE waived_at IS NULL) AS fines,
           COALESCE(SUM(amount) FILTER (WHERE waived_at IS NULL), 0) AS total
         FROM fines WHERE lapsed_at >= $1 AND lapsed_at < $2
         GROUP BY 1`,
        [from, to],
      ),
    ]);
    const rows = new Map<string, AgentWeekRow>();
    const row = (id: unknown) => {
      const key = String(id);
      let r = rows.get(key);
      if (!r) {
        r = { agentId: key, answered: 0, answeredWithinRule: 0, averageSpeedOfAnswerSeconds: null, averageTalkSeconds: null, ratings: 0, averageRating: null, callbacksOwned: 0, callbacksOnTime: 0, callbacksLate: 0, fines: 0, fineTotal: 0 };
        rows.set(key, r);
      }
      return r;
    };
    for (const a of answered) Object.assign(row(a.agent_id), { answered: n(a.answered), answeredWithinRule: n(a.within_rule), averageSpeedOfAnswerSeconds: avg(a.asa), averageTalkSeconds: avg(a.talk) });
    for (const a of ratings) Object.assign(row(a.agent_id), { ratings: n(a.ratings), averageRating: avg(a.average) });
    for (const a of callbacks) Object.assign(row(a.agent_id), { callbacksOwned: n(a.owned), callbacksOnTime: n(a.on_time), callbacksLate: n(a.late) });
    for (const a of fines) Object.assign(row(a.agent_id), { fines: n(a.fines), fineTotal: n(a.total) });
    return [...rows.values()];
  }

  /** Tickets (工单) opened in [from, to), per owner and kind: on time, late, still open (src/postgres/ticket-store.ts). */
  async tickets(from: Date, to: Date, now: Date): Promise<TicketFigure[]> {
    return new PostgresTicketStore(this.db).figures(from, to, now);
  }
}
