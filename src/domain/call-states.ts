/**
 * A hotline call's life.
 *
 *   hunting    the caller is on the line and agents are being rung one at a time, or, while
 *              every agent it has not tried is busy with another call, the caller waits in
 *              the waiting line (hold music) until one is free or the wait runs out
 *   connected  an agent pressed 1 and the caller is talking to them
 *   ended      over; the outcome says how:
 *                answered   an agent accepted the call
 *                missed     every available agent was tried, the maximum wait was reached (in the
 *                           waiting line or not), or
 *                           the caller pressed 1 for a callback (missedReason callback-requested),
 *                           and the hotline apologised and hung up; or the caller was answered with
 *                           the fallback apology (missedReason webhook-fallback)
 *                abandoned  the caller hung up while agents were being rung, or while waiting
 *
 *   Which of the two is decided by who left first by the clock, not by which request arrived
 *   first; a later request may correct it (src/domain/who-left-first.ts).
 *
 *   hunting -> connected -> ended(answered)
 *   hunting -> ended(missed | abandoned)
 *
 * A ring attempt (one agent's phone, one <Dial>) ends as one of:
 *   accepted            the agent picked up and pressed 1; the caller was bridged
 *   no-answer | busy | failed   as Twilio reported the leg
 *   rejected-by-screen  something picked up (voicemail, a pocket) but no 1 was pressed
 *   caller-gone         the caller hung up while this agent was being rung
 *   not-bridged         the agent pressed 1 but Twilio never connected them (they dropped, or the
 *                       whisper failed after the key press); the hunt goes on with the next agent
 *   callback-requested  the caller pressed 1 for a callback before this agent's phone was rung
 *   withdrawn           offered to a caller in the waiting line who could not be moved to it (the
 *                       REST redirect failed, or the call ended first); the phone never rang, and
 *                       the agent may be offered to the same caller again
 */
import { createHash } from 'node:crypto';
import type { RingAttempt } from './ports';
export type CallState = 'hunting' | 'connected' | 'ended';
export type CallOutcome = 'answered' | 'missed' | 'abandoned';
export type AttemptOutcome = 'accepted' | 'no-answer' | 'busy' | 'failed' | 'rejected-by-screen' | 'not-bridged' | 'caller-gone' | 'callback-requested' | 'withdrawn';
/** agent-handover: the agent sent the caller to the rating from their phone (R6) instead of hanging up. */
export type EndedBy = 'agent' | 'caller' | 'system' | 'agent-handover';

/** How a finished <Dial> maps onto an attempt outcome, given whether the caller is still there. */
export function attemptOutcomeFromDial(dialCallStatus: string, bridged: boolean, callerGone: boolean): AttemptOutcome {
  if (bridged) return 'accepted';
  if (callerGone) return 'caller-gone';
  switch (dialCallStatus) {
    case 'busy':
      return 'busy';
    case 'failed':
      return 'failed';
    // answered (something picked up) but never bridged: the screen turned it away
    case 'completed':
    case 'answered':
      return 'rejected-by-screen';
    default:
      return 'no-answer';
  }
}

/** Parent-leg CallStatus values that mean the caller is no longer on the line. */
export function callerHasLeft(callStatus: string | undefined): boolean {
  return callStatus === 'completed' || callStatus === 'canceled' || callStatus === 'busy' || callStatus === 'failed' || callStatus === 'no-answer';
}

/**
 * Who holds an agent's claim for one offer: its call and its number in the call, so a repeated
 * request claims as the same holder. The call flow, the calls carried from memory and the spool's
 * replay release each other's claims, so all three name holders this one way.
 */
export const claimHolder = (a: { callId: string; seq: number }): string => `${a.callId}:${a.seq}`;

/**
 * Whether a leg was dialled by a document older than the attempt's newest (a later move of the
 * caller cut it and dialled the agent again): its end must not free the agent, whose claim is the
 * newer leg's. A leg of unknown document (absent `leg`) is taken as the newest.
 */
export const isCutLeg = (attempt: { dialMark?: number }, leg: number | undefined): boolean => leg !== undefined && leg < (attempt.dialMark ?? 0);

/**
 * The id of the hotline call with this CallSid, the same whichever path records it first: the
 * call flow, a call carried on from memory while the database was down (src/spool/), or the
 * spool's replay. A name-based UUID (version 5 layout, SHA-1 of a fixed prefix and the CallSid),
 * so a claim taken under it before the call is on record is still the record's after the replay.
 */
export function callIdFor(callSid: string): string {
  const h = createHash('sha1').update(`threering:call:${callSid}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** An unfinished offer whose agent's phone was never dialled: no leg of it was ever reported. */
export function neverDialled(a: Pick<RingAttempt, 'finishedAt' | 'childCallSid' | 'initiatedAt' | 'ringingAt' | 'answeredAt'>): boolean {
  return !a.finishedAt && !a.childCallSid && !a.initiatedAt && !a.ringingAt && !a.answeredAt;
}
