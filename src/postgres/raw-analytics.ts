import type { AgentSummaryRow, CallSummaryRow, OutcomeRow } from './analytics-store';
import type { Db } from './db';

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** One hour's or day's outcomes as both the raw query and the rollup query return them. */
export function toOutcomeRow(r: Record<string, unknown>): OutcomeRow {
  return {
    key: String(r.key),
    offered: Number(r.offered),
    answered: Number(r.answered),
    missed: Number(r.missed),
    abandoned: Number(r.abandoned),
    answeredWithinRule: Number(r.within_rule),
  };
}

/** An agent's figures as both the raw query and the rollup query return them. */
export function toAgentSummaryRow(r: Record<string, unknown>): AgentSummaryRow {
  return {
    agentId: String(r.agent_id),
    name: String(r.name),
    offers: Number(r.offers),
    offeredFirst: Number(r.offered_first),
    accepted: Number(r.accepted),
    noAnswer: Number(r.no_answer),
    rejectedByScreen: Number(r.rejected),
    averageRingSecondsWhenAccepted: num(r.ring),
  };
}

/** Calls that count in the figures: not refused by the blocklist, not from an internal number. */
const COUNTED_CALL = '(NOT blocked AND NOT internal)';

/**
 * The figures computed over the calls themselves, by their definitions (README "Figures"): what
 * the rollups of migration 0016 must add up to. The analytics store uses them for ranges that
 * hold no whole 15-minute slot, and the tests hold the rollups to them.
 */
export class RawAnalytics {
  constructor(private readonly db: Db) {}

  /** `hotline`: only calls to that number (R13). */
  async callSummary(from: Date, to: Date, hotline?: string): Promise<CallSummaryRow> {
    const [r] = await this.db.query<Record<string, unknown>>(
      `SELECT
         COUNT(*) FILTER (WHERE outcome IS NOT NULL)                        AS offered,
         COUNT(*) FILTER (WHERE outcome = 'answered')                       AS answered,
         COUNT(*) FILTER (WHERE outcome = 'missed')                         AS missed,
         COUNT(*) FILTER (WHERE outcome = 'abandoned')                      AS abandoned,
         COUNT(*) FILTER (WHERE outcome = 'answered' AND within_answer_rule) AS within_rule,
         AVG(wait_seconds) FILTER (WHERE outcome = 'answered')              AS asa,
         AVG(first_ring_seconds) FILTER (WHERE outcome IS NOT NULL)         AS first_ring_mean,
         percentile_cont(0.9) WITHIN GROUP (ORDER BY first_ring_seconds) FILTER (WHERE outcome IS NOT NULL) AS first_ring_p90,
         AVG(wait_seconds) FILTER (WHERE outcome = 'abandoned')             AS abandon_wait,
         AVG(talk_seconds) FILTER (WHERE outcome = 'answered')              AS talk
       FROM calls WHERE started_at >= $1 AND started_at < $2 AND ${COUNTED_CALL} AND ($3::text IS NULL OR to_number = $3::text)`,
      [from, to, hotline ?? null],
    );
    const [apart] = await this.db.query<Record<string, unknown>>(
      `SELECT COUNT(*) FILTER (WHERE blocked) AS blocked, COUNT(*) FILTER (WHERE internal AND NOT blocked) AS internal
       FROM calls WHERE started_at >= $1 AND started_at < $2 AND NOT ${COUNTED_CALL} AND ($3::text IS NULL OR to_number = $3::text)`,
      [from, to, hotline ?? null],
    );
    return {
      blocked: Number(apart!.blocked),
      internal: Number(apart!.internal),
      offered: Number(r!.offered),
      answered: Number(r!.answered),
      missed: Number(r!.missed),
      abandoned: Number(r!.abandoned),
      answeredWithinRule: Number(r!.within_rule),
      averageSpeedOfAnswerSeconds: num(r!.asa),
      firstRingSecondsMean: num(r!.first_ring_mean),
      firstRingSecondsP90: num(r!.first_ring_p90),
      averageAbandonWaitSeconds: num(r!.abandon_wait),
      averageTalkSeconds: num(r!.talk),
    };
  }

  async agentSummary(from: Date, to: Date, hotline?: string): Promise<AgentSummaryRow[]> {
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT a.agent_id, g.name,
         COUNT(*)                                                  AS offers,
         COUNT(*) FILTER (WHERE a.seq = 0)                         AS offered_first,
         COUNT(*) FILTER (WHERE a.outcome = 'accepted')            AS accepted,
         COUNT(*) FILTER (WHERE a.outcome IN ('no-answer', 'busy', 'failed')) AS no_answer,
         COUNT(*) FILTER (WHERE a.outcome = 'rejected-by-screen')  AS rejected,
         AVG(a.ring_seconds) FILTER (WHERE a.outcome = 'accepted') AS ring
       FROM ring_attempts a
       JOIN calls c ON c.id = a.call_id
       JOIN agents g ON g.id = a.agent_id
       WHERE c.started_at >= $1 AND c.started_at < $2 AND NOT c.blocked AND NOT c.internal AND ($3::text IS NULL OR c.to_number = $3::text)
         -- an offer is a phone that was rung: not one let go before dialling (callback asked, caller gone first)
         AND (a.initiated_at IS NOT NULL OR a.outcome IN ('accepted', 'no-answer', 'busy', 'failed', 'rejected-by-screen', 'not-bridged'))
       GROUP BY a.agent_id, g.name
       ORDER BY g.name`,
      [from, to, hotline ?? null],
    );
    return rows.map(toAgentSummaryRow);
  }

  /**
   * Ended calls grouped by local hour of arrival (0-23, where the staffing gaps are) or by local
   * date, in the hotline's time zone.
   */
  async outcomesBy(unit: 'hour' | 'day', from: Date, to: Date, timeZone: string, hotline?: string): Promise<OutcomeRow[]> {
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT to_char(started_at AT TIME ZONE $3, $4) AS key,
         COUNT(*)                                                           AS offered,
         COUNT(*) FILTER (WHERE outcome = 'answered')                       AS answered,
         COUNT(*) FILTER (WHERE outcome = 'missed')                         AS missed,
         COUNT(*) FILTER (WHERE outcome = 'abandoned')                      AS abandoned,
         COUNT(*) FILTER (WHERE outcome = 'answered' AND within_answer_rule) AS within_rule
       FROM calls WHERE started_at >= $1 AND started_at < $2 AND outcome IS NOT NULL AND ${COUNTED_CALL} AND ($5::text IS NULL OR to_number = $5::text)
       GROUP BY 1 ORDER BY 1`,
      [from, to, timeZone, unit === 'hour' ? 'HH24' : 'YYYY-MM-DD', hotline ?? null],
    );
    return rows.map(toOutcomeRow);
  }
}
