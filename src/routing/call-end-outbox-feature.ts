import { BackgroundLoop } from '../background-loop';
import type { Container, Feature } from '../container';
import type { CallEndOutbox } from './call-end-outbox';

export interface CallEndOutboxFeature extends Feature {
  /** Tests call outbox.retryDue(now) themselves; the loop runs only in the server. */
  outbox: CallEndOutbox;
}

/**
 * Every OUTBOX_RETRY_SECONDS each instance retries the call-ended effects that failed or whose
 * runner died (see CallEndOutbox). Installed before the features whose listeners it runs, so it
 * is stopped before them: a retry in progress, and effects still running beside a webhook's
 * reply, finish while those features are still up.
 */
export function callEndOutboxFeature(c: Container): CallEndOutboxFeature {
  const loop = new BackgroundLoop('call-end outbox', c.config.OUTBOX_RETRY_SECONDS, () => c.callEnds.retryDue(), c.logger);
  return {
    name: 'call-end-outbox',
    outbox: c.callEnds,
    start: () => loop.start(),
    async stop() {
      await loop.stop();
      await c.callEnds.settled();
    },
  };
}
