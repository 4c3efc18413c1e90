import express, { Router } from 'express';
import type { Clock } from '../src/domain/clock';
import type { Logger } from '../src/logger';
import type { HotlineService } from '../src/routing/hotline-service';
import type { DegradedCalls } from '../src/spool/degraded-calls';
import type { Speaker } from '../src/twiml/hotline-twiml';
import { tellTurnedAway } from './turned-away';
import { verifyTwilioSignature } from './twilio-signature';
import { fallbackFor, fallbackTwiml, sendTwiml, webhookErrorHandler } from './twiml-reply';
import { voiceDialResult } from './voice-dial-result';
import { voiceHold } from './voice-hold';
import { voiceIncoming } from './voice-incoming';
import { voiceScreen, voiceScreenResult } from './voice-screen';
import { voiceCallStatus, voiceLegStatus } from './voice-status';
import { callStatusOr, dialResultOr, holdOr, incomingOr, legStatusOr, screenOr, screenResultOr } from './when-database-down';

export interface WebhookDeps {
  hotline: HotlineService;
  authToken: string;
  publicBaseUrl: string;
  speaker: Speaker;
  fallbackNumber?: string;
  logger: Logger;
  /** The hotline's clock: when a caller was answered with the fallback. */
  clock: Clock;
  /** Twilio gives up on a webhook after 15 s; past this deadline the caller gets the fallback instead. */
  deadlineSeconds: number;
  /** Told of every answered webhook (the metrics): a known route's path, or "other". */
  observe?: (route: string, status: number, seconds: number) => void;
  /** Puts callers through while the database is down, and spools their calls (src/spool/). */
  degraded?: DegradedCalls;
  /** Routes that later features add under /webhooks (signature-checked like the rest). */
  extraRoutes?: (router: Router) => void;
}

/** Every Twilio callback: form-parsed, signature-checked, logged with its CallSid, answered with TwiML. */
export function twilioWebhooks(d: WebhookDeps): Router {
  const router = Router();
  router.use(express.urlencoded({ extended: false, limit: '64kb' }));
  // Timed and logged from here on, so that refused (unsigned) requests are counted too.
  router.use((req, res, next) => {
    const callSid = typeof req.body?.CallSid === 'string' ? req.body.CallSid : undefined;
    const log = d.logger.child({ callSid, route: req.path });
    res.locals.log = log;
    const started = process.hrtime.bigint();
    const deadline = setTimeout(() => {
      if (res.headersSent) return;
      log.error('webhook missed its deadline: answering with the fallback', { deadlineSeconds: d.deadlineSeconds });
      sendTwiml(res, fallbackFor(req.path, d.speaker, d.fallbackNumber));
      tellTurnedAway(d, req, res, true);
    }, d.deadlineSeconds * 1000);
    res.on('close', () => clearTimeout(deadline));
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log.info('webhook answered', { status: res.statusCode, ms });
      // Only paths a route answers become labels: made-up paths must not grow the metrics.
      d.observe?.(known.has(req.path) ? `/webhooks${req.path}` : 'other', res.statusCode, ms / 1000);
    });
    next();
  });
  router.use(verifyTwilioSignature(d.authToken, d.publicBaseUrl));
  router.post('/voice/incoming', incomingOr(d.degraded, voiceIncoming(d.hotline)));
  router.post('/voice/hold', holdOr(d.degraded, voiceHold(d.hotline)));
  router.post('/voice/screen', screenOr(d.degraded, voiceScreen(d.hotline)));
  router.post('/voice/screen-result', screenResultOr(d.degraded, voiceScreenResult(d.hotline)));
  router.post('/voice/dial-result', dialResultOr(d.degraded, voiceDialResult(d.hotline)));
  router.post('/voice/leg-status', legStatusOr(d.degraded, voiceLegStatus(d.hotline)));
  router.post('/voice/status', callStatusOr(d.degraded, voiceCallStatus(d.hotline)));
  // The number's Voice Fallback URL: Twilio asks here when the main webhook failed.
  router.post('/voice/fallback', (req, res) => {
    sendTwiml(res, fallbackTwiml(d.speaker, d.fallbackNumber));
    tellTurnedAway(d, req, res);
  });
  d.extraRoutes?.(router);
  const known = new Set(router.stack.flatMap((layer) => (layer.route?.path && typeof layer.route.path === 'string' ? [layer.route.path] : [])));
  router.use(webhookErrorHandler(d.speaker, d.fallbackNumber, d.logger, (req, res) => tellTurnedAway(d, req, res)));
  return router;
}
