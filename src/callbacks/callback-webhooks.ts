import type { Router } from 'express';
import { z } from 'zod';
import { parseTwilioTimestamp } from '../domain/answer-time';
import type { Clock } from '../domain/clock';
import type { HotlineService } from '../routing/hotline-service';
import { parseInput as parse } from '../validation';
import { callSid, dialResultParams } from '../../webhooks/params';
import { sendTwiml } from '../../webhooks/twiml-reply';
import type { CallbackService } from './callback-service';

const callQuery = z.object({ call: z.string().uuid('must be a call id') });
const attemptQuery = z.object({ attempt: z.string().uuid('must be a callback attempt id') });
const legQuery = attemptQuery.extend({ leg: z.enum(['owner', 'customer']) });
const amdParams = z.object({
  CallSid: callSid,
  AnsweredBy: z.enum(['human', 'machine_start', 'machine_end_beep', 'machine_end_silence', 'machine_end_other', 'fax', 'unknown']),
});

const keyParams = z.object({ CallSid: callSid, Digits: z.string().max(20).optional() });
const recordingParams = z.object({
  CallSid: callSid,
  RecordingSid: z.string().regex(/^RE[0-9a-fA-F]{32}$/, 'must be a RE SID').optional(),
  RecordingUrl: z.string().url().optional(),
  RecordingDuration: z.coerce.number().int().min(0).optional(),
  RecordingStatus: z.string().optional(),
  RecordingChannels: z.coerce.number().int().min(1).max(2).optional(),
});
const legParams = z.object({
  CallSid: callSid,
  CallStatus: z.enum(['queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'failed', 'canceled']),
  SequenceNumber: z.coerce.number().int().min(0).optional(),
  Timestamp: z.string().optional(),
  CallDuration: z.coerce.number().int().min(0).optional(),
});

/**
 * The callback feature's Twilio webhooks, under /webhooks (form-parsed and signature-checked by
 * the shared router). Recording URLs are stored, never logged (R12).
 */
/** A voice message Twilio finished recording, passed on to the recordings (they serve it, R12). */
export type VoiceMessageReported = (m: { callId: string; callSid: string; recordingSid: string; recordingUrl: string; status: string; seconds?: number; channels?: number }) => Promise<unknown>;

export function callbackWebhooks(router: Router, hotline: HotlineService, service: CallbackService, clock: Clock, voiceMessage?: VoiceMessageReported): void {
  // The caller's key during a hold prompt: 1 asks for a callback.
  router.post('/voice/callback-offer', async (req, res) => {
    const { call } = parse(callQuery, req.query);
    const p = parse(keyParams, req.body);
    sendTwiml(res, await hotline.waitingKey(call, p.Digits));
  });

  router.post('/voice/callback-message', async (req, res) => {
    const { call } = parse(callQuery, req.query);
    const p = parse(recordingParams, req.body);
    sendTwiml(res, await service.messageLeft(call, { sid: p.RecordingSid, url: p.RecordingUrl, seconds: p.RecordingDuration }));
  });

  router.post('/voice/callback-recording', async (req, res) => {
    const { call } = parse(callQuery, req.query);
    const p = parse(recordingParams, req.body);
    await service.recordingStatus(call, { sid: p.RecordingSid, url: p.RecordingUrl, seconds: p.RecordingDuration, status: p.RecordingStatus });
    if (voiceMessage && p.RecordingSid && p.RecordingUrl && p.RecordingStatus) {
      await voiceMessage({ callId: call, callSid: p.CallSid, recordingSid: p.RecordingSid, recordingUrl: p.RecordingUrl, status: p.RecordingStatus, seconds: p.RecordingDuration, channels: p.RecordingChannels });
    }
    res.status(204).end();
  });

  // The owner's phone answered the REST-created call.
  router.post('/voice/callback-owner', async (req, res) => {
    const { attempt } = parse(attemptQuery, req.query);
    const p = parse(keyParams, req.body);
    sendTwiml(res, await service.ownerAnswered(attempt, p.CallSid));
  });

  router.post('/voice/callback-owner-confirm', async (req, res) => {
    const { attempt } = parse(attemptQuery, req.query);
    const p = parse(keyParams, req.body);
    sendTwiml(res, await service.ownerConfirmed(attempt, p.Digits));
  });

  router.post('/voice/callback-dial-result', async (req, res) => {
    const { attempt } = parse(attemptQuery, req.query);
    const p = parse(dialResultParams.extend({ DialCallSid: callSid.optional() }), req.body);
    sendTwiml(res, await service.customerDialEnded(attempt, { dialCallStatus: p.DialCallStatus, dialBridged: p.DialBridged, dialCallSid: p.DialCallSid, callStatus: p.CallStatus }));
  });

  router.post('/voice/callback-amd', async (req, res) => {
    const { attempt } = parse(attemptQuery, req.query);
    const p = parse(amdParams, req.body);
    await service.customerAnsweredBy(attempt, p.AnsweredBy);
    res.status(204).end();
  });

  router.post('/voice/callback-status', async (req, res) => {
    const { attempt, leg } = parse(legQuery, req.query);
    const p = parse(legParams, req.body);
    await service.legStatus(attempt, leg, {
      callSid: p.CallSid,
      callStatus: p.CallStatus,
      sequenceNumber: p.SequenceNumber,
      eventAt: parseTwilioTimestamp(p.Timestamp, clock.now()),
      callDuration: p.CallDuration,
    });
    res.status(204).end();
  });
}
