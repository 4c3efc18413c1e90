import { seededRandom } from '../../src/simulator/seeded-random';
import type { Network } from '../../src/simulator/twilio-model';

export { seededRandom };

export interface NetworkPlan {
  seed: number;
  /** Status callbacks arrive up to this many seconds late (0: in order, at once). */
  maxDelaySeconds: number;
  /** Share of status callbacks that arrive twice. */
  duplicateShare: number;
  /** Share of agents' key presses answered past Twilio's 15 s. */
  lateKeyPressShare: number;
  /** Requests are spread over the server instances at random. */
  spread: boolean;
}

/**
 * Twilio's network following a seeded plan (late and repeated callbacks, slow key presses, two
 * instances); `use` switches to the next run's plan.
 */
export class PlannedNetwork implements Network {
  private plan: NetworkPlan = { seed: 1, maxDelaySeconds: 0, duplicateShare: 0, lateKeyPressShare: 0, spread: false };
  private rand = seededRandom(1);

  use(plan: NetworkPlan): void {
    this.plan = plan;
    this.rand = seededRandom(plan.seed);
  }

  callback() {
    const delaySeconds = this.plan.maxDelaySeconds > 0 && this.rand() < 0.5 ? this.rand() * this.plan.maxDelaySeconds : 0;
    return { delaySeconds, twice: this.rand() < this.plan.duplicateShare };
  }

  lateKeyPress(): number | null {
    return this.rand() < this.plan.lateKeyPressShare ? 1 + this.rand() * 10 : null;
  }

  instance(n: number): number {
    return this.plan.spread ? Math.floor(this.rand() * n) : 0;
  }
}
