/**
 * Missed or abandoned, decided by the clock: who left first, the caller or the hotline, and never
 * which request happened to arrive first. The caller's side is their leg's end, the Timestamp of
 * its terminal status callback (whole seconds, so a status that is late or slow to be handled
 * still tells the truth). The hotline's side is the moment it turned the caller away:
 *
 *   max-wait          the end of their wait, MAX_CALLER_WAIT_SECONDS after they arrived, or the
 *                     moment the hotline said goodbye if sooner (no ring fits in the rest)
 *   webhook-fallback  the moment the caller was answered with the fallback apology (a webhook
 *                     missed WEBHOOK_DEADLINE_SECONDS, failed, or Twilio asked the Voice Fallback URL)
 *   any other miss    the moment the hotline decided it
 *
 * A caller whose leg ended in a whole second before that moment left first: the call is
 * `abandoned`, ended by the caller when they hung up. Otherwise the hotline turned them away: the
 * call is `missed`, with its reason, owed a callback like any miss. A caller who pressed 1 for a
 * callback asked for the miss themselves: that is never undone.
 *
 * Time is an argument; nothing here does I/O.
 */

/** The missed reason of a caller answered with the fallback TwiML. */
export const FALLBACK_MISS = 'webhook-fallback';

export interface EndedCall {
  startedAt: Date;
  endedAt: Date | null;
  outcome: string | null;
  missedReason: string | null;
  endedBy: string | null;
}

/** When the hotline turned this caller away, for a call it ended missed; null for any other end. */
export function turnedAwayAt(call: EndedCall, maxCallerWaitSeconds: number): Date | null {
  if (call.outcome !== 'missed' || call.endedBy !== 'system' || !call.endedAt) return null;
  if (call.missedReason === 'callback-requested') return null;
  // The hotline may say goodbye before the wait's end (no ring fits in the rest): then that moment
  // counts, or a caller hearing the goodbye's hang-up would look as if they had left first.
  if (call.missedReason === 'max-wait') return new Date(Math.min(call.endedAt.getTime(), call.startedAt.getTime() + maxCallerWaitSeconds * 1000));
  return call.endedAt;
}

/**
 * True when the caller's leg ended before `turnedAway`. Twilio's Timestamps have whole seconds,
 * so a hang-up stamped in the same second as the moment cannot be told apart: the hotline's
 * word stands.
 */
export function callerLeftFirst(callerLeftAt: Date, turnedAway: Date): boolean {
  return callerLeftAt.getTime() < Math.floor(turnedAway.getTime() / 1000) * 1000;
}
