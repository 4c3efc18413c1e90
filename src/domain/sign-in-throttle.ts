/**
 * Console sign-in throttling: guessing slows down exponentially, the right person is not locked out.
 *
 * Failed sign-ins are kept for a day (`windowSeconds`) with the username tried and the client's
 * address, and counted two ways:
 * - per address (any username): past `freeFailures`, the address waits before its next try,
 *   `firstDelaySeconds` doubled for each further failure, at most `maxDelaySeconds`, counted from its
 *   latest failure. A try inside the wait is refused (429) without looking at the password, so
 *   guessing from one place costs time whatever it guesses;
 * - per account (the username, from any address): past `freeFailures` the account is under
 *   attack and has a wait of its own, the same doubling counted from the account's latest failure.
 *   It holds back only addresses that have themselves failed on this account `suspectAfter` times
 *   in the window: guessers spread over many addresses get a few guesses each, then wait with the
 *   account, while an address that has not been guessing at it (the owner at their own desk) has
 *   its password checked as usual, and the right one signs in.
 * A wait is a delay, never a lock: it is counted from the latest failure, so at most `maxDelaySeconds`
 * without a failure opens it.
 */
export interface ThrottleRule {
  freeFailures: number;
  firstDelaySeconds: number;
  maxDelaySeconds: number;
  windowSeconds: number;
  /** Failures on an account from one address before that address waits with the account. */
  suspectAfter: number;
}

export const SIGN_IN_THROTTLE: ThrottleRule = { freeFailures: 5, firstDelaySeconds: 1, maxDelaySeconds: 15 * 60, windowSeconds: 24 * 3600, suspectAfter: 3 };

/** Failures within the window: how many and the latest (null when none). */
export interface FailureCount {
  count: number;
  latest: Date | null;
}

/** What the throttle knows of a try: failures from its address, on its account, and on its account from its address. */
export interface SignInFailures {
  address: FailureCount;
  account: FailureCount;
  accountFromAddress: number;
}

/** The end of the wait these failures impose, or null when none is due now. */
export function backoffUntil(f: FailureCount, now: Date, rule: ThrottleRule = SIGN_IN_THROTTLE): Date | null {
  if (f.count < rule.freeFailures || !f.latest) return null;
  // 2^(count - free), capped before the power can overflow.
  const doublings = Math.min(f.count - rule.freeFailures, 30);
  const delayMs = Math.min(rule.firstDelaySeconds * 2 ** doublings, rule.maxDelaySeconds) * 1000;
  const until = new Date(f.latest.getTime() + delayMs);
  return until > now ? until : null;
}

export type ThrottleVerdict = { held: false } | { held: true; until: Date; by: 'address' | 'account' };

/** Whether a try is held back (and until when), or its password is to be checked. */
export function signInVerdict(f: SignInFailures, now: Date, rule: ThrottleRule = SIGN_IN_THROTTLE): ThrottleVerdict {
  const byAddress = backoffUntil(f.address, now, rule);
  if (byAddress) return { held: true, until: byAddress, by: 'address' };
  const byAccount = f.accountFromAddress >= rule.suspectAfter ? backoffUntil(f.account, now, rule) : null;
  if (byAccount) return { held: true, until: byAccount, by: 'account' };
  return { held: false };
}
