import express, { Router, type Response } from 'express';
import type { Clock } from '../domain/clock';
import { verifyLink } from '../domain/signed-link';
import { AppError } from '../errors';
import { escapeHtml, sendLinkPage } from '../html';
import type { PromptLanguage } from '../twiml/prompts';
import { TICKET_DONE_PURPOSE, type TicketDesk } from './ticket-desk';

const T = {
  'zh-CN': { title: '派单完成登记', label: '处理结果', button: '已完成', done: '已登记完成，谢谢。', closed: '此派单已完成。' },
  'en-US': { title: 'Mark the dispatch done', label: 'What was done', button: 'Done', done: 'Marked done. Thank you.', closed: 'This dispatch is already done.' },
};

const page = sendLinkPage;

/**
 * The link in a dispatch's notices: its assignee (outside the hotline team, no account) marks it
 * done. GET only shows the dispatch (link previews must not close it); the form POSTs the token
 * with what was done. Closing opens the return visit, as POST /api/tickets/:id/close does.
 */
export function ticketDoneRoutes(router: Router, d: { desk: TicketDesk; secret: string; clock: Clock; language: PromptLanguage }): void {
  const t = T[d.language];
  const open = async (res: Response, token: unknown) => {
    const link = typeof token === 'string' && token !== '' ? verifyLink(d.secret, token, TICKET_DONE_PURPOSE, d.clock.now()) : ({ ok: false, reason: 'malformed' } as const);
    if (!link.ok) return page(res, 401, t.title, `<p>401: link ${escapeHtml(link.reason)}</p>`);
    const ticket = await d.desk.mustGet(link.claims.subject).catch(() => null);
    if (!ticket || ticket.kind !== 'dispatch' || !ticket.assignee) return page(res, 404, t.title, '<p>404</p>');
    return { ticket, token };
  };

  router.get('/tickets/done', async (req, res) => {
    const opened = await open(res, req.query.token);
    if (!opened) return;
    const { ticket } = opened;
    const form =
      ticket.status === 'closed'
        ? `<p>${escapeHtml(t.closed)}</p>`
        : `<form method="post" action="/tickets/done"><input type="hidden" name="token" value="${escapeHtml(String(opened.token))}">` +
          `<label>${escapeHtml(t.label)}<br><textarea name="resolution" required minlength="3" maxlength="2000"></textarea></label><br><button type="submit">${escapeHtml(t.button)}</button></form>`;
    page(res, 200, t.title, `<h1>${escapeHtml(t.title)}</h1><p>${escapeHtml(ticket.summary ?? '')}</p>${form}`);
  });

  router.post('/tickets/done', express.urlencoded({ extended: false, limit: '8kb' }), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const opened = await open(res, body.token);
    if (!opened) return;
    const resolution = typeof body.resolution === 'string' ? body.resolution.trim() : '';
    if (resolution.length < 3 || resolution.length > 2000) return page(res, 400, t.title, '<p>400: resolution: must say what was done (3 to 2000 characters)</p>');
    try {
      await d.desk.close(opened.ticket.id, { resolution }, `assignee:${opened.ticket.assignee!.name}`);
      page(res, 200, t.title, `<p>${escapeHtml(t.done)}</p>`);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      page(res, err.status, t.title, `<p>${err.status}: ${escapeHtml(err.status === 409 ? t.closed : err.message)}</p>`);
    }
  });
}
