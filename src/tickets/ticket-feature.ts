import { BackgroundLoop } from '../background-loop';
import type { CallbackFeature } from '../callbacks/callback-feature';
import type { Container, Feature } from '../container';
import { PostgresTicketStore } from '../postgres/ticket-store';
import { TicketDesk } from './ticket-desk';
import { ticketDialer } from './ticket-dial';
import { ticketDoneRoutes } from './ticket-done-page';
import { ticketRoutes } from './ticket-routes';

export interface TicketFeature extends Feature {
  desk: TicketDesk;
  store: PostgresTicketStore;
}

/** The ticket feature, when installed (the console and agent pages read tickets through it). */
export function ticketsOf(c: Container): TicketFeature | null {
  return (c.features.find((f) => f.name === 'tickets') as TicketFeature | undefined) ?? null;
}

/** Tickets (工单, issue 26): follow-ups, dispatches, return visits, and complaint cases as one kind. */
export function ticketFeature(c: Container): TicketFeature {
  const store = new PostgresTicketStore(c.db);
  const desk = new TicketDesk({
    store,
    agents: c.agents,
    calls: c.calls,
    notifier: c.notifier,
    clock: c.clock,
    logger: c.logger,
    rules: {
      followUpHours: c.config.TICKET_FOLLOW_UP_HOURS,
      dispatchDays: c.config.TICKET_DISPATCH_DAYS,
      returnVisitHours: c.config.TICKET_RETURN_VISIT_HOURS,
      reminderMinutes: c.config.TICKET_REMINDER_MINUTES,
      dispatchChaseDays: c.config.TICKET_DISPATCH_CHASE_DAYS,
    },
    complaint: { replyMinutes: c.config.COMPLAINT_REPLY_MINUTES, reminderMinutes: c.config.COMPLAINT_REMINDER_MINUTES },
    language: c.config.PROMPT_LANGUAGE,
    timeZone: c.config.TIME_ZONE,
    linkSecret: c.config.LINK_SECRET,
    publicBaseUrl: c.config.PUBLIC_BASE_URL,
  });
  const loop = new BackgroundLoop('ticket desk', c.config.TICKET_SWEEP_SECONDS, () => desk.runDue(), c.logger);
  desk.wake = () => loop.wake();
  c.notesWritten.push((call, changes) => desk.notesWritten(call, changes));
  const dial = ticketDialer({ desk, store, clock: c.clock, callbacks: () => (c.features.find((f) => f.name === 'callbacks') as CallbackFeature | undefined) ?? null });
  return {
    name: 'tickets',
    desk,
    store,
    apiRoutes(router) {
      ticketRoutes(router, desk, store, c.clock, dial);
    },
    publicRoutes(router) {
      ticketDoneRoutes(router, { desk, secret: c.config.LINK_SECRET, clock: c.clock, language: c.config.PROMPT_LANGUAGE });
    },
    start: () => loop.start(),
    stop: () => loop.stop(),
  };
}
