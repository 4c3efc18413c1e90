import express, { Router, type Response } from 'express';
import type { Clock } from '../domain/clock';
import { verifyLink } from '../domain/signed-link';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import type { PostgresCallbackStore } from '../postgres/callback-store';
import { DIAL_LINK_PURPOSE, type CallbackService } from './callback-service';
import { localTime, type CallbackTexts } from './callback-texts';
import type { PromptLanguage } from '../twiml/prompts';
import { escapeHtml, sendLinkPage } from '../html';


const page = sendLinkPage;

export interface DialLinkDeps {
  secret: string;
  clock: Clock;
  logger: Logger;
  callbacks: PostgresCallbackStore;
  service: CallbackService;
  texts: CallbackTexts;
  timeZone: string;
  language: PromptLanguage;
}

/**
 * The link in the owner's SMS. GET only shows what will happen (link previews and prefetchers
 * open links; they must not place calls); the button POSTs the same token to place the call.
 */
export function dialLinkRoutes(router: Router, d: DialLinkDeps): void {
  const t = d.texts.dialPage;
  /**
   * The link's callback, if the link still speaks for its owner. A link names the agent it was
   * texted to: once the callback is handed to someone else it opens nothing for them (403),
   * not even the customer's number; it works again only if the callback comes back to them.
   */
  const open = async (res: Response, token: unknown) => {
    const link = typeof token === 'string' && token !== '' ? verifyLink(d.secret, token, DIAL_LINK_PURPOSE, d.clock.now()) : ({ ok: false, reason: 'malformed' } as const);
    if (!link.ok) return page(res, 401, t.title, `<p>401: link ${escapeHtml(link.reason)}</p>`);
    const cb = await d.callbacks.get(link.claims.subject);
    if (!cb) return page(res, 404, t.title, '<p>404</p>');
    if (cb.ownerAgentId !== link.claims.agentId) return page(res, 403, t.title, '<p>403: this callback has been handed to another agent</p>');
    return { cb, agentId: link.claims.agentId };
  };

  router.get('/callbacks/dial', async (req, res) => {
    const opened = await open(res, req.query.token);
    if (!opened) return;
    const { cb } = opened;
    const intro = t.intro({ phone: cb.phone, dueAt: localTime(cb.dueAt, d.timeZone, d.language) });
    page(
      res,
      200,
      t.title,
      `<h1>${escapeHtml(t.title)}</h1><p>${escapeHtml(intro)}</p><p>status: ${escapeHtml(cb.status)}</p>` +
        `<form method="post" action="/callbacks/dial"><input type="hidden" name="token" value="${escapeHtml(String(req.query.token))}"><button type="submit">${escapeHtml(t.button)}</button></form>`,
    );
  });

  router.post('/callbacks/dial', express.urlencoded({ extended: false, limit: '8kb' }), async (req, res) => {
    const token = (req.body as Record<string, unknown> | undefined)?.token ?? req.query.token;
    const opened = await open(res, token);
    if (!opened) return;
    try {
      // dial() reads the callback again and checks its owner: a hand-over since is refused there.
      await d.service.dial(opened.cb.id, 'link', opened.agentId);
      page(res, 202, t.title, `<p>${escapeHtml(t.placed)}</p>`);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      page(res, err.status, t.title, `<p>${err.status}: ${escapeHtml(err.message)}</p>`);
    }
  });
}
