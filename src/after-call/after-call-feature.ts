import type { Container, Feature } from '../container';
import type { Call } from '../domain/ports';
import { CallNotesStore } from '../postgres/call-notes-store';
import { CustomerStore } from '../postgres/customer-store';
import { Handover } from './handover';
import { mobileRoutes } from './mobile-routes';
import { NotesLinks } from './notes-link';
import { notesRoutes } from './notes-routes';
import { RatingService } from './rating-service';
import { RatingStore } from '../postgres/rating-store';
import { agentRecordingSrc } from '../recordings/recording-section';
import { ratingWebhooks } from './rating-webhooks';

export interface AfterCallFeature extends Feature {
  /** Resolves once the SMS sends started so far have finished. */
  settled(): Promise<void>;
}

/**
 * After the call (R5, R6): the caller is handed to the rating when the agent's leg ends, the
 * answering agent gets an SMS link to a page where they write the call up (or hand the caller
 * over while it is live), and every call is filed under its customer.
 */
export function afterCallFeature(c: Container): AfterCallFeature {
  const notes = new CallNotesStore(c.db, c.notesWritten);
  const customers = new CustomerStore(c.db);
  const ratings = new RatingService({
    ratings: new RatingStore(c.db),
    calls: c.calls,
    speaker: c.speaker,
    voices: c.voices,
    clock: c.clock,
    timeoutSeconds: c.config.RATING_TIMEOUT_SECONDS,
    webhookUrl: (name, query) => c.hotline.webhookUrl(name, query),
  });
  const notesLinks = new NotesLinks({
    notes,
    agents: c.agents,
    notifier: c.notifier,
    clock: c.clock,
    logger: c.logger,
    secret: c.config.LINK_SECRET,
    ttlHours: c.config.LINK_TTL_HOURS,
    publicBaseUrl: c.config.PUBLIC_BASE_URL,
    language: c.config.PROMPT_LANGUAGE,
  });
  const handover = new Handover({ calls: c.calls, notes, hotline: c.hotline, twilio: c.twilio, clock: c.clock, logger: c.logger });

  // Webhook replies must not wait on Twilio's REST API, so the SMS runs beside them; settled() waits for it.
  const pending = new Set<Promise<void>>();
  const tracked = (work: Promise<void>): Promise<void> => {
    const p: Promise<void> = work.catch(() => undefined).finally(() => pending.delete(p));
    pending.add(p);
    return work;
  };
  // The customer file is part of the record, so it is written before the webhook answers. Filing
  // twice is harmless: a call already linked is left alone, and a number has one customer.
  const file = (call: Call) => customers.linkCall(call, c.config.REPEAT_CALLER_DAYS, c.clock.now());
  // Sent once per call (claimed on the call row): when connected, and at the end if that send
  // failed or never started. A failed send at the end is retried by the call-ended outbox.
  const sendLink = async (call: Call) => {
    if (call.answeredByAgentId) await notesLinks.send((await c.calls.getCall(call.id)) ?? call);
  };

  c.hotline.setEnding('afterTalk', (call) => ratings.offer(call));
  c.hotline.addListener({ name: 'customer-file', callConnected: file, callEnded: file });
  c.hotline.addListener({
    name: 'notes-sms',
    inBackground: true,
    callConnected: async (call) => {
      tracked(sendLink(call)).catch((err: unknown) => void c.logger.error('notes link failed', { callSid: call.callSid, err }));
    },
    callEnded: (call) => tracked(sendLink(call)),
  });

  return {
    name: 'after-call',
    webhookRoutes: (router) => ratingWebhooks(router, ratings),
    apiRoutes: (router) => notesRoutes(router, { calls: c.calls, notes, customers, clock: c.clock }),
    publicRoutes: (router) =>
      mobileRoutes(router, {
        calls: c.calls,
        notes,
        handover,
        clock: c.clock,
        secret: c.config.LINK_SECRET,
        language: c.config.PROMPT_LANGUAGE,
        timeZone: c.config.TIME_ZONE,
        recordingSrc: (callId, agentId) => agentRecordingSrc(c, callId, agentId),
        followUps: () => c.features.some((f) => f.name === 'tickets'),
      }),
    async settled() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    async stop() {
      await this.settled();
    },
  };
}
