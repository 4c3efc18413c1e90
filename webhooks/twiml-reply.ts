import type { ErrorRequestHandler, Request, Response } from 'express';
import { requestErrorOf } from '../src/errors';
import type { Logger } from '../src/logger';
import { hangupTwiml, newResponse, sayAndHangUp, type Speaker } from '../src/twiml/hotline-twiml';
import { lateHandlerDone } from './turned-away';

export function sendTwiml(res: Response, twiml: string, status = 200): void {
  if (res.headersSent) {
    // The deadline answered first; Twilio has moved on, so this late answer goes nowhere.
    (res.locals.log as Logger | undefined)?.warn('late webhook answer dropped after the deadline fallback');
    lateHandlerDone(res);
    return;
  }
  // Written directly rather than by Express's res.send: Twilio asks each document once, so the
  // ETag (a hash of every answer) and the freshness check that send() adds serve no one.
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/xml; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(twiml));
  res.end(twiml);
}

/**
 * The best the hotline can do with no database: apologise, then ring the duty number if one is
 * configured. Built from configuration alone so it works when everything else is down.
 */
export function fallbackTwiml(speaker: Speaker, fallbackNumber: string | undefined): string {
  const res = newResponse();
  speaker.say(res, speaker.text.systemError);
  if (fallbackNumber) {
    speaker.say(res, speaker.text.transferringToDuty);
    res.dial({ timeout: 30 }, fallbackNumber);
  } else {
    res.hangup();
  }
  return res.toString();
}

/** Webhooks that run on an agent's phone rather than the caller's: the whisper and its key press. */
const WHISPER_PATHS = new Set(['/voice/screen', '/voice/screen-result']);
/**
 * Webhooks whose TwiML runs on an agent's outbound callback leg: the owner's whisper, their key,
 * and what follows the customer's <Dial> (still the owner's phone). The duty line is for callers.
 */
const AGENT_CALL_PATHS = new Set(['/voice/callback-owner', '/voice/callback-owner-confirm', '/voice/callback-dial-result']);

/**
 * The fallback for a failed webhook, by whose phone it runs on. A whisper may not <Dial> (and
 * the duty line is for callers), so a failing whisper just hangs up the agent's leg and the
 * hunt moves on; an agent's callback leg hears the apology; a caller gets the full fallback.
 */
export function fallbackFor(path: string, speaker: Speaker, fallbackNumber: string | undefined): string {
  if (WHISPER_PATHS.has(path)) return hangupTwiml();
  if (AGENT_CALL_PATHS.has(path)) return sayAndHangUp(speaker, speaker.text.systemError);
  return fallbackTwiml(speaker, fallbackNumber);
}

/**
 * One place turns a failure inside a Twilio webhook into a reply. A forgery gets a plain 403.
 * Bad input gets its 4xx naming the problem, with a TwiML apology as the body so a caller is
 * never left in silence. Anything else is logged and answered with the fallback, status 200,
 * so Twilio plays it instead of its own error message.
 */
export function webhookErrorHandler(speaker: Speaker, fallbackNumber: string | undefined, logger: Logger, turnedAway?: (req: Request, res: Response) => void): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const log: Logger = res.locals.log ?? logger;
    if (res.headersSent) {
      // The deadline already answered Twilio with the fallback; this is the late handler failing.
      log.error('webhook failed after its deadline', { path: req.path, err });
      lateHandlerDone(res);
      return;
    }
    const refused = requestErrorOf(err);
    if (refused && refused.status === 403) {
      log.warn('webhook refused', { path: req.path, reason: refused.message });
      res.status(403).json({ error: { code: refused.code, message: refused.message } });
      return;
    }
    // Bad input, unparseable bodies included (Twilio never sends those): a 4xx, not the duty line.
    if (refused) {
      log.warn('webhook rejected', { path: req.path, status: refused.status, reason: refused.message });
      res.setHeader('X-ThreeRing-Error', encodeURIComponent(refused.message));
      sendTwiml(res, fallbackFor(req.path, speaker, undefined), refused.status);
      return;
    }
    log.error('webhook failed', { path: req.path, err });
    sendTwiml(res, fallbackFor(req.path, speaker, fallbackNumber), 200);
    turnedAway?.(req, res);
  };
}
