import { Router } from 'express';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { actorOf } from '../api/admin-auth';
import { iso } from '../api/json';
import type { QcReview } from '../postgres/quality-store';
import { parseInput } from '../validation';
import type { QcService, QueuedCall } from './qc-service';

const agentQuery = z.object({ agentId: z.string().uuid('must be an agent id').optional() });
const reviewsQuery = agentQuery.extend({ month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM, e.g. 2026-11').optional() });

export const givenItems = z
  .array(
    z.object({
      id: z.string({ message: 'is required' }).min(1, 'is required').max(40),
      score: z.number({ message: 'must be a number' }),
      note: z.string({ message: 'must be text' }).max(1000, 'must be at most 1000 characters').optional(),
    }).strict(),
    { message: 'must be a list of { id, score, note? }' },
  )
  .max(50, 'has too many items');
const reviewBody = z.object({ callId: z.string({ message: 'is required' }).uuid('must be a call id'), items: givenItems }).strict();

const checklistBody = z
  .object({
    items: z
      .array(
        z.object({
          id: z.string({ message: 'is required' }).regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be 1-40 lowercase letters, digits and dashes'),
          label: z.string({ message: 'is required' }).trim().min(1, 'is required').max(200, 'must be at most 200 characters'),
          points: z.number({ message: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(100, 'must be at most 100'),
        }).strict(),
        { message: 'must be a list of { id, label, points }' },
      )
      .min(1, 'must hold at least one item')
      .max(30, 'must hold at most 30 items')
      .refine((items) => new Set(items.map((i) => i.id)).size === items.length, 'must not repeat an id'),
  })
  .strict();

/** The schemas the handlers below validate with, for the API description (src/api/openapi-catalogue.ts). */
export const qcSchemas = { agentQuery, reviewsQuery, reviewBody, checklistBody };

export const queuedJson = (q: QueuedCall) => ({
  callId: q.call.id,
  agentId: q.call.agentId,
  week: q.week,
  startedAt: iso(q.call.startedAt),
  waitSeconds: q.call.waitSeconds,
  talkSeconds: q.call.talkSeconds,
});

export const reviewJson = (r: QcReview) => ({
  callId: r.callId,
  agentId: r.agentId,
  callStartedAt: iso(r.callStartedAt),
  reviewedBy: r.reviewedBy,
  reviewedAt: iso(r.reviewedAt),
  score: r.score,
  items: r.items,
});

/** Admin API: the QC checklist, queue and reviews (README "Quality inspection (质检)"). */
export function qcRoutes(router: Router, qc: QcService, timeZone: string, now: () => Date): void {
  const r = Router();

  r.get('/qc/checklist', async (_req, res) => {
    res.json({ items: await qc.checklist() });
  });

  r.put('/qc/checklist', async (req, res) => {
    const b = parseInput(checklistBody, req.body);
    res.json({ items: await qc.replaceChecklist(b.items) });
  });

  r.get('/qc/queue', async (req, res) => {
    const q = parseInput(agentQuery, req.query);
    res.json({ weeks: qc.weeks(now()).map((w) => w.week), queue: (await qc.queue(q.agentId)).map(queuedJson) });
  });

  r.post('/qc/reviews', async (req, res) => {
    const b = parseInput(reviewBody, req.body);
    res.status(201).json(reviewJson(await qc.review(b.callId, b.items, actorOf(res))));
  });

  r.get('/qc/reviews', async (req, res) => {
    const q = parseInput(reviewsQuery, req.query);
    const start = q.month ? DateTime.fromFormat(q.month, 'yyyy-MM', { zone: timeZone }) : DateTime.fromJSDate(now(), { zone: timeZone }).startOf('month');
    const reviews = await qc.reviews(start.toJSDate(), start.plus({ months: 1 }).toJSDate(), q.agentId);
    res.json({ month: start.toFormat('yyyy-MM'), reviews: reviews.map(reviewJson) });
  });

  router.use(r);
}
