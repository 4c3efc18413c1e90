import { Router } from 'express';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { ratio } from '../api/json';
import type { Container, Feature } from '../container';
import { gradeAgent, type GradeRule } from '../domain/agent-grade';
import type { Agent } from '../domain/ports';
import { PostgresComplaintStore } from '../postgres/complaint-store';
import { PostgresReportStore } from '../postgres/report-store';
import { qcOf } from '../quality/qc-feature';
import { parseInput } from '../validation';

/** On the roster at some moment of [from, to): joined before its end, and still active or left after its start. */
function onRosterDuring(a: Pick<Agent, 'createdAt' | 'deactivatedAt'>, from: Date, to: Date): boolean {
  return a.createdAt < to && (a.deactivatedAt === null || a.deactivatedAt >= from);
}

const monthQuery = z.object({ month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM, e.g. 2026-11').optional() });
/** The schemas the handlers below validate with, for the API description (src/api/openapi-catalogue.ts). */
export const monthlyReportSchemas = { monthQuery };

/**
 * GET /api/reports/monthly?month=YYYY-MM (default: the last complete month, in the hotline's time
 * zone): the monthly evaluation (R8). The hotline's answer, resolution and callback rates head it;
 * each agent's figures, score and grade follow (src/domain/agent-grade.ts, README "Monthly evaluation").
 * Blocked and internal calls are in none of it.
 */
export function monthlyReportFeature(c: Container): Feature {
  const report = monthlyReport(c);
  return {
    name: 'monthly-report',
    apiRoutes(router) {
      const r = Router();
      r.get('/reports/monthly', async (req, res) => {
        const q = parseInput(monthQuery, req.query);
        res.json(await report(q.month));
      });
      router.use(r);
    },
  };
}

export type MonthlyReport = Awaited<ReturnType<ReturnType<typeof monthlyReport>>>;

/** The monthly evaluation of a month (YYYY-MM; default the last complete one), as GET /api/reports/monthly, the console's page and the agent's page show it. */
export function monthlyReport(c: Container) {
  const reports = new PostgresReportStore(c.db);
  const complaints = new PostgresComplaintStore(c.db);
  const rule: GradeRule = { weights: c.config.GRADE_WEIGHTS, thresholds: c.config.GRADE_THRESHOLDS, finePoints: c.config.GRADE_FINE_POINTS };
  const tz = c.config.TIME_ZONE;

  return async (month: string | undefined) => {
    const now = c.clock.now();
    const start = month ? DateTime.fromFormat(month, 'yyyy-MM', { zone: tz }) : DateTime.fromJSDate(now, { zone: tz }).startOf('month').minus({ months: 1 });
    const from = start.toJSDate();
    const to = start.plus({ months: 1 }).toJSDate();
    const qc = qcOf(c);
    const [calls, callbacks, perAgent, offers, cases, roster, quality, tickets] = await Promise.all([
      c.analytics.callSummary(from, to),
      reports.callbacks(from, to, now),
      reports.agents(from, to, now),
      c.analytics.agentSummary(from, to),
      complaints.figures(from, to),
      c.agents.list({ includeInactive: true }),
      qc ? qc.monthFigures(from, to) : new Map<string, { reviews: number; quality: number | null }>(),
      reports.tickets(from, to, now),
    ]);
    const total = cases.find((x) => x.total);
    // The resolution rate counts every ticket kind with its weight (a complaint's repeats count
    // double, any other ticket once): resolved on time over all. With complaints only, as before.
    const resolution = (agentId?: string) => {
      const own = tickets.filter((f) => agentId === undefined || f.agentId === agentId);
      return { weight: own.reduce((n, f) => n + f.weight, 0), resolvedOnTime: own.reduce((n, f) => n + f.weightResolvedOnTime, 0) };
    };
    const allTickets = resolution();
    // Everyone on the roster during the month is listed, graded or not (an idle agent is a
    // supervisor's question too), and anyone else with figures in it.
    const ids = new Set([
      ...roster.filter((a) => onRosterDuring(a, from, to)).map((a) => a.id),
      ...perAgent.map((a) => a.agentId),
      ...offers.map((o) => o.agentId),
      ...cases.filter((x) => !x.total && x.agentId).map((x) => x.agentId!),
      ...tickets.filter((f) => f.agentId).map((f) => f.agentId!),
      ...quality.keys(),
    ]);
    const agents = [...ids].map((agentId) => {
      const a = perAgent.find((p) => p.agentId === agentId);
      const o = offers.find((p) => p.agentId === agentId);
      const k = cases.find((x) => !x.total && x.agentId === agentId);
      const q = quality.get(agentId);
      const r = resolution(agentId);
      const m = {
        offers: o?.offers ?? 0,
        accepted: o?.accepted ?? 0,
        answered: a?.answered ?? 0,
        answeredWithinRule: a?.answeredWithinRule ?? 0,
        callbacksOnTime: a?.callbacksOnTime ?? 0,
        callbacksLate: a?.callbacksLate ?? 0,
        complaintWeight: r.weight,
        complaintWeightResolvedInTime: r.resolvedOnTime,
        averageRating: a?.averageRating ?? null,
        fines: a?.fines ?? 0,
        quality: q?.quality ?? null,
      };
      const g = gradeAgent(m, rule);
      return {
        agentId,
        name: roster.find((r) => r.id === agentId)?.name ?? null,
        offers: m.offers,
        accepted: m.accepted,
        acceptRate: g.rates.accept,
        answered: m.answered,
        answeredWithinRule: m.answeredWithinRule,
        withinRuleRate: g.rates.withinRule,
        callbacksOwned: a?.callbacksOwned ?? 0,
        callbacksOnTime: m.callbacksOnTime,
        callbacksLate: m.callbacksLate,
        returnVisitRate: g.rates.callbacks,
        complaintCases: k?.cases ?? 0,
        complaintWeight: k?.weight ?? 0,
        complaintsAnsweredInTime: k?.answeredInTime ?? 0,
        complaintsResolved: k?.resolved ?? 0,
        resolutionRate: g.rates.complaints,
        ratings: a?.ratings ?? 0,
        averageRating: m.averageRating,
        fines: m.fines,
        fineTotal: a?.fineTotal ?? 0,
        qcReviews: q?.reviews ?? 0,
        quality: g.rates.quality,
        score: g.score,
        grade: g.grade,
      };
    });
    return {
      month: start.toFormat('yyyy-MM'),
      timeZone: tz,
      from: from.toISOString(),
      to: to.toISOString(),
      complete: to <= now,
      hotline: {
        answerRate: ratio(calls.answered, calls.offered),
        resolutionRate: ratio(allTickets.resolvedOnTime, allTickets.weight),
        callbackRate: ratio(callbacks.onTime, callbacks.onTime + callbacks.late),
        offered: calls.offered,
        answered: calls.answered,
        answeredWithinRule: calls.answeredWithinRule,
        blocked: calls.blocked,
        internal: calls.internal,
        complaintCases: total?.cases ?? 0,
        complaintWeight: total?.weight ?? 0,
        ticketWeight: allTickets.weight,
        ticketWeightResolvedOnTime: allTickets.resolvedOnTime,
        callbacksOnTime: callbacks.onTime,
        callbacksLate: callbacks.late,
      },
      gradeRule: rule,
      agents: agents.sort((x, y) => String(x.name).localeCompare(String(y.name))),
    };
  };
}
