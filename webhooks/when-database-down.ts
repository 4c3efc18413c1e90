import type { Request, RequestHandler, Response } from 'express';
import { callerHasLeft } from '../src/domain/call-states';
import { NotFoundError } from '../src/errors';
import { isDatabaseUnreachable, isPassingFailure } from '../src/postgres/database-unreachable';
import { RecordedThenFailed } from '../src/routing/hotline-ports';
import type { DegradedCalls } from '../src/spool/degraded-calls';
import { attemptQuery, callStatusParams, dialResultParams, incomingParams, legStatusParams, parse, screenParams, screenResultParams } from './params';
import { sendTwiml } from './twiml-reply';

/**
 * Answers the request without the database; false when this call is not one it can carry on (the
 * usual fallback answers). `failure` is the usual handler's error, when it ran and failed.
 */
type Degraded = (d: DegradedCalls, req: Request, res: Response, failure?: unknown) => Promise<boolean | void>;

/** Which spooled call a request belongs to, read loosely: a request that does not parse takes the usual path and its 400. */
type Owner = (d: DegradedCalls, req: Request) => boolean;

const byCall: Owner = (d, req) => typeof req.body?.CallSid === 'string' && d.holdsCall(req.body.CallSid);
const byRing: Owner = (d, req) => typeof req.query.attempt === 'string' && d.holdsRing(req.query.attempt);
const byAttempt: Owner = (d, req) => typeof req.query.attempt === 'string' && d.holdsAttempt(req.query.attempt);
/**
 * A Dial action: of a call put through from memory, or behind its leg's events not yet replayed.
 * Not by its CallSid: another instance may be carrying the call from memory while this one
 * spooled one of its status callbacks, and only that instance can ring the caller's next agent.
 */
const byRingOrSpooled: Owner = (d, req) => byRing(d, req) || byAttempt(d, req);

/**
 * Which failures of the usual handler the degraded path takes: `unreachable` only (the database is
 * down), or `passing` too (a deadlock or a busy pool as well, for webhooks whose degraded path
 * spools the event: Twilio never sends it again, and the replay writes it, retrying such failures).
 */
type Takes = 'unreachable' | 'passing';

/**
 * Runs a webhook's usual handler, unless the call is one put through while the database was down
 * and not yet replayed (its requests stay in the spool, in order), or the handler finds the
 * database unreachable (or, per `takes`, failing for a passing reason): then the call goes on
 * without it (src/spool/degraded-calls.ts). Bugs and bad input still fail as before.
 */
function whenDatabaseDown(d: DegradedCalls | undefined, owns: Owner, usual: RequestHandler, degraded: Degraded, takes: Takes = 'unreachable'): RequestHandler {
  if (!d) return usual;
  return async (req, res, next) => {
    if (owns(d, req)) {
      // A call whose events wait in the spool that memory cannot carry on (it began before the outage): the usual fallback answers.
      if ((await degraded(d, req, res)) === false) throw new Error('a call with events still in the spool cannot be carried on from memory');
      return;
    }
    try {
      await usual(req, res, next);
    } catch (err) {
      const unreachable = isDatabaseUnreachable(err);
      if (!(unreachable || (takes === 'passing' && isPassingFailure(err))) || res.headersSent) throw err;
      const why = unreachable ? 'database unreachable: the call goes on without it' : 'database failed for a passing reason: the event is spooled';
      (res.locals.log as { warn(m: string, meta: object): void } | undefined)?.warn(why, { route: req.path, err: err instanceof Error ? err.message : String(err) });
      if ((await degraded(d, req, res, err)) === false) throw err;
    }
  };
}

export const incomingOr = (d: DegradedCalls | undefined, usual: RequestHandler) =>
  whenDatabaseDown(d, byCall, usual, async (h, req, res, failure) => {
    const p = parse(incomingParams, req.body);
    const firstSeq = failure instanceof RecordedThenFailed ? failure.nextSeq : 0;
    sendTwiml(res, await h.incoming({ callSid: p.CallSid, from: p.From, to: p.To, callerName: p.CallerName, firstSeq }));
  });

/** The whisper and its key: only a call put through from memory has them here; others fall back as before (hang up the leg). */
export const screenOr = (d: DegradedCalls | undefined, usual: RequestHandler) =>
  whenDatabaseDown(d, byRing, usual, async (h, req, res) => {
    const { attempt } = parse(attemptQuery, req.query);
    sendTwiml(res, await h.screen(attempt, parse(screenParams, req.body).CallSid));
  });

export const screenResultOr = (d: DegradedCalls | undefined, usual: RequestHandler) =>
  whenDatabaseDown(d, byRing, usual, async (h, req, res) => {
    const { attempt } = parse(attemptQuery, req.query);
    sendTwiml(res, await h.screenResult(attempt, parse(screenResultParams, req.body).Digits));
  });

export const dialResultOr = (d: DegradedCalls | undefined, usual: RequestHandler) =>
  whenDatabaseDown(d, byRingOrSpooled, usual, async (h, req, res) => {
    const { attempt, leg } = parse(attemptQuery, req.query);
    const p = parse(dialResultParams, req.body);
    const twiml = await h.dialResult(attempt, { callSid: p.CallSid, callStatus: p.CallStatus, dialCallStatus: p.DialCallStatus, dialBridged: p.DialBridged, leg });
    if (twiml !== null) return sendTwiml(res, twiml);
    // The fallback hangs up on (or transfers) a caller still on the line: the hotline ends the call.
    if (!(p.CallStatus && callerHasLeft(p.CallStatus))) await h.fellBack(p.CallSid);
    return false;
  }, 'passing');

/** The waiting line needs the database: the caller gets the usual fallback, and the call is spooled as ended by it. */
export const holdOr = (d: DegradedCalls | undefined, usual: RequestHandler) =>
  whenDatabaseDown(d, byCall, usual, async (h, req) => {
    await h.fellBack(parse(screenParams, req.body).CallSid);
    return false;
  });

const spoolLegStatus: Degraded = async (h, req, res) => {
  const { attempt, leg } = parse(attemptQuery, req.query);
  const p = parse(legStatusParams, req.body);
  await h.legStatus(attempt, { childCallSid: p.CallSid, callStatus: p.CallStatus, sequenceNumber: p.SequenceNumber, timestamp: p.Timestamp, callDuration: p.CallDuration, leg });
  res.status(204).end();
};

/**
 * A leg's status whose attempt is not on record: another instance may have put the call through
 * from memory during an outage and not replayed it yet. The status is spooled here, and the
 * replay writes it once the attempt is on record (or sets it aside after a while).
 */
const unknownAttemptSpooled =
  (d: DegradedCalls, usual: RequestHandler): RequestHandler =>
  async (req, res, next) => {
    try {
      await usual(req, res, next);
    } catch (err) {
      if (!(err instanceof NotFoundError) || res.headersSent) throw err;
      await spoolLegStatus(d, req, res);
    }
  };

export const legStatusOr = (d: DegradedCalls | undefined, usual: RequestHandler) =>
  whenDatabaseDown(d, byAttempt, d ? unknownAttemptSpooled(d, usual) : usual, spoolLegStatus, 'passing');

export const callStatusOr = (d: DegradedCalls | undefined, usual: RequestHandler) =>
  whenDatabaseDown(d, byCall, usual, async (h, req, res) => {
    const p = parse(callStatusParams, req.body);
    await h.callStatus({ callSid: p.CallSid, callStatus: p.CallStatus, sequenceNumber: p.SequenceNumber, timestamp: p.Timestamp, callDuration: p.CallDuration });
    res.status(204).end();
  }, 'passing');
