/**
 * Failed sign-ins are throttled per username and per address: after `maxFailures` within
 * `windowSeconds`, further tries are refused until the oldest of those failures leaves the
 * window. A correct password during the lock-out is refused too, or guessing would still pay.
 */
export interface ThrottleRule {
  maxFailures: number;
  windowSeconds: number;
}

export const SIGN_IN_THROTTLE: ThrottleRule = { maxFailures: 5, windowSeconds: 15 * 60 };

/** When sign-in opens again, or null when it is open now. `failures`: times of recent failures, any order. */
export function lockedUntil(failures: readonly Date[], now: Date, rule: ThrottleRule = SIGN_IN_THROTTLE): Date | null {
  const windowStart = now.getTime() - rule.windowSeconds * 1000;
  const recent = failures.map((d) => d.getTime()).filter((t) => t > windowStart).sort((a, b) => b - a);
  if (recent.length < rule.maxFailures) return null;
  // The newest maxFailures failures keep it locked until the oldest of them ages out.
  return new Date(recent[rule.maxFailures - 1]! + rule.windowSeconds * 1000);
}
