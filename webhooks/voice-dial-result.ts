import type { RequestHandler } from 'express';
import type { HotlineService } from '../src/routing/hotline-service';
import { attemptQuery, dialResultParams, parse } from './params';
import { sendTwiml } from './twiml-reply';

/** The <Dial action> of one agent: decides between the end of the talk, the next agent, and a missed call. */
export function voiceDialResult(hotline: HotlineService): RequestHandler {
  return async (req, res) => {
    const { attempt, leg } = parse(attemptQuery, req.query);
    const p = parse(dialResultParams, req.body);
    sendTwiml(res, await hotline.dialResult(attempt, { callStatus: p.CallStatus, dialCallStatus: p.DialCallStatus, dialBridged: p.DialBridged, leg }));
  };
}
