import { BackgroundLoop } from '../background-loop';
import type { Container, Feature } from '../container';

/**
 * The waiting line's sweep: agents are offered to waiting callers the moment a claim is released,
 * but a claim can also lapse silently (an event that never came) and a caller's wait can run out
 * while nobody frees up. Every WAITING_LINE_SWEEP_SECONDS each instance looks at the line once.
 */
export function waitingLineFeature(c: Container): Feature {
  const loop = new BackgroundLoop('waiting-line sweep', c.config.WAITING_LINE_SWEEP_SECONDS, () => c.hotline.promoteWaiting(), c.logger);
  return { name: 'waiting-line', start: () => loop.start(), stop: () => loop.stop() };
}
