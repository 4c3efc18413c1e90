import type { Request, Response } from 'express';
import { callerHasLeft } from '../src/domain/call-states';
import type { Clock } from '../src/domain/clock';
import type { Logger } from '../src/logger';
import { isPassingFailure } from '../src/postgres/database-unreachable';
import type { DegradedCalls } from '../src/spool/degraded-calls';
import type { Arrival, HotlineService } from '../src/routing/hotline-service';

/**
 * Requests whose answer the caller never hears: status callbacks (Twilio ignores the answer), and
 * those of an agent's leg (the whisper, a callback owner's call), whose fallback plays to the agent.
 */
const NOT_THE_CALLERS = new Set([
  '/voice/status',
  '/voice/leg-status',
  '/voice/screen',
  '/voice/screen-result',
  '/voice/callback-owner',
  '/voice/callback-owner-confirm',
  '/voice/callback-dial-result',
  '/voice/callback-amd',
  '/voice/callback-status',
  '/voice/callback-recording',
]);

/** The webhook path whose failure a Voice Fallback URL request reports (its ErrorUrl), else the request's own. */
function failedPath(req: Request): string {
  if (req.path !== '/voice/fallback' || typeof req.body?.ErrorUrl !== 'string') return req.path;
  try {
    return new URL(req.body.ErrorUrl).pathname.replace(/^\/webhooks/, '');
  } catch {
    return req.path;
  }
}

/**
 * A caller answered with the fallback TwiML (the deadline passed, the handler failed, or Twilio
 * asked the Voice Fallback URL) was turned away by the hotline: their call is missed, not
 * abandoned when they hang up after the apology (src/domain/who-left-first.ts). The hotline is
 * told at once, and again when a late handler finishes, which may only then have recorded the
 * call; `res.locals.afterFallback` is that second telling. Never throws: the answer has gone.
 * `handlerRunning`: the deadline answered while the handler still runs, so the call's arrival is
 * left to it (it records the call with its true start) and is written here only once it is done.
 */
export function tellTurnedAway(d: { hotline: HotlineService; clock: Clock; degraded?: DegradedCalls }, req: Request, res: Response, handlerRunning = false): void {
  const callSid: unknown = req.body?.CallSid;
  if (typeof callSid !== 'string' || NOT_THE_CALLERS.has(failedPath(req))) return;
  // A caller already gone (a Dial action after their hang-up) heard no fallback.
  if (callerHasLeft(typeof req.body?.CallStatus === 'string' ? req.body.CallStatus : undefined)) return;
  const at = d.clock.now();
  const log: Logger | undefined = res.locals.log;
  const arrival = arrivalOf(req);
  // The database down or failing for a passing reason (a webhook no spool carries failed on it):
  // the spool keeps the turning away, as it does a hold's or a Dial action's, and tries again.
  const tell = (known: Arrival | undefined) => () =>
    void d.hotline
      .turnedAway(callSid, at, undefined, known)
      .catch((err: unknown) => (d.degraded && isPassingFailure(err) ? d.degraded.fellBack(callSid, known, at) : Promise.reject(err)))
      .catch((err: unknown) => log?.warn('could not record the caller turned away by the fallback', { err }));
  tell(handlerRunning ? undefined : arrival)();
  res.locals.afterFallback = tell(arrival);
}

/** The caller's arrival, when the request that failed was the call's incoming webhook (the call may not be on record). */
function arrivalOf(req: Request): Arrival | undefined {
  const { From: from, To: to, CallerName: callerName } = req.body ?? {};
  if (failedPath(req) !== '/voice/incoming' || typeof from !== 'string' || typeof to !== 'string') return undefined;
  return { from, to, callerName: typeof callerName === 'string' ? callerName : undefined };
}

/** A late handler has finished (its answer dropped, or its failure after the fallback): tells the hotline again. */
export function lateHandlerDone(res: Response): void {
  const again = res.locals.afterFallback as (() => void) | undefined;
  res.locals.afterFallback = undefined;
  again?.();
}
