import express, { type Request, type Response, type Router } from 'express';
import { DateTime } from 'luxon';
import type { Clock } from '../domain/clock';
import type { Agent } from '../domain/ports';
import { verifyLink } from '../domain/signed-link';
import { AppError, BadRequestError, ConflictError, NotFoundError } from '../errors';
import type { Logger } from '../logger';
import type { AgentLanguage } from '../postgres/agent-page-store';
import type { PostgresAuditStore } from '../postgres/audit-store';
import { recordLeave } from '../roster/leave-request';
import { leaveJson } from '../roster/roster-routes';
import { agentPageData, type AgentPageDataDeps } from './agent-page-data';
import { agentPageLabels, NOTICES, type AgentPageLabels } from './agent-page-labels';
import { AGENT_PAGE_PURPOSE } from './agent-page-link';
import { agentFailedPage, agentPage, agentRefusedPage } from './agent-page-view';
import type { AgentMessageSender } from './agent-message';

export interface AgentPageRoutesDeps extends AgentPageDataDeps {
  audit: PostgresAuditStore;
  clock: Clock;
  logger: Logger;
  send: AgentMessageSender;
  /** Calls a ticket's customer back through the hotline (the tickets feature's dial), when it runs. */
  ticketDial?: () => ((ticketId: string) => Promise<unknown>) | undefined;
}

/** How far in the past a leave may start: "from now", typed to the minute, is a little behind already. */
const LEAVE_START_SLACK_MS = 15 * 60_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The page carries its capability in the URL: keep it out of caches, referrers and frames; forms post only to itself. */
function sendPage(res: Response, status: number, html: string): void {
  res
    .status(status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'",
    })
    .send(html);
}

/**
 * GET /m/me/<token>: the agent's own page, their remote, opened from the signed link in their
 * messages; the POSTs below it (duty, leave, callbacks/<id>/dial, language) are its actions. The
 * token is the only credential (no cookie), so a page elsewhere cannot make the agent's browser
 * act (no CSRF): it does not know the token. An expired, tampered or other-purpose token, or one
 * of an agent no longer on the roster, gets a 403 page and changes nothing. A refused action
 * shows the page again with its status and the reason, and changes nothing.
 */
export function agentPageRoutes(router: Router, d: AgentPageRoutesDeps): void {
  const form = express.urlencoded({ extended: false, limit: '8kb' });
  const pathOf = (req: Request) => `/m/me/${String(req.params.token)}`;

  const authorize = async (req: Request, res: Response): Promise<{ agent: Agent; lang: AgentLanguage } | null> => {
    const check = verifyLink(d.secret, String(req.params.token), AGENT_PAGE_PURPOSE, d.clock.now());
    const agent = check.ok && check.claims.subject === check.claims.agentId ? await d.agents.get(check.claims.agentId) : null;
    if (!agent || !agent.active) {
      sendPage(res, 403, agentRefusedPage('zh-CN'));
      return null;
    }
    return { agent, lang: await d.prefs.language(agent.id) };
  };

  const render = async (req: Request, res: Response, agentId: string, lang: AgentLanguage, status: number, extra: { error?: string; leaveForm?: Record<string, string> } = {}) => {
    const agent = (await d.agents.get(agentId))!;
    const notice = NOTICES.find((n) => n === req.query.done);
    const data = await agentPageData(d, agent, d.clock.now());
    sendPage(res, status, agentPage(lang, { ...data, path: pathOf(req), ...(status === 200 && notice ? { notice } : {}), ...extra }));
  };

  /** One action: authorize, run, then back to the page with its notice; a refusal re-renders the page with the reason. */
  const action = (run: (ctx: { req: Request; agent: Agent; lang: AgentLanguage; l: AgentPageLabels; body: Record<string, unknown> }) => Promise<string>) =>
    async (req: Request, res: Response) => {
      let who: { agent: Agent; lang: AgentLanguage } | null = null;
      try {
        who = await authorize(req, res);
        if (!who) return;
        const body = (req.body ?? {}) as Record<string, unknown>;
        const notice = await run({ req, agent: who.agent, lang: who.lang, l: agentPageLabels[who.lang], body });
        res.redirect(303, `${pathOf(req)}?done=${notice}`);
      } catch (err) {
        await failed(req, res, who, err, (req.body ?? {}) as Record<string, unknown>);
      }
    };

  const failed = async (req: Request, res: Response, who: { agent: Agent; lang: AgentLanguage } | null, err: unknown, body: Record<string, unknown>) => {
    try {
      if (who && err instanceof AppError) {
        const leaveForm = req.path.endsWith('/leave') ? Object.fromEntries(['kind', 'start', 'end', 'substituteAgentId'].map((k) => [k, typeof body[k] === 'string' ? (body[k] as string) : ''])) : undefined;
        await render(req, res, who.agent.id, who.lang, err.status, { error: err.message, ...(leaveForm ? { leaveForm } : {}) });
        return;
      }
    } catch (again) {
      err = again;
    }
    // Never the path: it holds the agent's token.
    d.logger.error('agent page failed', { route: req.route?.path, agentId: who?.agent.id, err });
    if (!res.headersSent) sendPage(res, 500, agentFailedPage(who?.lang ?? 'zh-CN'));
  };

  router.get('/m/me/:token', async (req, res) => {
    let who: { agent: Agent; lang: AgentLanguage } | null = null;
    try {
      who = await authorize(req, res);
      if (who) await render(req, res, who.agent.id, who.lang, 200);
    } catch (err) {
      await failed(req, res, who, err, {});
    }
  });

  router.post(
    '/m/me/:token/duty',
    form,
    action(async ({ agent, l, body }) => {
      const duty = body.duty;
      if (duty !== 'on' && duty !== 'off') throw new BadRequestError(l.errors.duty, 'duty');
      const now = d.clock.now();
      // As with the text ON: a pause an admin set is lifted only by an admin.
      if (duty === 'on' && agent.paused && agent.pausedReason === 'admin') throw new ConflictError(l.errors.adminPaused, 'duty');
      await d.roster.setPaused(agent.id, duty === 'off', 'sms', `agent:${agent.id}`, now, { via: 'page' });
      return duty;
    }),
  );

  router.post(
    '/m/me/:token/leave',
    form,
    action(async ({ agent, l, body }) => {
      const now = d.clock.now();
      const kind = body.kind;
      if (kind !== 'annual' && kind !== 'sick' && kind !== 'personal') throw new BadRequestError(l.errors.kind, 'kind');
      const at = (v: unknown) => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v) ? DateTime.fromISO(v, { zone: d.timeZone }) : null);
      const start = at(body.start);
      if (!start?.isValid) throw new BadRequestError(l.errors.start, 'start');
      const end = at(body.end);
      if (!end?.isValid || end <= start) throw new BadRequestError(l.errors.end, 'end');
      if (start.toMillis() < now.getTime() - LEAVE_START_SLACK_MS) throw new BadRequestError(l.errors.past, 'start');
      const sub = body.substituteAgentId;
      if (typeof sub !== 'string' || !UUID.test(sub)) throw new BadRequestError(l.errors.substitute, 'substituteAgentId');
      const leave = await recordLeave({ store: d.rosterStore, agents: d.agents }, { agentId: agent.id, substituteAgentId: sub, kind, start: start.toJSDate(), end: end.toJSDate() }, now);
      await d.audit.record({ actor: `agent:${agent.id}`, action: 'roster.leave-added', target: `agent:${agent.id}`, detail: { before: null, after: leaveJson(leave), via: 'page' }, at: now });
      // A leave already begun hands its callbacks over now, as one recorded by an admin does.
      await d.roster.moveCallbacksOfBegunLeaves(now);
      const fmt = (x: DateTime) => x.toFormat('MM-dd HH:mm');
      const zh = agentPageLabels['zh-CN'].leaveKinds[kind];
      const en = agentPageLabels['en-US'].leaveKinds[kind];
      await d
        .send(
          sub,
          'leave-substitute',
          {
            zh: `【热线】${agent.name} ${fmt(start)}–${fmt(end)} 请${zh}，由您代班：期间其来电和待回电转给您。`,
            en: `[Hotline] ${agent.name} is on ${en.toLowerCase()} leave ${fmt(start)}–${fmt(end)} and named you substitute: their calls and callbacks come to you then.`,
          },
        )
        .catch((err: unknown) => d.logger.warn('leave notice to the substitute failed', { agentId: sub, err }));
      return 'leave';
    }),
  );

  router.post(
    '/m/me/:token/callbacks/:id/dial',
    form,
    action(async ({ req, agent, l }) => {
      const id = String(req.params.id);
      const feature = d.callbacks();
      if (!UUID.test(id) || !feature) throw new NotFoundError(l.errors.callback);
      // dial() checks the owner again as it places the call: a callback handed to someone else is refused (403).
      await feature.service.dial(id, 'link', agent.id);
      return 'dialled';
    }),
  );

  router.post(
    '/m/me/:token/tickets/:id/dial',
    form,
    action(async ({ req, agent, l }) => {
      const id = String(req.params.id);
      const dial = d.ticketDial?.();
      // Only the agent's own open tickets: the page lists no other, and a guessed id is refused the same way.
      const mine = dial && UUID.test(id) ? (await d.tickets?.()?.ticketsForAgent(agent.id))?.some((x) => x.id === id) : false;
      if (!dial || !mine) throw new NotFoundError(l.errors.ticket);
      await dial(id);
      return 'dialled';
    }),
  );

  router.post(
    '/m/me/:token/language',
    form,
    action(async ({ agent, l, body }) => {
      const language = body.language;
      if (language !== 'zh-CN' && language !== 'en-US') throw new BadRequestError(l.errors.language, 'language');
      await d.prefs.setLanguage(agent.id, language, d.clock.now());
      return 'language';
    }),
  );
}
