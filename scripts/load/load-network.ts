import { seededRandom } from '../../src/simulator/seeded-random';
import type { Network } from '../../src/simulator/twilio-model';

/**
 * Twilio's network in a load run: of the status callbacks, 10 % arrive twice and 10 % late
 * (1–20 s, so after requests Twilio sent later: out of order); the rest at once. Key presses are
 * answered in time. The balancer, not this plan, spreads requests over the instances.
 */
export function loadNetwork(seed: number, o: { twiceShare: number; lateShare: number } = { twiceShare: 0.1, lateShare: 0.1 }): Network {
  const rand = seededRandom(seed);
  return {
    callback() {
      const late = rand() < o.lateShare;
      const delaySeconds = late ? 1 + rand() * 19 : 0;
      return { delaySeconds, twice: rand() < o.twiceShare };
    },
    lateKeyPress: () => null,
  };
}
