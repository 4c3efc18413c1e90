import { secondsBetween } from './clock';
import type { RingAttempt } from './ports';
import type { CallbackWindow } from './callback-deadline';

/**
 * A callback's life (R3, R4): a caller the hotline did not put through is called back.
 *
 *   open         created from a missed/abandoned call (or the caller pressed 1); nobody has tried yet
 *   attempted    the owner confirmed and the customer was dialled, but did not answer (yet)
 *   done         the customer answered a callback call
 *   unreachable  CALLBACK_MAX_ATTEMPTS customer dials failed
 *   closed       the caller phoned the hotline again and was answered: nothing left to return
 *   cancelled    never owed: every call in it turned out to be a misdial (a miss corrected, by the
 *                times, to an abandon shorter than MIN_ABANDON_SECONDS); a fine already levied
 *                for it is waived by the system
 *
 *   open -> attempted -> done | unreachable
 *   open -> done
 *   open | attempted -> closed | cancelled
 *
 * Only a dial of the customer counts as an attempt ("called back"): an owner who lets their
 * own phone ring out has not called anyone. An owner who presses 1 and hangs up before the
 * customer's leg starts (`owner-hung-up`) has not either: the callback goes back to where it was
 * (open, or attempted if another try reached the customer), can lapse and be fined, and is
 * placed again. Only failed customer dials count towards `unreachable`; the owner's own misses,
 * that one included, never do, since the customer's phone never rang.
 */
export type CallbackStatus = 'open' | 'attempted' | 'done' | 'unreachable' | 'closed' | 'cancelled';
export const OPEN_STATUSES: readonly CallbackStatus[] = ['open', 'attempted'];

/** Attempt outcomes that did reach the customer's phone (the attempt counts towards the deadline). */
export type CustomerOutcome = 'connected' | 'customer-voicemail' | 'customer-no-answer' | 'customer-busy' | 'customer-failed' | 'customer-canceled';
export type OwnerOutcome = 'owner-declined' | 'owner-hung-up' | 'owner-no-answer' | 'owner-busy' | 'owner-failed' | 'owner-canceled' | 'not-placed';
export type CallbackAttemptOutcome = CustomerOutcome | OwnerOutcome;

/**
 * Whose miss is it? (R3 fines "an agent who failed to answer a forwarded call".) By day an agent
 * owns a call they did not take when, on their attempt:
 *
 *   - their phone rang for at least the answer threshold (ANSWER_THRESHOLD_SECONDS, three rings):
 *     from Twilio's `ringing` Timestamp to the end of the ringing (the pick-up, else the end of
 *     the attempt, else the end of the call); or
 *   - something on their phone picked up and turned the whisper away (their voicemail, or they
 *     answered and did not press 1): `rejected-by-screen` after the whisper was played.
 *
 * Never an agent who pressed 1 (even if Twilio then failed to bridge them), whose phone answered
 * busy or failed (a decline, another call or the network: Twilio cannot tell them apart, and it
 * cost the caller no ring), or who was never rung (withdrawn, the caller pressed 1 first). So a
 * phone that rang for a second before the caller hung up makes nobody the owner.
 *
 * Every input is a fact about the attempt, not about the order its requests arrived in. If the
 * `ringing` event is not in yet, the ring is measured from the offer instead, which is earlier by
 * the carrier's post-dial delay (about a second).
 */
export function ownsMiss(a: RingAttempt, rule: OwnerRule): boolean {
  if (a.acceptedAt || a.outcome === 'accepted' || a.outcome === 'not-bridged') return false;
  if (a.outcome === 'busy' || a.outcome === 'failed' || a.outcome === 'withdrawn' || a.outcome === 'callback-requested') return false;
  if (a.outcome === 'rejected-by-screen' && a.screenedAt) return true;
  return ringDuration(a, rule.callEndedAt) >= rule.answerThresholdSeconds;
}

export interface OwnerRule {
  answerThresholdSeconds: number;
  /** When the call ended: an attempt not finished by then rang until then. */
  callEndedAt: Date;
}

/** How long the agent's phone rang for this attempt, in seconds. */
export function ringDuration(a: RingAttempt, callEndedAt: Date): number {
  const start = a.ringingAt ?? a.initiatedAt ?? a.offeredAt;
  const end = a.answeredAt ?? a.finishedAt ?? callEndedAt;
  return Math.max(0, secondsBetween(start, end));
}

/** The day owner: the first agent in ring order whose miss it is (see ownsMiss), or null. */
export function dayOwner(attempts: readonly RingAttempt[], rule: OwnerRule): string | null {
  return [...attempts].sort((a, b) => a.seq - b.seq).find((a) => ownsMiss(a, rule))?.agentId ?? null;
}

/**
 * Who must return the call: by day the day owner (see ownsMiss); by night, or when the miss is
 * nobody's, the next agent in the owner rotation.
 */
export function chooseOwner(o: OwnerRule & { window: CallbackWindow; attempts: readonly RingAttempt[]; rotationAgentIds: readonly string[]; rotation: number }): string | null {
  if (o.window === 'day') {
    const owner = dayOwner(o.attempts, o);
    if (owner) return owner;
  }
  if (o.rotationAgentIds.length === 0) return null;
  const n = o.rotationAgentIds.length;
  return o.rotationAgentIds[((o.rotation % n) + n) % n] ?? null;
}

export interface CallbackTimes {
  dueAt: Date;
  firstAttemptAt: Date | null;
  doneAt: Date | null;
  closedAt: Date | null;
}

/** The deadline lapsed when nobody dialled the customer by it and the caller had not got through on their own. */
export function lapsed(c: CallbackTimes, now: Date): boolean {
  if (now.getTime() < c.dueAt.getTime()) return false;
  const byDue = (d: Date | null) => d !== null && d.getTime() <= c.dueAt.getTime();
  return !byDue(c.firstAttemptAt) && !byDue(c.doneAt) && !byDue(c.closedAt);
}

/** When R4's promise falls due: maxHours after the first call. */
export function r4LimitAt(firstCallAt: Date, maxHours: number): Date {
  return new Date(firstCallAt.getTime() + maxHours * 3_600_000);
}

/** R4's 24-hour promise: broken when nobody dialled the customer within maxHours of the first call. */
export function breachesR4(c: CallbackTimes & { firstCallAt: Date }, maxHours: number, now: Date): boolean {
  const limit = r4LimitAt(c.firstCallAt, maxHours).getTime();
  if (now.getTime() < limit) return false;
  const byLimit = (d: Date | null) => d !== null && d.getTime() <= limit;
  return !byLimit(c.firstAttemptAt) && !byLimit(c.doneAt) && !byLimit(c.closedAt);
}

export type CallbackJobKind = 'notify' | 'remind' | 'deadline' | 'r4';

/** The scheduler's work for a new callback: tell the owner now, remind before the deadline, judge at it. */
export function jobsFor(o: { createdAt: Date; dueAt: Date; firstCallAt: Date; window: CallbackWindow; reminderMinutes: number; maxHours: number }): { kind: CallbackJobKind; runAt: Date }[] {
  const jobs: { kind: CallbackJobKind; runAt: Date }[] = [{ kind: 'notify', runAt: o.createdAt }];
  const remindAt = new Date(o.dueAt.getTime() - o.reminderMinutes * 60_000);
  if (remindAt.getTime() > o.createdAt.getTime()) jobs.push({ kind: 'remind', runAt: remindAt });
  jobs.push({ kind: 'deadline', runAt: o.dueAt });
  // Day callbacks are due long before 24 h and fined at their deadline; night ones are only flagged.
  if (o.window === 'night') jobs.push({ kind: 'r4', runAt: r4LimitAt(o.firstCallAt, o.maxHours) });
  return jobs;
}

/** After a finished attempt, where the callback stands. */
export function statusAfterAttempt(outcome: CallbackAttemptOutcome, failedCustomerDials: number, maxAttempts: number, current: CallbackStatus): CallbackStatus {
  if (current !== 'open' && current !== 'attempted') return current;
  if (outcome === 'connected') return 'done';
  if (!outcome.startsWith('customer-')) return current;
  return failedCustomerDials >= maxAttempts ? 'unreachable' : 'attempted';
}

/**
 * The owner hung up before the customer's leg started: the attempt did not dial anyone, so the
 * callback is attempted only if another attempt reached the customer's phone.
 */
export function statusAfterOwnerHungUp(current: CallbackStatus, anotherDial: boolean): CallbackStatus {
  if (current !== 'open' && current !== 'attempted') return current;
  return anotherDial ? 'attempted' : 'open';
}

/**
 * Twilio's answering machine detection on the customer's leg: a voicemail or a fax picking up is
 * not "a real call to the customer", so the callback is attempted, not done. `unknown` counts as a person.
 */
export function answeredByMachine(answeredBy: string | null | undefined): boolean {
  return !!answeredBy && (answeredBy.startsWith('machine') || answeredBy === 'fax');
}

/** Twilio's final CallStatus of a leg, as an attempt outcome. */
export function legOutcome(leg: 'owner' | 'customer', callStatus: string): CallbackAttemptOutcome | null {
  switch (callStatus) {
    case 'no-answer':
    case 'busy':
    case 'failed':
    case 'canceled':
      return `${leg}-${callStatus}` as CallbackAttemptOutcome;
    default:
      return null;
  }
}
