import { percentileCont } from '../domain/percentile';
import { rollupPlan, type RollupPlan } from '../domain/rollup-slots';
import type { Db } from './db';
import { RawAnalytics, toAgentSummaryRow, toOutcomeRow } from './raw-analytics';
import { inRanges, onHotline, SqlParams, wholeRollupRows } from './rollup-sql';

export interface CallSummaryRow {
  /** Refused by the blocklist, and from internal numbers: counted apart, in no other figure (R10). */
  blocked: number;
  internal: number;
  offered: number;
  answered: number;
  missed: number;
  abandoned: number;
  answeredWithinRule: number;
  averageSpeedOfAnswerSeconds: number | null;
  /** How long after arrival the first agent's phone rang: mean and 90th percentile. */
  firstRingSecondsMean: number | null;
  firstRingSecondsP90: number | null;
  averageAbandonWaitSeconds: number | null;
  averageTalkSeconds: number | null;
}

export interface AgentSummaryRow {
  agentId: string;
  name: string;
  offers: number;
  offeredFirst: number;
  accepted: number;
  noAnswer: number;
  rejectedByScreen: number;
  averageRingSecondsWhenAccepted: number | null;
}

/** Outcomes of the calls that arrived in one local hour of the day ('00'-'23') or on one local date. */
export interface OutcomeRow {
  key: string;
  offered: number;
  answered: number;
  missed: number;
  abandoned: number;
  answeredWithinRule: number;
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const COUNTED = 'NOT blocked AND NOT internal';

/**
 * Aggregates over ended calls whose arrival falls in [from, to), read from the rollups of
 * migration 0016 for the whole 15-minute slots and UTC days of the range and from the calls for
 * its ragged edges (src/domain/rollup-slots.ts), so a year costs about what a day does. The
 * figures are those of RawAnalytics, by the same definitions; every filter the API takes (range,
 * hotline number) is in the rollups' keys.
 */
export class PostgresAnalyticsStore {
  private readonly raw: RawAnalytics;

  constructor(private readonly db: Db) {
    this.raw = new RawAnalytics(db);
  }

  /** `hotline`: only calls to that number (R13). */
  async callSummary(from: Date, to: Date, hotline?: string): Promise<CallSummaryRow> {
    const plan = rollupPlan(from, to);
    if (!plan.allSlots) return this.raw.callSummary(from, to, hotline);
    const [totals, firstRings] = await Promise.all([this.callTotals(plan, hotline), this.firstRingHistogram(plan, hotline)]);
    return { ...totals, firstRingSecondsP90: percentileCont(firstRings, 0.9) };
  }

  private async callTotals(plan: RollupPlan, hotline?: string): Promise<Omit<CallSummaryRow, 'firstRingSecondsP90'>> {
    const p = new SqlParams();
    const [r] = await this.db.query<Record<string, unknown>>(
      `WITH parts AS (
         SELECT blocked, internal, offered, answered, missed, abandoned, within_rule, wait_n, wait_sum, first_ring_n, first_ring_sum,
                abandon_wait_n, abandon_wait_sum, talk_n, talk_sum
         FROM call_rollups WHERE ${wholeRollupRows(plan, p)} AND ${onHotline('to_number', hotline, p)}
         UNION ALL
         SELECT COUNT(*) FILTER (WHERE blocked), COUNT(*) FILTER (WHERE internal AND NOT blocked),
           COUNT(*) FILTER (WHERE ${COUNTED} AND outcome IS NOT NULL),
           COUNT(*) FILTER (WHERE ${COUNTED} AND outcome = 'answered'),
           COUNT(*) FILTER (WHERE ${COUNTED} AND outcome = 'missed'),
           COUNT(*) FILTER (WHERE ${COUNTED} AND outcome = 'abandoned'),
           COUNT(*) FILTER (WHERE ${COUNTED} AND outcome = 'answered' AND within_answer_rule),
           COUNT(wait_seconds) FILTER (WHERE ${COUNTED} AND outcome = 'answered'),
           SUM(wait_seconds::numeric) FILTER (WHERE ${COUNTED} AND outcome = 'answered'),
           COUNT(first_ring_seconds) FILTER (WHERE ${COUNTED} AND outcome IS NOT NULL),
           SUM(first_ring_seconds::numeric) FILTER (WHERE ${COUNTED} AND outcome IS NOT NULL),
           COUNT(wait_seconds) FILTER (WHERE ${COUNTED} AND outcome = 'abandoned'),
           SUM(wait_seconds::numeric) FILTER (WHERE ${COUNTED} AND outcome = 'abandoned'),
           COUNT(talk_seconds) FILTER (WHERE ${COUNTED} AND outcome = 'answered'),
           SUM(talk_seconds::numeric) FILTER (WHERE ${COUNTED} AND outcome = 'answered')
         FROM calls WHERE ${inRanges('started_at', plan.raw, p)} AND ${onHotline('to_number', hotline, p)}
       )
       SELECT SUM(blocked) AS blocked, SUM(internal) AS internal, SUM(offered) AS offered, SUM(answered) AS answered,
         SUM(missed) AS missed, SUM(abandoned) AS abandoned, SUM(within_rule) AS within_rule,
         SUM(wait_sum) / NULLIF(SUM(wait_n), 0) AS asa,
         SUM(first_ring_sum) / NULLIF(SUM(first_ring_n), 0) AS first_ring_mean,
         SUM(abandon_wait_sum) / NULLIF(SUM(abandon_wait_n), 0) AS abandon_wait,
         SUM(talk_sum) / NULLIF(SUM(talk_n), 0) AS talk
       FROM parts`,
      p.values,
    );
    const count = (v: unknown) => Number(v ?? 0);
    return {
      blocked: count(r!.blocked),
      internal: count(r!.internal),
      offered: count(r!.offered),
      answered: count(r!.answered),
      missed: count(r!.missed),
      abandoned: count(r!.abandoned),
      answeredWithinRule: count(r!.within_rule),
      averageSpeedOfAnswerSeconds: num(r!.asa),
      firstRingSecondsMean: num(r!.first_ring_mean),
      averageAbandonWaitSeconds: num(r!.abandon_wait),
      averageTalkSeconds: num(r!.talk),
    };
  }

  /** Every first-ring value of the range's ended calls with how many calls had it, by value. */
  private async firstRingHistogram(plan: RollupPlan, hotline?: string): Promise<{ value: number; count: number }[]> {
    const p = new SqlParams();
    const rows = await this.db.query<{ seconds: unknown; calls: unknown }>(
      `SELECT seconds, SUM(calls) AS calls FROM (
         SELECT seconds, calls FROM first_ring_rollups WHERE ${wholeRollupRows(plan, p)} AND ${onHotline('to_number', hotline, p)}
         UNION ALL
         SELECT first_ring_seconds, COUNT(*) FROM calls
         WHERE ${inRanges('started_at', plan.raw, p)} AND ${onHotline('to_number', hotline, p)}
           AND ${COUNTED} AND outcome IS NOT NULL AND first_ring_seconds IS NOT NULL
         GROUP BY 1
       ) parts
       GROUP BY seconds HAVING SUM(calls) > 0 ORDER BY seconds`,
      p.values,
    );
    return rows.map((r) => ({ value: Number(r.seconds), count: Number(r.calls) }));
  }

  async agentSummary(from: Date, to: Date, hotline?: string): Promise<AgentSummaryRow[]> {
    const plan = rollupPlan(from, to);
    if (!plan.allSlots) return this.raw.agentSummary(from, to, hotline);
    const p = new SqlParams();
    const rows = await this.db.query<Record<string, unknown>>(
      `WITH parts AS (
         SELECT agent_id, offers, offered_first, accepted, no_answer, rejected_by_screen AS rejected,
                accepted_ring_n AS ring_n, accepted_ring_sum AS ring_sum
         FROM agent_rollups WHERE ${wholeRollupRows(plan, p)} AND ${onHotline('to_number', hotline, p)}
         UNION ALL
         SELECT a.agent_id, COUNT(*), COUNT(*) FILTER (WHERE a.seq = 0), COUNT(*) FILTER (WHERE a.outcome = 'accepted'),
           COUNT(*) FILTER (WHERE a.outcome IN ('no-answer', 'busy', 'failed')),
           COUNT(*) FILTER (WHERE a.outcome = 'rejected-by-screen'),
           COUNT(a.ring_seconds) FILTER (WHERE a.outcome = 'accepted'),
           SUM(a.ring_seconds::numeric) FILTER (WHERE a.outcome = 'accepted')
         FROM ring_attempts a JOIN calls c ON c.id = a.call_id
         WHERE ${inRanges('c.started_at', plan.raw, p)} AND NOT c.blocked AND NOT c.internal AND ${onHotline('c.to_number', hotline, p)}
           AND (a.initiated_at IS NOT NULL OR a.outcome IN ('accepted', 'no-answer', 'busy', 'failed', 'rejected-by-screen', 'not-bridged'))
         GROUP BY a.agent_id
       )
       SELECT x.agent_id, g.name, SUM(x.offers) AS offers, SUM(x.offered_first) AS offered_first, SUM(x.accepted) AS accepted,
         SUM(x.no_answer) AS no_answer, SUM(x.rejected) AS rejected, SUM(x.ring_sum) / NULLIF(SUM(x.ring_n), 0) AS ring
       FROM parts x JOIN agents g ON g.id = x.agent_id
       GROUP BY x.agent_id, g.name
       HAVING SUM(x.offers) > 0
       ORDER BY g.name`,
      p.values,
    );
    return rows.map(toAgentSummaryRow);
  }

  /** The calls from internal numbers, listed apart from the figures (the weekly summary shows them). */
  async internalCalls(from: Date, to: Date): Promise<{ id: string; from: string; startedAt: Date; outcome: string | null; answeredByAgentId: string | null }[]> {
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT id, from_number, started_at, outcome, answered_by_agent_id FROM calls
       WHERE started_at >= $1 AND started_at < $2 AND internal AND NOT blocked ORDER BY started_at, id`,
      [from, to],
    );
    return rows.map((r) => ({ id: String(r.id), from: String(r.from_number), startedAt: r.started_at as Date, outcome: (r.outcome as string | null) ?? null, answeredByAgentId: (r.answered_by_agent_id as string | null) ?? null }));
  }

  /**
   * Ended calls grouped by local hour of arrival (0-23, where the staffing gaps are) or by local
   * date, in the hotline's time zone. Each 15-minute slot lies in one local hour, as every time
   * zone's offset is a whole number of quarter hours.
   */
  async outcomesBy(unit: 'hour' | 'day', from: Date, to: Date, timeZone: string, hotline?: string): Promise<OutcomeRow[]> {
    const plan = rollupPlan(from, to);
    if (!plan.allSlots) return this.raw.outcomesBy(unit, from, to, timeZone, hotline);
    const p = new SqlParams();
    const zone = p.add(timeZone);
    const format = p.add(unit === 'hour' ? 'HH24' : 'YYYY-MM-DD');
    const rows = await this.db.query<Record<string, unknown>>(
      `WITH parts AS (
         SELECT to_char(slot_start AT TIME ZONE ${zone}::text, ${format}::text) AS key, offered, answered, missed, abandoned, within_rule
         FROM call_rollups WHERE span_seconds = 900 AND ${inRanges('slot_start', [plan.allSlots], p)} AND ${onHotline('to_number', hotline, p)}
         UNION ALL
         SELECT to_char(started_at AT TIME ZONE ${zone}::text, ${format}::text), COUNT(*), COUNT(*) FILTER (WHERE outcome = 'answered'),
           COUNT(*) FILTER (WHERE outcome = 'missed'), COUNT(*) FILTER (WHERE outcome = 'abandoned'),
           COUNT(*) FILTER (WHERE outcome = 'answered' AND within_answer_rule)
         FROM calls WHERE ${inRanges('started_at', plan.raw, p)} AND outcome IS NOT NULL AND ${COUNTED} AND ${onHotline('to_number', hotline, p)}
         GROUP BY 1
       )
       SELECT key, SUM(offered) AS offered, SUM(answered) AS answered, SUM(missed) AS missed, SUM(abandoned) AS abandoned,
         SUM(within_rule) AS within_rule
       FROM parts GROUP BY key HAVING SUM(offered) > 0 ORDER BY key`,
      p.values,
    );
    return rows.map(toOutcomeRow);
  }
}
