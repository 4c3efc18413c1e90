import { Router } from 'express';
import { z } from 'zod';
import type { Clock } from '../domain/clock';
import { BadRequestError } from '../errors';
import type { PostgresAnalyticsStore } from '../postgres/analytics-store';
import { parseInput } from '../validation';
import { callFigures, ratio } from './json';

const rangeQuery = z.object({
  from: z.coerce.date({ message: 'must be an ISO 8601 date-time' }).optional(),
  to: z.coerce.date({ message: 'must be an ISO 8601 date-time' }).optional(),
  hotline: z.string().trim().regex(/^\+[1-9]\d{6,14}$/, 'must be the hotline number (E.164)').optional(),
});

/** The schemas the handlers below validate with, for the API description (src/api/openapi-catalogue.ts). */
export const analyticsSchemas = { rangeQuery };

const WEEK_MS = 7 * 24 * 3600 * 1000;

/**
 * Answer-rate figures over calls that arrived in [from, to) (default: the last 7 days).
 * See README "Figures" for each definition.
 */
export function analyticsRoutes(analytics: PostgresAnalyticsStore, clock: Clock, thresholdSeconds: number, timeZone: string): Router {
  const router = Router();
  router.get('/analytics/summary', async (req, res) => {
    const q = parseInput(rangeQuery, req.query);
    const to = q.to ?? clock.now();
    const from = q.from ?? new Date(to.getTime() - WEEK_MS);
    if (from >= to) throw new BadRequestError('from: must be before to', 'from');
    // Three independent reads, on as many pool connections.
    const [s, agents, byHour] = await Promise.all([
      analytics.callSummary(from, to, q.hotline),
      analytics.agentSummary(from, to, q.hotline),
      analytics.outcomesBy('hour', from, to, timeZone, q.hotline),
    ]);
    res.json({
      from: from.toISOString(),
      to: to.toISOString(),
      hotline: q.hotline ?? null,
      answerThresholdSeconds: thresholdSeconds,
      ...callFigures(s),
      averageAbandonWaitSeconds: s.averageAbandonWaitSeconds,
      averageTalkSeconds: s.averageTalkSeconds,
      agents: agents.map((a) => ({ ...a, acceptRate: ratio(a.accepted, a.offers) })),
      timeZone,
      byHour: byHour.map((h) => ({
        hour: Number(h.key),
        offered: h.offered,
        answered: h.answered,
        abandoned: h.abandoned,
        answerRate: ratio(h.answered, h.offered),
        serviceLevel: ratio(h.answeredWithinRule, h.offered),
      })),
    });
  });
  return router;
}
