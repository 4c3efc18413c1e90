import { BackgroundLoop } from '../background-loop';
import type { Container, Feature } from '../container';
import { PostgresAccountStore } from '../postgres/account-store';
import { PostgresNotifyStore } from '../postgres/notify-store';
import { notifyRoutes } from './notify-routes';

export interface NotifyFeature extends Feature {
  /** Sends what is due in the outbox now (the loop's work; tests call it). */
  deliverDue(now?: Date): ReturnType<Container['notifier']['deliverDue']>;
}

/**
 * The notifier's outbox loop, its API, and the ring card: when an offer rings an agent whose
 * channel is WeCom or DingTalk, a card about the caller is queued (one statement, not awaited by
 * the webhook) and the loop sends it.
 */
export function notifyFeature(c: Container): NotifyFeature {
  const store = new PostgresNotifyStore(c.db);
  const loop = new BackgroundLoop('notify outbox', c.config.NOTIFY_INTERVAL_SECONDS, () => c.notifier.deliverDue(c.clock.now()), c.logger);
  c.notifier.wake = () => loop.wake();
  c.hotline.watchOffers((call, attempt) => {
    c.notifier.ringCard(attempt.agentId, { id: call.id, from: call.from }).catch((err: unknown) => c.logger.warn('ring card not queued', { callSid: call.callSid, err }));
  });
  return {
    name: 'notify',
    deliverDue: (now) => c.notifier.deliverDue(now ?? c.clock.now()),
    apiRoutes: (router) => notifyRoutes(router, { store, agents: c.agents, accounts: new PostgresAccountStore(c.db), clock: c.clock }),
    start: () => loop.start(true),
    stop: () => loop.stop(),
  };
}
