import type { RequestHandler } from 'express';
import twilio from 'twilio';
import { ForbiddenError } from '../src/errors';

/**
 * Every Twilio webhook must carry a valid X-Twilio-Signature. The URL signed is the public one
 * Twilio requested (PUBLIC_BASE_URL + path + query), never the Host header a proxy may rewrite.
 * There is no switch to turn this off.
 */
export function verifyTwilioSignature(authToken: string, publicBaseUrl: string): RequestHandler {
  return (req, _res, next) => {
    const signature = req.header('X-Twilio-Signature');
    if (!signature) return next(new ForbiddenError('missing X-Twilio-Signature header'));
    const url = publicBaseUrl + req.originalUrl;
    const params = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
    if (!twilio.validateRequest(authToken, signature, url, params)) {
      return next(new ForbiddenError('X-Twilio-Signature does not match this request'));
    }
    next();
  };
}
