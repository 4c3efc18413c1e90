import express, { type Router } from 'express';
import { DateTime } from 'luxon';
import { NOTES_LINK_PURPOSE } from '../after-call/notes-link';
import { callPage, refusedPage } from '../after-call/mobile-page';
import type { Clock } from '../domain/clock';
import type { CallStore } from '../domain/ports';
import { verifyLink } from '../domain/signed-link';
import { AppError, BadRequestError } from '../errors';
import type { PromptLanguage } from '../twiml/prompts';

/** What opening a follow-up needs of the tickets feature (src/tickets/): its desk's create. */
export interface FollowUpOpener {
  create(
    input: { kind: 'follow-up'; callId: string; ownerAgentId: string; dueAt?: Date; summary: string },
    by: string,
  ): Promise<{ ticket: { id: string; dueAt: Date }; created: boolean }>;
}

export interface FollowUpRoutesDeps {
  calls: CallStore;
  tickets: () => FollowUpOpener | undefined;
  clock: Clock;
  secret: string;
  language: PromptLanguage;
  timeZone: string;
}

const LOCAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;

/**
 * POST /m/calls/<token>/follow-up: right after a call, on its notes page, the agent notes what
 * they promised ("I'll call you back by …"): a follow-up ticket they own, on this call, due when
 * they said (in the hotline's time zone; blank: the kind's default). The same signed token as
 * the page: only the agent who answered the call. A double tap makes one ticket (the store
 * answers the open one). A refusal shows the page again with the reason; nothing changes.
 */
export function followUpRoutes(router: Router, d: FollowUpRoutesDeps): void {
  const form = express.urlencoded({ extended: false, limit: '8kb' });
  router.post('/m/calls/:token/follow-up', form, async (req, res) => {
    const token = String(req.params.token);
    const check = verifyLink(d.secret, token, NOTES_LINK_PURPOSE, d.clock.now());
    const call = check.ok ? await d.calls.getCall(check.claims.subject) : null;
    const page = (status: number, html: string) => res.status(status).set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' }).send(html);
    if (!check.ok || !call || call.answeredByAgentId !== check.claims.agentId) return page(403, refusedPage(d.language));
    const desk = d.tickets();
    const body = (req.body ?? {}) as Record<string, unknown>;
    try {
      if (!desk) throw new AppError(404, 'not_found', 'tickets are not enabled on this server');
      const summary = typeof body.summary === 'string' ? body.summary.trim() : '';
      if (summary.length === 0 || summary.length > 2000) throw new BadRequestError('summary: say what the customer is waiting for (1–2000 characters)', 'summary');
      const dueText = typeof body.dueAt === 'string' ? body.dueAt : '';
      const due = dueText === '' ? null : LOCAL.test(dueText) ? DateTime.fromISO(dueText, { zone: d.timeZone }) : null;
      if (dueText !== '' && !due?.isValid) throw new BadRequestError('dueAt: must be a date and time (YYYY-MM-DDTHH:MM)', 'dueAt');
      const agentId = check.claims.agentId;
      await desk.create({ kind: 'follow-up', callId: call.id, ownerAgentId: agentId, ...(due ? { dueAt: due.toJSDate() } : {}), summary }, `agent:${agentId}`);
      res.redirect(303, `/m/calls/${token}?done=follow-up`);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      page(err.status, callPage(d.language, { call, rating: null, path: `/m/calls/${token}`, timeZone: d.timeZone, error: err.message, followUp: true }));
    }
  });
}
