import { Router } from 'express';
import { z } from 'zod';
import type { Call, CallStore, RingAttempt } from '../domain/ports';
import { BadRequestError, NotFoundError } from '../errors';
import { parseInput } from '../validation';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

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

export const callJson = (c: Call, attempts: RingAttempt[]) => ({
  id: c.id,
  callSid: c.callSid,
  from: c.from,
  to: c.to,
  callerName: c.callerName,
  startedAt: iso(c.startedAt),
  state: c.state,
  outcome: c.outcome,
  missedReason: c.missedReason,
  answeredByAgentId: c.answeredByAgentId,
  acceptedAt: iso(c.acceptedAt),
  waitSeconds: c.waitSeconds,
  withinAnswerRule: c.withinAnswerRule,
  endedAt: iso(c.endedAt),
  endedBy: c.endedBy,
  talkSeconds: c.talkSeconds,
  attempts: attempts.map(attemptJson),
});

const dateParam = z.coerce.date({ message: 'must be an ISO 8601 date-time' }).optional();
const listQuery = z.object({
  from: dateParam,
  to: dateParam,
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});
const callId = z.object({ id: z.string().uuid('must be a call id') });

export function encodeCursor(c: Call): string {
  return Buffer.from(`${c.startedAt.toISOString()}|${c.id}`).toString('base64url');
}

function decodeCursor(raw: string): { startedAt: Date; id: string } {
  const [at, id] = Buffer.from(raw, 'base64url').toString('utf8').split('|');
  const startedAt = new Date(at ?? '');
  if (!id || Number.isNaN(startedAt.getTime()) || !z.string().uuid().safeParse(id).success) {
    throw new BadRequestError('cursor: not a cursor this API returned', 'cursor');
  }
  return { startedAt, id };
}

/** Every call on record, newest first, with its ring attempts. */
export function callsRoutes(calls: CallStore): Router {
  const router = Router();

  router.get('/calls', async (req, res) => {
    const q = parseInput(listQuery, req.query);
    const page = await calls.listCalls({ from: q.from, to: q.to, limit: q.limit + 1, cursor: q.cursor ? decodeCursor(q.cursor) : undefined });
    const items = page.slice(0, q.limit);
    const attempts = await calls.attemptsOfCalls(items.map((c) => c.id));
    res.json({
      calls: items.map((c) => callJson(c, attempts.get(c.id) ?? [])),
      nextCursor: page.length > q.limit ? encodeCursor(items[items.length - 1]!) : null,
    });
  });

  router.get('/calls/:id', async (req, res) => {
    const { id } = parseInput(callId, req.params);
    const call = await calls.getCall(id);
    if (!call) throw new NotFoundError(`no call ${id}`);
    res.json(callJson(call, await calls.attemptsOf(id)));
  });

  return router;
}
