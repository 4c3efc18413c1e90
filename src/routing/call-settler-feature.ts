import { BackgroundLoop } from '../background-loop';
import type { Container, Feature } from '../container';
import { CallSettler } from './call-settler';
import { LeftClaims } from './left-claims';

export interface CallSettlerFeature extends Feature {
  /** Tests call settler.settleStale(now) themselves; the loop runs only in the server. */
  settler: CallSettler;
}

/**
 * Every CALL_SETTLE_SECONDS, ends the connected calls whose <Dial> action was lost (see
 * CallSettler), and gives back claims held in the name of calls that have ended (LeftClaims).
 * Installed first, so it is stopped first: a run in progress tells the other features'
 * listeners of the calls it ends before those features stop.
 */
export function callSettlerFeature(c: Container): CallSettlerFeature {
  const leftClaims = new LeftClaims({ agents: c.agents, calls: c.calls, coordinator: c.coordinator, logger: c.logger });
  const settler = new CallSettler({
    calls: c.calls,
    stalled: c.hotline.stalled,
    twilio: c.twilio,
    logger: c.logger,
    maxTalkSeconds: c.config.MAX_TALK_SECONDS,
    maxCallerWaitSeconds: c.config.MAX_CALLER_WAIT_SECONDS,
    leftClaims,
  });
  const loop = new BackgroundLoop('call settler', c.config.CALL_SETTLE_SECONDS, () => settler.settleStale(c.clock.now()), c.logger);
  return {
    name: 'call-settler',
    settler,
    start: () => loop.start(),
    stop: () => loop.stop(),
  };
}
