import type { Router } from 'express';
import { z } from 'zod';
import { callSid, parse } from '../../webhooks/params';
import { sendTwiml } from '../../webhooks/twiml-reply';
import { RATING_TRIES } from '../domain/rating';
import type { RatingService } from './rating-service';

const callQuery = z.object({ call: z.string().uuid('must be a call id') });
const ratingQuery = callQuery.extend({ try: z.coerce.number().int().min(1).max(RATING_TRIES) });
const ratingParams = z.object({ CallSid: callSid, Digits: z.string().max(20).optional() });

/** The rating's Twilio webhooks: the hand-over's redirect target, and the survey's <Gather> action. */
export function ratingWebhooks(router: Router, rating: RatingService): void {
  router.post('/voice/rating-start', async (req, res) => {
    const { call } = parse(callQuery, req.query);
    const p = parse(ratingParams, req.body);
    sendTwiml(res, await rating.offerAfterHandover(call, p.CallSid));
  });
  router.post('/voice/rating', async (req, res) => {
    const q = parse(ratingQuery, req.query);
    const p = parse(ratingParams, req.body);
    sendTwiml(res, await rating.answer(q.call, p.CallSid, q.try, p.Digits));
  });
}
