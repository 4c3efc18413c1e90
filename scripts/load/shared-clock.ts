import { ScaledClock } from '../../src/simulator/real-time';

/**
 * A clock that reads `epoch + (wall − epoch) × scale`: every process of a load run that makes one
 * from the same epoch and scale reads the same time, whenever it was made.
 */
export function sharedScaledClock(epochMs: number, scale: number): ScaledClock {
  if (!Number.isFinite(epochMs) || !(scale > 0)) throw new Error('a shared clock needs an epoch and a positive scale');
  return new ScaledClock(scale, new Date(epochMs + (Date.now() - epochMs) * scale));
}
