import { BackgroundLoop } from '../background-loop';
import type { Container, Feature } from '../container';
import { PostgresComplaintStore } from '../postgres/complaint-store';
import { ComplaintDesk } from './complaint-desk';
import { complaintRoutes } from './complaint-routes';

export interface ComplaintFeature extends Feature {
  desk: ComplaintDesk;
  store: PostgresComplaintStore;
}

/** Complaint cases (R11): opened from calls typed complaint, a progress reply owed within COMPLAINT_REPLY_MINUTES. */
export function complaintFeature(c: Container): ComplaintFeature {
  const store = new PostgresComplaintStore(c.db);
  const desk = new ComplaintDesk({
    store,
    agents: c.agents,
    notifier: c.notifier,
    clock: c.clock,
    logger: c.logger,
    replyMinutes: c.config.COMPLAINT_REPLY_MINUTES,
    reminderMinutes: c.config.COMPLAINT_REMINDER_MINUTES,
    adminPhones: c.config.ADMIN_ALERT_PHONES,
    language: c.config.PROMPT_LANGUAGE,
    timeZone: c.config.TIME_ZONE,
  });
  c.notesWritten.push((call, changes) => desk.notesWritten(call, changes));
  const loop = new BackgroundLoop('complaint desk', c.config.COMPLAINT_SWEEP_SECONDS, () => desk.runDue(), c.logger);
  return {
    name: 'complaints',
    desk,
    store,
    apiRoutes(router) {
      complaintRoutes(router, store, c.clock);
    },
    start: () => loop.start(),
    stop: () => loop.stop(),
  };
}
