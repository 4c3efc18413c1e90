import type { RequestHandler } from 'express';
import type { HotlineService } from '../src/routing/hotline-service';
import { incomingParams, parse } from './params';
import { sendTwiml } from './twiml-reply';

/** The number's "A call comes in" webhook: ring the first agent at once (or wait in line for one). */
export function voiceIncoming(hotline: HotlineService): RequestHandler {
  return async (req, res) => {
    const p = parse(incomingParams, req.body);
    sendTwiml(res, await hotline.incoming({ callSid: p.CallSid, from: p.From, to: p.To, callerName: p.CallerName }));
  };
}
