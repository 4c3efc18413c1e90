import express, { type Request, type Response, type Router } from 'express';
import { parseNotesUpdate } from '../api/notes-input';
import type { Clock } from '../domain/clock';
import type { Call, CallStore } from '../domain/ports';
import { verifyLink } from '../domain/signed-link';
import { AppError } from '../errors';
import type { PromptLanguage } from '../twiml/prompts';
import type { CallNotesStore } from '../postgres/call-notes-store';
import type { Handover } from './handover';
import { callPage, refusedPage, type CallPageView } from './mobile-page';
import { NOTES_LINK_PURPOSE } from './notes-link';

export interface MobileDeps {
  calls: CallStore;
  notes: CallNotesStore;
  handover: Handover;
  clock: Clock;
  secret: string;
  language: PromptLanguage;
  timeZone: string;
  /** Where the agent hears their own recording of a call, or null (recordings off or none yet). */
  recordingSrc?: (callId: string, agentId: string) => Promise<string | null>;
  /** Whether the page offers the follow-up form (the tickets feature runs; src/agent-page/follow-up-routes.ts). */
  followUps?: () => boolean;
}

/** The page shows a caller's number and carries its capability in the URL: keep it out of caches, referrers and frames. */
function sendPage(res: Response, status: number, html: string): void {
  res
    .status(status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; media-src 'self'; form-action 'self'; frame-ancestors 'none'",
    })
    .send(html);
}

const NOTICES = ['saved', 'handed-over', 'not-live', 'reported', 'follow-up'] as const;

/**
 * GET/POST /m/calls/<token>: the answering agent's page for one call, opened from the SMS link.
 * The token names the call and the agent; an expired, tampered or someone else's token gets a
 * 403 page and changes nothing.
 */
export function mobileRoutes(router: Router, d: MobileDeps): void {
  const form = express.urlencoded({ extended: false, limit: '16kb' });
  const pathOf = (req: Request) => `/m/calls/${String(req.params.token)}`;

  const authorize = async (req: Request, res: Response): Promise<{ call: Call; agentId: string } | null> => {
    const check = verifyLink(d.secret, String(req.params.token), NOTES_LINK_PURPOSE, d.clock.now());
    const call = check.ok ? await d.calls.getCall(check.claims.subject) : null;
    if (!check.ok || !call || call.answeredByAgentId !== check.claims.agentId) {
      sendPage(res, 403, refusedPage(d.language));
      return null;
    }
    return { call, agentId: check.claims.agentId };
  };

  const render = async (res: Response, status: number, v: Omit<CallPageView, 'rating' | 'timeZone'>) => {
    const rating = (await d.calls.ratingsOfCalls([v.call.id])).get(v.call.id)?.score ?? null;
    sendPage(res, status, callPage(d.language, { ...v, rating, timeZone: d.timeZone, followUp: d.followUps?.() ?? false }));
  };

  router.get('/m/calls/:token', async (req, res) => {
    const ok = await authorize(req, res);
    if (!ok) return;
    const done = NOTICES.find((n) => n === req.query.done);
    await render(res, 200, { call: ok.call, path: pathOf(req), notice: done, recordingSrc: await d.recordingSrc?.(ok.call.id, ok.agentId) });
  });

  router.post('/m/calls/:token', form, async (req, res) => {
    const ok = await authorize(req, res);
    if (!ok) return;
    const body = (req.body ?? {}) as Record<string, unknown>;
    let update;
    try {
      update = parseNotesUpdate({
        ...(body.type ? { type: body.type } : {}),
        ...(body.summary !== undefined ? { summary: body.summary } : {}),
        ...(body.callerName !== undefined ? { callerName: body.callerName } : {}),
      });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      await render(res, err.status, { call: ok.call, path: pathOf(req), error: err.message });
      return;
    }
    await d.notes.update(ok.call.id, update, `agent:${ok.agentId}`, d.clock.now());
    res.redirect(303, `${pathOf(req)}?done=saved`);
  });

  router.post('/m/calls/:token/handover', form, async (req, res) => {
    const ok = await authorize(req, res);
    if (!ok) return;
    try {
      const result = await d.handover.handOver(ok.call.id, ok.agentId);
      res.redirect(303, `${pathOf(req)}?done=${result}`);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      await render(res, err.status, { call: ok.call, path: pathOf(req), error: err.message });
    }
  });
}
