import { BackgroundLoop } from '../background-loop';
import type { Container, Feature } from '../container';

/**
 * The waiting line's sweep: agents are offered to waiting callers the moment a claim is released,
 * but a claim can also lapse silently (an event that never came) and a caller's wait can run out
 * while nobody frees up. Every WAITING_LINE_SWEEP_SECONDS each instance looks at the lines once.
 */
export function waitingLineFeature(c: Container): Feature {
  const loop = new BackgroundLoop('waiting-line sweep', c.config.WAITING_LINE_SWEEP_SECONDS, () => c.hotline.sweepLines(), c.logger);
  return {
    name: 'waiting-line',
    start: () => loop.start(),
    // The moves under way finish (without further tries) before the stores close.
    stop: async () => {
      await loop.stop();
      await c.hotline.moves.stop();
    },
  };
}
