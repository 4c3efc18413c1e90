import { Router } from 'express';
import { z } from 'zod';
import type { Clock } from '../domain/clock';
import type { AgentStore } from '../domain/ports';
import { isoWeekRange, lastCompleteWeek, weekDates } from '../domain/report-week';
import { BadRequestError } from '../errors';
import type { PostgresAnalyticsStore } from '../postgres/analytics-store';
import type { PostgresReportStore } from '../postgres/report-store';
import { parseInput } from '../validation';
import { callFigures, ratio } from './json';

const weekQuery = z.object({ week: z.string().max(10).optional() });
/** The schemas the handlers below validate with, for the API description (src/api/openapi-catalogue.ts). */
export const weeklyReportSchemas = { weekQuery };

export interface ReportDeps {
  analytics: PostgresAnalyticsStore;
  reports: PostgresReportStore;
  agents: AgentStore;
  clock: Clock;
  timeZone: string;
}

/**
 * The weekly summary (R7): answered and unanswered calls, callbacks on time, ratings and fines,
 * for the hotline and for each agent, over one ISO week in the hotline's time zone.
 */
export function reportsRoutes(d: ReportDeps): Router {
  const router = Router();
  router.get('/reports/weekly', async (req, res) => {
    const q = parseInput(weekQuery, req.query);
    res.json(await weeklyReport(d, q.week));
  });
  return router;
}

/** The weekly summary of an ISO week (default: the last complete one), as the API and the console show it. */
export async function weeklyReport(d: ReportDeps, week: string | undefined) {
  const now = d.clock.now();
  const range = week ? isoWeekRange(week, d.timeZone) : lastCompleteWeek(now, d.timeZone);
  if (!range) throw new BadRequestError('week: must be an ISO week such as 2026-W48', 'week');
  const { from, to } = range;
  const [calls, days, types, callbacks, ratings, fines, perAgent, offers, roster, internalCalls] = await Promise.all([
    d.analytics.callSummary(from, to),
    d.analytics.outcomesBy('day', from, to, d.timeZone),
    d.reports.byType(from, to),
    d.reports.callbacks(from, to, now),
    d.reports.ratings(from, to),
    d.reports.fines(from, to),
    d.reports.agents(from, to, now),
    d.analytics.agentSummary(from, to),
    d.agents.list({ includeInactive: true }),
    d.analytics.internalCalls(from, to),
  ]);
  const ticketFigures = await d.reports.tickets(from, to, now);
  const byDay = new Map(days.map((x) => [x.key, x]));
  const agentIds = new Set([...perAgent.map((a) => a.agentId), ...offers.map((o) => o.agentId)]);
  return {
    week: range.week,
    timeZone: d.timeZone,
    from: from.toISOString(),
    to: to.toISOString(),
    complete: to <= now,
    calls: {
      ...callFigures(calls),
      byType: types,
    },
    days: weekDates(range, d.timeZone).map((date) => {
      const x = byDay.get(date);
      return { date, offered: x?.offered ?? 0, answered: x?.answered ?? 0, missed: x?.missed ?? 0, abandoned: x?.abandoned ?? 0, serviceLevel: x ? ratio(x.answeredWithinRule, x.offered) : null };
    }),
    // Listed apart: these calls are in no figure above or below.
    internalCalls: internalCalls.map((x) => ({ callId: x.id, from: x.from, startedAt: x.startedAt.toISOString(), outcome: x.outcome, answeredByAgentId: x.answeredByAgentId })),
    callbacks: { ...callbacks, onTimeRate: ratio(callbacks.onTime, callbacks.onTime + callbacks.late) },
    ratings,
    fines,
    agents: [...agentIds].map((id) => {
      const a = perAgent.find((p) => p.agentId === id);
      const o = offers.find((p) => p.agentId === id);
      return {
        agentId: id,
        name: roster.find((r) => r.id === id)?.name ?? null,
        offers: o?.offers ?? 0,
        accepted: o?.accepted ?? 0,
        acceptRate: ratio(o?.accepted ?? 0, o?.offers ?? 0),
        answeredWithinRule: a?.answeredWithinRule ?? 0,
        averageSpeedOfAnswerSeconds: a?.averageSpeedOfAnswerSeconds ?? null,
        averageTalkSeconds: a?.averageTalkSeconds ?? null,
        ratings: a?.ratings ?? 0,
        averageRating: a?.averageRating ?? null,
        callbacksOwned: a?.callbacksOwned ?? 0,
        callbacksOnTime: a?.callbacksOnTime ?? 0,
        callbacksLate: a?.callbacksLate ?? 0,
        fines: a?.fines ?? 0,
        fineTotal: a?.fineTotal ?? 0,
      };
    }).sort((x, y) => String(x.name).localeCompare(String(y.name))),
    // Tickets (工单) opened in the week, per owner and kind: on time (closed, a complaint replied, by its due time), late, still open.
    tickets: ticketFigures.map((f) => ({
      agentId: f.agentId,
      name: roster.find((r) => r.id === f.agentId)?.name ?? null,
      kind: f.kind,
      tickets: f.tickets,
      onTime: f.onTime,
      late: f.late,
      open: f.open,
      onTimeRate: ratio(f.onTime, f.onTime + f.late),
    })),
  };
}
