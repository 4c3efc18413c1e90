import type { RequestHandler } from 'express';
import { z } from 'zod';
import type { HotlineService } from '../src/routing/hotline-service';
import { callSid, parse } from './params';
import { sendTwiml } from './twiml-reply';

const callQuery = z.object({ call: z.string().uuid('must be a call id'), recheck: z.literal('1').optional() });

/**
 * The waiting line's document, asked for by the hold music's <Redirect> and by the REST redirect
 * that moves a waiting caller once an agent is free for them.
 */
export function voiceHold(hotline: HotlineService): RequestHandler {
  return async (req, res) => {
    const { call, recheck } = parse(callQuery, req.query);
    parse(z.object({ CallSid: callSid }), req.body);
    sendTwiml(res, await hotline.hold(call, recheck === '1'));
  };
}
