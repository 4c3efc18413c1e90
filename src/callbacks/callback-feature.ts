import type { Container, Feature } from '../container';
import { PostgresCallbackJobStore } from '../postgres/callback-job-store';
import { PostgresCallbackStore } from '../postgres/callback-store';
import { databaseCounter } from '../postgres/counter-store';
import { PostgresFineStore } from '../postgres/fine-store';
import { callbackRoutes } from './callback-routes';
import { CallbackService } from './callback-service';
import { callbackTexts } from './callback-texts';
import { recordingsOf } from '../recordings/recording-feature';
import { callbackWebhooks } from './callback-webhooks';
import { dialLinkRoutes } from './dial-link-page';
import { fineRoutes } from './fine-routes';
import { CallbackScheduler } from './scheduler';

/** Seconds the hold prompt listens for the caller's 1 before the agent's phone is rung. */
const OFFER_LISTEN_SECONDS = 1;

export interface CallbackFeature extends Feature {
  service: CallbackService;
  scheduler: CallbackScheduler;
  callbacks: PostgresCallbackStore;
  jobs: PostgresCallbackJobStore;
  fines: PostgresFineStore;
  /** Another scheduler over the same database, as a second server instance would run it. */
  newScheduler(): CallbackScheduler;
}

/**
 * Missed calls become callbacks (R3, R4): every unanswered caller gets an owner, a deadline, an
 * SMS, a call placed through the hotline number, and late ones a line on the fines ledger.
 */
export function callbackFeature(c: Container): CallbackFeature {
  const texts = callbackTexts[c.config.PROMPT_LANGUAGE];
  const callbacks = new PostgresCallbackStore(c.db);
  const jobs = new PostgresCallbackJobStore(c.db);
  const fines = new PostgresFineStore(c.db);
  let scheduler: CallbackScheduler | undefined;
  const service = new CallbackService({
    config: c.config,
    clock: c.clock,
    logger: c.logger,
    hotline: c.hotline,
    agents: c.agents,
    calls: c.calls,
    coordinator: c.coordinator,
    callbacks,
    twilio: c.twilio,
    speaker: c.speaker,
    texts,
    nextOwnerRotation: databaseCounter(c.db, 'callback-owner'),
    roster: c.roster,
    calendar: c.calendar,
    voices: c.voices,
    wakeScheduler: () => scheduler?.wake(),
  });
  const newScheduler = () =>
    new CallbackScheduler({
      config: c.config,
      clock: c.clock,
      logger: c.logger,
      agents: c.agents,
      callbacks,
      jobs,
      fines,
      notifier: c.notifier,
      texts,
      dialLink: (cb, agentId) => service.dialLink(cb, agentId),
      spoolsHoldEventsBefore: async (before, now) => (c.spool ? c.spool.holdsEventsBefore(before, now) : false),
    });
  scheduler = newScheduler();
  const running = scheduler;

  c.hotline.addListener({ name: 'callbacks', callEnded: (call) => service.callEnded(call) });
  c.hotline.setEnding('whenMissed', (call) => service.whenMissed(call));
  c.hotline.setWaitingOffer({
    prompt: texts.offer,
    promptIn: (language) => callbackTexts[language].offer,
    timeoutSeconds: OFFER_LISTEN_SECONDS,
    actionUrl: (callId) => c.hotline.webhookUrl('callback-offer', { call: callId }),
  });

  return {
    name: 'callbacks',
    service,
    scheduler: running,
    callbacks,
    jobs,
    fines,
    newScheduler,
    apiRoutes(router) {
      callbackRoutes(router, callbacks, jobs, service);
      fineRoutes(router, fines, c.agents, c.clock, c.config.TIME_ZONE);
    },
    webhookRoutes(router) {
      callbackWebhooks(router, c.hotline, service, c.clock, async (m) =>
        recordingsOf(c)?.service.reported({ where: { callId: m.callId }, kind: 'voice-message', callSid: m.callSid, recordingSid: m.recordingSid, recordingUrl: m.recordingUrl, status: m.status, seconds: m.seconds, channels: m.channels }),
      );
    },
    publicRoutes(router) {
      dialLinkRoutes(router, { secret: c.config.LINK_SECRET, clock: c.clock, logger: c.logger, callbacks, service, texts, timeZone: c.config.TIME_ZONE, language: c.config.PROMPT_LANGUAGE });
    },
    start: () => running.start(),
    stop: () => running.stop(),
  };
}
