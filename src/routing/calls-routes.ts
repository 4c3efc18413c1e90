import { Router } from 'express';
import { z } from 'zod';
import { CALL_TYPES } from '../domain/call-notes';
import type { Call, CallListQuery, CallRating, CallStore, RingAttempt, SkippedAgent } from '../domain/ports';
import { ratingStatus } from '../domain/rating';
import { BadRequestError, NotFoundError } from '../errors';
import { parseInput } from '../validation';
import { iso } from '../api/json';


export const attemptJson = (a: RingAttempt) => ({
  id: a.id,
  seq: a.seq,
  agentId: a.agentId,
  offeredAt: iso(a.offeredAt),
  ringingAt: iso(a.ringingAt),
  answeredAt: iso(a.answeredAt),
  acceptedAt: iso(a.acceptedAt),
  ringSeconds: a.ringSeconds,
  outcome: a.outcome,
  dialCallStatus: a.dialCallStatus,
});

export const callJson = (c: Call, attempts: RingAttempt[], rating?: CallRating, skipped: SkippedAgent[] = []) => ({
  id: c.id,
  callSid: c.callSid,
  from: c.from,
  to: c.to,
  /** As an agent entered it; Twilio's CallerName is only ever the suggestion. */
  callerName: c.notedCallerName,
  callerNameSuggestion: c.callerName,
  customerId: c.customerId,
  repeatCaller: c.repeatCaller,
  blocked: c.blocked,
  internal: c.internal,
  warned: c.warned,
  type: c.type,
  summary: c.summary,
  startedAt: iso(c.startedAt),
  state: c.state,
  outcome: c.outcome,
  missedReason: c.missedReason,
  answeredByAgentId: c.answeredByAgentId,
  acceptedAt: iso(c.acceptedAt),
  waitSeconds: c.waitSeconds,
  withinAnswerRule: c.withinAnswerRule,
  firstRingSeconds: c.firstRingSeconds,
  lineWaitSeconds: c.lineWaitSeconds,
  waitingSince: iso(c.waitingSince),
  endedAt: iso(c.endedAt),
  endedBy: c.endedBy,
  talkSeconds: c.talkSeconds,
  rating: rating?.score ?? null,
  /** When the caller pressed the score (null without one). */
  ratedAt: rating?.score ? iso(rating.finishedAt) : null,
  ratingStatus: ratingStatus({ outcome: c.outcome, endedBy: c.endedBy, survey: rating ?? null, callerGone: rating?.callerGone ?? false }),
  attempts: attempts.map(attemptJson),
  /** Agents the hunt passed over, and why (off-duty, on-leave, paused, busy). */
  skipped: skipped.map((s) => ({ agentId: s.agentId, reason: s.reason })),
});

const dateParam = z.coerce.date({ message: 'must be an ISO 8601 date-time' }).optional();
const listQuery = z.object({
  from: dateParam,
  to: dateParam,
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
  outcome: z.enum(['answered', 'missed', 'abandoned'], { message: 'must be answered, missed or abandoned' }).optional(),
  agent: z.string().uuid('must be an agent id').optional(),
  type: z.enum([...CALL_TYPES, 'none'], { message: `must be one of ${CALL_TYPES.join(', ')}, or none` }).optional(),
  rating: z.coerce.number().int('must be 1 to 5').min(1, 'must be 1 to 5').max(5, 'must be 1 to 5').optional(),
  caller: z.string().trim().min(1).max(200).optional(),
  hotline: z.string().trim().regex(/^\+[1-9]\d{6,14}$/, 'must be the hotline number (E.164)').optional(),
});
const callId = z.object({ id: z.string().uuid('must be a call id') });
/** The schemas the handlers below validate with, for the API description (src/api/openapi-catalogue.ts). */
export const callSchemas = { listQuery, callId };

export function encodeCursor(c: Call): string {
  return Buffer.from(`${c.startedAt.toISOString()}|${c.id}`).toString('base64url');
}

/** The call list's filters as the API and the console take them, in the store's words. */
export function callListFilters(q: Pick<z.infer<typeof listQuery>, 'cursor' | 'outcome' | 'agent' | 'type' | 'rating' | 'caller'> & { hotline?: string }): Partial<CallListQuery> {
  return {
    hotlineNumber: q.hotline,
    cursor: q.cursor ? decodeCursor(q.cursor) : undefined,
    outcome: q.outcome,
    agentId: q.agent,
    type: q.type,
    rating: q.rating,
    callerNumber: q.caller,
  };
}

export function decodeCursor(raw: string): { startedAt: Date; id: string } {
  const [at, id] = Buffer.from(raw, 'base64url').toString('utf8').split('|');
  const startedAt = new Date(at ?? '');
  if (!id || Number.isNaN(startedAt.getTime()) || !z.string().uuid().safeParse(id).success) {
    throw new BadRequestError('cursor: not a cursor this API returned', 'cursor');
  }
  return { startedAt, id };
}

/** Calls in the API's shape, with their ring attempts and ratings, loaded in two queries. */
export async function callsJson(calls: CallStore, items: Call[]) {
  const ids = items.map((c) => c.id);
  const [attempts, ratings, skips] = await Promise.all([calls.attemptsOfCalls(ids), calls.ratingsOfCalls(ids), calls.skipsOfCalls(ids)]);
  return items.map((c) => callJson(c, attempts.get(c.id) ?? [], ratings.get(c.id), skips.get(c.id)));
}

/** Every call on record, newest first, with its ring attempts; filtered by outcome, agent, type, rating, caller. */
export function callsRoutes(calls: CallStore): Router {
  const router = Router();

  const page = async (query: unknown, forced: Partial<CallListQuery> = {}) => {
    const q = parseInput(listQuery, query);
    const rows = await calls.listCalls({ from: q.from, to: q.to, limit: q.limit + 1, ...callListFilters(q), ...forced });
    const items = rows.slice(0, q.limit);
    return { calls: await callsJson(calls, items), nextCursor: rows.length > q.limit ? encodeCursor(items[items.length - 1]!) : null };
  };

  router.get('/calls', async (req, res) => {
    res.json(await page(req.query));
  });

  // Answered calls nobody has typed yet (R5: night calls are written up later); `to` bounds it at the shift's end.
  router.get('/calls/unfinished-notes', async (req, res) => {
    res.json(await page(req.query, { outcome: 'answered', type: 'none' }));
  });

  router.get('/calls/:id', async (req, res) => {
    const { id } = parseInput(callId, req.params);
    const call = await calls.getCall(id);
    if (!call) throw new NotFoundError(`no call ${id}`);
    res.json((await callsJson(calls, [call]))[0]);
  });

  return router;
}
