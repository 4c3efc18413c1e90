import { Readable } from 'node:stream';
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { actorOf } from '../api/admin-auth';
import { iso } from '../api/json';
import { passableRange } from '../domain/recording-rules';
import { AppError, ForbiddenError, NotFoundError } from '../errors';
import type { Logger } from '../logger';
import type { Recording } from '../postgres/recording-store';
import { parseInput } from '../validation';
import { listenerOf } from './listen-access';
import type { RecordingService } from './recording-service';
import type { TwilioMedia } from './twilio-media';

const callParams = z.object({ id: z.string().uuid('must be a call id') });
const recordingParams = z.object({ id: z.string().uuid('must be a recording id') });
const playQuery = z.object({ recording: z.string().uuid('must be a recording id').optional(), token: z.string().optional() });
const dateOrInstant = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be a date or an ISO instant').transform((s) => new Date(s));
const listQuery = z.object({
  from: dateOrInstant.optional(),
  to: dateOrInstant.optional(),
  agentId: z.string().uuid('must be an agent id').optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
const holdBody = z.object({ reason: z.string({ message: 'is required' }).trim().min(1, 'is required').max(500, 'must be at most 500 characters') }).strict();
const linkBody = z.object({ agentId: z.string({ message: 'is required' }).uuid('must be an agent id') }).strict();
/** The schemas these routes validate with, for the OpenAPI description (src/api/openapi-catalogue.ts). */
export const recordingSchemas = { callParams, recordingParams, playQuery, listQuery, holdBody, linkBody };

/** A recording in API answers: never its media URL (R12). */
export const recordingJson = (r: Recording) => ({
  id: r.id,
  callId: r.callId,
  agentId: r.agentId,
  kind: r.kind,
  seconds: r.seconds,
  channels: r.channels,
  status: r.status,
  createdAt: iso(r.createdAt),
  deleteAfter: iso(r.deleteAfter),
  heldReason: r.heldReason,
  deletedAt: iso(r.deletedAt),
});

/** Headers of Twilio's answer that the listener's browser needs to play and seek. */
const PASSED_HEADERS = ['content-type', 'content-length', 'content-range', 'accept-ranges'];

/**
 * GET /api/calls/:id/recording: the audio, fetched from Twilio with the account's credentials and
 * streamed through, Range honoured (206 with Content-Range), never cached. 404 when the call has
 * none, 410 once deleted. A listen is audited when it starts (no Range, or one from byte 0), or
 * when a later part is asked for with no listen of the same person in the last hour (a download in
 * pieces): the browser's seeks within a listen are the same listen.
 */
export function listenRoute(access: RequestHandler, service: RecordingService, media: TwilioMedia, logger: Logger): Router {
  const r = Router();
  r.get('/api/calls/:id/recording', access, async (req, res) => {
    const { id } = parseInput(callParams, req.params);
    const q = parseInput(playQuery, req.query);
    const recording = await service.forCall(id, q.recording);
    const listener = listenerOf(res);
    if (listener.onlyAgentId && recording.agentId !== listener.onlyAgentId) throw new ForbiddenError('this link opens only the recordings of your own calls');
    if (recording.status === 'deleted') throw new AppError(410, 'gone', `the recording of call ${id} was deleted ${iso(recording.deletedAt)} (RECORDING_RETENTION_DAYS)`);
    const range = passableRange(req.header('Range'));
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const upstream = await media.fetch(recording.recordingSid, range, abort.signal);
    await service.requested(recording, range, listener.actor, req.ip ?? null);
    res.status(upstream.status);
    for (const h of PASSED_HEADERS) {
      const v = upstream.headers.get(h);
      if (v) res.setHeader(h, v);
    }
    if (!upstream.headers.get('accept-ranges')) res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Cache-Control', 'private, no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (!upstream.body) return void res.end();
    Readable.fromWeb(upstream.body as import('node:stream/web').ReadableStream).on('error', (err) => {
      if (!abort.signal.aborted) logger.warn('recording stream broke off', { callId: id, recordingId: recording.id, err: (err as Error).message });
      res.destroy();
    }).pipe(res);
  });
  return r;
}

/** The admin API's recording routes (bearer token): the list, holds, who listened, an agent's link. */
export function recordingApiRoutes(router: Router, service: RecordingService): void {
  const r = Router();

  r.get('/recordings', async (req, res) => {
    const q = parseInput(listQuery, req.query);
    res.json({ recordings: (await service.store.list(q)).map(recordingJson) });
  });

  r.get('/recordings/:id/listens', async (req, res) => {
    const { id } = parseInput(recordingParams, req.params);
    const recording = await service.store.get(id);
    if (!recording) throw new NotFoundError(`no recording ${id}`);
    const listens = await service.store.listens({ recordingId: id, limit: 500 });
    res.json({ recordingId: id, callId: recording.callId, listens: listens.map((l) => ({ actor: l.actor, at: iso(l.at), ip: l.ip })) });
  });

  r.get('/calls/:id/recordings', async (req, res) => {
    const { id } = parseInput(callParams, req.params);
    res.json({ recordings: (await service.store.ofCall(id)).map(recordingJson) });
  });

  r.post('/calls/:id/recording/hold', async (req, res) => {
    const { id } = parseInput(callParams, req.params);
    const b = parseInput(holdBody, req.body);
    res.json({ recordings: (await service.hold(id, b.reason, actorOf(res))).map(recordingJson) });
  });

  r.delete('/calls/:id/recording/hold', async (req, res) => {
    const { id } = parseInput(callParams, req.params);
    res.json({ recordings: (await service.release(id, actorOf(res))).map(recordingJson) });
  });

  // A signed link an agent opens to hear their own call (e.g. sent with their notes link).
  r.post('/calls/:id/recording/link', async (req, res) => {
    const { id } = parseInput(callParams, req.params);
    const b = parseInput(linkBody, req.body);
    const recording = await service.forCall(id);
    if (recording.agentId !== b.agentId) throw new ForbiddenError('an agent may hear only their own calls');
    const link = service.listenLink(id, { agentId: b.agentId });
    res.status(201).json({ url: link.url, expiresAt: iso(link.expiresAt) });
  });

  router.use(r);
}
