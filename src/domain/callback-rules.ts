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
 *
 *   open -> attempted -> done | unreachable
 *   open -> done
 *   open | attempted -> closed
 *
 * Only a dial of the customer counts as an attempt ("called back"): an owner who lets their
 * own phone ring out has not called anyone.
 */
export type CallbackStatus = 'open' | 'attempted' | 'done' | 'unreachable' | 'closed';
export const OPEN_STATUSES: readonly CallbackStatus[] = ['open', 'attempted'];

/** Attempt outcomes that did reach the customer's phone (the attempt counts towards the deadline). */
export type CustomerOutcome = 'connected' | 'customer-voicemail' | 'customer-no-answer' | 'customer-busy' | 'customer-failed' | 'customer-canceled';
export type OwnerOutcome = 'owner-declined' | 'owner-no-answer' | 'owner-busy' | 'owner-failed' | 'owner-canceled' | 'not-placed';
export type CallbackAttemptOutcome = CustomerOutcome | OwnerOutcome;

/** Did this agent's phone ring for the call without them taking it? (R3 fines "an agent who failed to answer".) */
export function rangUnanswered(a: RingAttempt): boolean {
  if (a.outcome === 'accepted' || a.acceptedAt) return false;
  return a.ringingAt !== null || a.answeredAt !== null || a.outcome === 'no-answer' || a.outcome === 'rejected-by-screen';
}

/**
 * Who must return the call: by day the first agent whose phone rang and who did not take it;
 * by night, or when nobody was rung, the next agent in the owner rotation.
 */
export function chooseOwner(o: { window: CallbackWindow; attempts: readonly RingAttempt[]; rotationAgentIds: readonly string[]; rotation: number }): string | null {
  if (o.window === 'day') {
    const first = [...o.attempts].sort((a, b) => a.seq - b.seq).find(rangUnanswered);
    if (first) return first.agentId;
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

/** R4's 24-hour promise: broken when nobody dialled the customer within maxHours of the first call. */
export function breachesR4(c: CallbackTimes & { firstCallAt: Date }, maxHours: number, now: Date): boolean {
  const limit = c.firstCallAt.getTime() + maxHours * 3_600_000;
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
  if (o.window === 'night') jobs.push({ kind: 'r4', runAt: new Date(o.firstCallAt.getTime() + o.maxHours * 3_600_000) });
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
