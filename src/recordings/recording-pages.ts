import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { ConsoleDeps } from '../console/console-deps';
import { viewerOf } from '../console/session';
import { mayHold } from '../domain/recording-rules';
import { ForbiddenError, NotFoundError } from '../errors';
import { parseInput } from '../validation';
import { recordingsOf } from './recording-feature';

const callId = z.object({ id: z.string().uuid('must be a call id') });
const holdForm = z.object({ reason: z.string({ message: 'is required' }).trim().min(1, 'is required').max(500, 'must be at most 500 characters') });

const requireHolder: RequestHandler = (_req, res, next) => {
  const role = viewerOf(res).account.role;
  if (!mayHold(role)) return next(new ForbiddenError(`your role (${role}) may not hold recordings`));
  next();
};

/** The call page's hold and release of its recordings (admins and supervisors), audited as the signed-in person. */
export function recordingPages(d: ConsoleDeps): Router {
  const r = Router();
  const service = () => {
    const f = recordingsOf(d.c);
    if (!f) throw new NotFoundError('recordings are not enabled on this server');
    return f.service;
  };
  r.post('/calls/:id/recording/hold', requireHolder, async (req, res) => {
    const { id } = parseInput(callId, req.params);
    const { reason } = parseInput(holdForm, req.body);
    await service().hold(id, reason, viewerOf(res).actor);
    res.redirect(303, `/console/calls/${id}?done=1#recordings`);
  });
  r.post('/calls/:id/recording/release', requireHolder, async (req, res) => {
    const { id } = parseInput(callId, req.params);
    await service().release(id, viewerOf(res).actor);
    res.redirect(303, `/console/calls/${id}?done=1#recordings`);
  });
  return r;
}
