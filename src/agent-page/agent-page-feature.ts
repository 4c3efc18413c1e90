import { Router } from 'express';
import { z } from 'zod';
import { BackgroundLoop } from '../background-loop';
import type { CallbackFeature } from '../callbacks/callback-feature';
import type { Container, Feature } from '../container';
import { NotFoundError } from '../errors';
import { PostgresAgentPageStore } from '../postgres/agent-page-store';
import { PostgresAuditStore } from '../postgres/audit-store';
import { monthlyReport } from '../reports/monthly-report';
import { parseInput } from '../validation';
import { notifierAgentMessage, type AgentMessageSender } from './agent-message';
import { agentPageUrl } from './agent-page-link';
import { agentPageRoutes } from './agent-page-routes';
import { followUpRoutes } from './follow-up-routes';
import type { TicketFeature } from '../tickets/ticket-feature';
import { ticketDialer } from '../tickets/ticket-dial';
import { PostgresTicketStore } from '../postgres/ticket-store';
import { ShiftDigests } from './shift-digests';

const DIGEST_LOOP_SECONDS = 60;
const idParam = z.object({ id: z.string().uuid('must be an agent id') });
/** The schemas the handlers below validate with, for the API description (src/api/openapi-catalogue.ts). */
export const agentPageSchemas = { idParam };

export interface AgentPageFeature extends Feature {
  digests: ShiftDigests;
  prefs: PostgresAgentPageStore;
  /** The agent's signed page link, valid AGENT_PAGE_TTL_HOURS from now. */
  pageLink(agentId: string): { url: string; expiresAt: Date };
}

/**
 * The agent's phone page (/m/me/<token>), their remote: duty, leave, callbacks, notes to write,
 * fines and the month's figures; and the digest at each shift start that carries its link.
 * Messages go through `send` (the notifier: SMS, WeCom or DingTalk).
 */
export function agentPageFeature(c: Container, send?: AgentMessageSender): AgentPageFeature {
  const prefs = new PostgresAgentPageStore(c.db);
  const callbacks = () => c.features.find((f) => f.name === 'callbacks') as CallbackFeature | undefined;
  // The tickets feature (src/tickets/), when it runs: its desk opens follow-ups, its table lists the agent's tickets.
  const ticketsFeature = () => c.features.find((f) => f.name === 'tickets') as TicketFeature | undefined;
  const ticketStore = new PostgresTicketStore(c.db);
  const sender =
    send ??
    notifierAgentMessage({
      agents: c.agents,
      prefs,
      notifier: c.notifier,
      // Without SMS_FROM a text goes out from the first hotline number on record, as the roster's do.
      from: async () => (await c.rosterStore.listHotlines())[0]?.number,
      logger: c.logger,
    });
  const pageLink = (agentId: string) =>
    agentPageUrl({ secret: c.config.LINK_SECRET, publicBaseUrl: c.config.PUBLIC_BASE_URL, ttlHours: c.config.AGENT_PAGE_TTL_HOURS, now: c.clock.now() }, agentId);
  const digests = new ShiftDigests({
    agents: c.agents,
    calls: c.calls,
    rosterStore: c.rosterStore,
    prefs,
    callbacks,
    rules: { timeZone: c.config.TIME_ZONE, holidays: c.config.HOLIDAYS, calendar: c.calendar },
    logger: c.logger,
    send: sender,
    pageLink: (agentId) => pageLink(agentId).url,
  });
  const loop = new BackgroundLoop('shift-digests', DIGEST_LOOP_SECONDS, () => digests.runDue(c.clock.now()), c.logger);
  const monthly = monthlyReport(c);

  return {
    name: 'agent-page',
    digests,
    prefs,
    pageLink,
    apiRoutes(router) {
      const r = Router();
      // The link to hand an agent their page (the lead's notifier and the console take it from here too).
      r.get('/agents/:id/page-link', async (req, res) => {
        const { id } = parseInput(idParam, req.params);
        const agent = await c.agents.get(id);
        if (!agent || !agent.active) throw new NotFoundError(`no active agent ${id}`);
        const link = pageLink(id);
        res.json({ agentId: id, url: link.url, expiresAt: link.expiresAt.toISOString() });
      });
      router.use(r);
    },
    publicRoutes(router) {
      agentPageRoutes(router, {
        agents: c.agents,
        calls: c.calls,
        roster: c.roster,
        rosterStore: c.rosterStore,
        prefs,
        callbacks,
        tickets: () => (ticketsFeature() ? ticketStore : undefined),
        canDialTickets: () => ticketsFeature() !== undefined && callbacks() !== undefined,
        ticketDial: () => {
          const f = ticketsFeature();
          return f && callbacks() ? ticketDialer({ desk: f.desk, store: f.store, clock: c.clock, callbacks: () => callbacks() ?? null }) : undefined;
        },
        monthly: (month) => monthly(month),
        secret: c.config.LINK_SECRET,
        publicBaseUrl: c.config.PUBLIC_BASE_URL,
        notesTtlHours: c.config.LINK_TTL_HOURS,
        timeZone: c.config.TIME_ZONE,
        rules: { timeZone: c.config.TIME_ZONE, holidays: c.config.HOLIDAYS, calendar: c.calendar },
        audit: new PostgresAuditStore(c.db),
        clock: c.clock,
        logger: c.logger,
        send: sender,
      });
      followUpRoutes(router, {
        calls: c.calls,
        tickets: () => ticketsFeature()?.desk,
        clock: c.clock,
        secret: c.config.LINK_SECRET,
        language: c.config.PROMPT_LANGUAGE,
        timeZone: c.config.TIME_ZONE,
      });
    },
    start: () => loop.start(),
    stop: () => loop.stop(),
  };
}
