import type { RequestHandler } from 'express';
import type { HotlineService } from '../src/routing/hotline-service';
import { attemptQuery, parse, screenParams, screenResultParams } from './params';
import { sendTwiml } from './twiml-reply';

/** The whisper on the agent's leg (<Number url>/<Sip url>): "hotline call, press 1". */
export function voiceScreen(hotline: HotlineService): RequestHandler {
  return async (req, res) => {
    const { attempt } = parse(attemptQuery, req.query);
    const p = parse(screenParams, req.body);
    sendTwiml(res, await hotline.screen(attempt, p.CallSid));
  };
}

/** The whisper's <Gather> result: a 1 bridges the caller, anything else hangs the agent's leg up. */
export function voiceScreenResult(hotline: HotlineService): RequestHandler {
  return async (req, res) => {
    const { attempt } = parse(attemptQuery, req.query);
    const p = parse(screenResultParams, req.body);
    sendTwiml(res, await hotline.screenResult(attempt, p.Digits));
  };
}
