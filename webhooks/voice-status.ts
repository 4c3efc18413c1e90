import type { RequestHandler } from 'express';
import type { HotlineService } from '../src/routing/hotline-service';
import { attemptQuery, callStatusParams, legStatusParams, parse } from './params';

/** Agent-leg progress (initiated, ringing, answered, completed); Twilio ignores the reply. */
export function voiceLegStatus(hotline: HotlineService): RequestHandler {
  return async (req, res) => {
    const { attempt, leg } = parse(attemptQuery, req.query);
    const p = parse(legStatusParams, req.body);
    await hotline.legStatus(attempt, {
      leg,
      childCallSid: p.CallSid,
      callStatus: p.CallStatus,
      sequenceNumber: p.SequenceNumber,
      timestamp: p.Timestamp,
      callDuration: p.CallDuration,
    });
    res.status(204).end();
  };
}

/** The hotline number's "call status changes" webhook: the caller's own leg. */
export function voiceCallStatus(hotline: HotlineService): RequestHandler {
  return async (req, res) => {
    const p = parse(callStatusParams, req.body);
    await hotline.callStatus({
      callSid: p.CallSid,
      callStatus: p.CallStatus,
      sequenceNumber: p.SequenceNumber,
      timestamp: p.Timestamp,
      callDuration: p.CallDuration,
    });
    res.status(204).end();
  };
}
