import { Router } from 'express';
import { z } from 'zod';
import { NotFoundError } from '../errors';
import type { Callback, CallbackAttempt, PostgresCallbackStore } from '../postgres/callback-store';
import type { PostgresCallbackJobStore } from '../postgres/callback-job-store';
import { parseInput } from '../validation';
import type { CallbackService } from './callback-service';
import { iso } from '../api/json';


const attemptJson = (a: CallbackAttempt) => ({
  id: a.id,
  seq: a.seq,
  agentId: a.agentId,
  placedVia: a.placedVia,
  placedAt: iso(a.placedAt),
  ownerAnsweredAt: iso(a.ownerAnsweredAt),
  customerDialledAt: iso(a.customerDialledAt),
  customerAnsweredAt: iso(a.customerAnsweredAt),
  outcome: a.outcome,
  finishedAt: iso(a.finishedAt),
});

/** The list never carries the recording itself (R12): only whether there is one. */
const callbackJson = (c: Callback, attempts: CallbackAttempt[]) => ({
  id: c.id,
  phone: c.phone,
  hotlineNumber: c.hotlineNumber,
  callIds: c.callIds,
  createdAt: iso(c.createdAt),
  firstCallAt: iso(c.firstCallAt),
  dueAt: iso(c.dueAt),
  window: c.window,
  status: c.status,
  ownerAgentId: c.ownerAgentId,
  requestedByCaller: c.requestedByCaller,
  waitedSeconds: c.waitedSeconds,
  attempts: attempts.map(attemptJson),
  firstAttemptAt: iso(c.firstAttemptAt),
  doneAt: iso(c.doneAt),
  closedAt: iso(c.closedAt),
  closedByCallId: c.closedByCallId,
  cancelledAt: iso(c.cancelledAt),
  cancelledReason: c.cancelledReason,
  lapsedAt: iso(c.lapsedAt),
  r4BreachedAt: iso(c.r4BreachedAt),
  hasVoiceMessage: c.recording !== null,
});

const listQuery = z.object({
  status: z.enum(['open', 'attempted', 'done', 'unreachable', 'closed', 'cancelled']).optional(),
  late: z
    .enum(['true', 'false'], { message: "must be 'true' or 'false'" })
    .transform((v) => v === 'true')
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  hotline: z.string().trim().regex(/^\+[1-9]\d{6,14}$/, 'must be the hotline number (E.164)').optional(),
});
const idParam = z.object({ id: z.string().uuid('must be a callback id') });
const reassignBody = z.object({ ownerAgentId: z.string().uuid('must be an agent id') }).strict();
/** The schemas the handlers below validate with, for the API description (src/api/openapi-catalogue.ts). */
export const callbackSchemas = { listQuery, idParam, reassignBody };

/** Admin API: the callbacks, one callback with its voice message, and placing one. */
export function callbackRoutes(router: Router, store: PostgresCallbackStore, jobs: PostgresCallbackJobStore, service: CallbackService): void {
  const r = Router();

  r.get('/callbacks', async (req, res) => {
    const q = parseInput(listQuery, req.query);
    const list = await store.list(q);
    const attempts = await store.attemptsOfMany(list.map((c) => c.id));
    res.json({ callbacks: list.map((c) => callbackJson(c, attempts.get(c.id) ?? [])) });
  });

  r.get('/callbacks/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const cb = await store.get(id);
    if (!cb) throw new NotFoundError(`no callback ${id}`);
    res.json({
      ...callbackJson(cb, await store.attemptsOf(id)),
      // Never Twilio's media URL (R12): the message is heard on its call's page, through GET /api/calls/:id/recording.
      voiceMessage: cb.recording ? { sid: cb.recording.sid, seconds: cb.recording.seconds } : null,
      jobs: (await jobs.jobsOf(id)).map((j) => ({ kind: j.kind, status: j.status, runAt: iso(j.runAt), runs: j.runs })),
    });
  });

  r.patch('/callbacks/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const { ownerAgentId } = parseInput(reassignBody, req.body);
    const cb = await service.reassign(id, ownerAgentId);
    res.json(callbackJson(cb, await store.attemptsOf(id)));
  });

  r.post('/callbacks/:id/dial', async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const attempt = await service.dial(id, 'admin');
    res.status(202).json({ attempt: { ...attemptJson(attempt), ownerCallSid: attempt.ownerCallSid } });
  });

  router.use(r);
}
