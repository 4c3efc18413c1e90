import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import twilio from 'twilio';
import { ForbiddenError } from '../src/errors';

/**
 * Every Twilio webhook must carry a valid X-Twilio-Signature. The URL signed is the public one
 * Twilio requested (PUBLIC_BASE_URL + path + query), never the Host header a proxy may rewrite.
 * There is no switch to turn this off.
 *
 * The signature is first compared with the one for that exact URL (one HMAC). Only when that
 * fails does `twilio.validateRequest` try its variants of the URL (with and without the port,
 * re-encoded), each a URL parse and an HMAC: the exact URL is always one of them, so this accepts
 * nothing the library would refuse, and a genuine request costs one HMAC instead of up to six.
 */
export function verifyTwilioSignature(authToken: string, publicBaseUrl: string): RequestHandler {
  return (req, _res, next) => {
    const signature = req.header('X-Twilio-Signature');
    if (!signature) return next(new ForbiddenError('missing X-Twilio-Signature header'));
    const url = publicBaseUrl + req.originalUrl;
    const params = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
    if (!signedFor(authToken, signature, url, params) && !twilio.validateRequest(authToken, signature, url, params)) {
      return next(new ForbiddenError('X-Twilio-Signature does not match this request'));
    }
    next();
  };
}

/** Whether `signature` is Twilio's for exactly this URL, compared in constant time. */
function signedFor(authToken: string, signature: string, url: string, params: Record<string, unknown>): boolean {
  const expected = Buffer.from(twilio.getExpectedTwilioSignature(authToken, url, params));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
