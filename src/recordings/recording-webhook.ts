import type { Router } from 'express';
import { z } from 'zod';
import { parseInput as parse } from '../validation';
import { callSid } from '../../webhooks/params';
import type { Clock } from '../domain/clock';
import type { Logger } from '../logger';
import { isPassingFailure } from '../postgres/database-unreachable';
import type { SpoolFile } from '../spool/spool-file';
import type { RecordingReport, RecordingService } from './recording-service';

const whereQuery = z.object({
  call: z.string().uuid('must be a call id').optional(),
  attempt: z.string().uuid('must be a ring attempt id').optional(),
  'callback-attempt': z.string().uuid('must be a callback attempt id').optional(),
  kind: z.enum(['conversation', 'voice-message']).optional(),
});

export const recordingStatusParams = z.object({
  CallSid: callSid,
  RecordingSid: z.string().regex(/^RE[0-9a-fA-F]{32}$/, 'must be a RE SID'),
  RecordingUrl: z.string().url(),
  RecordingStatus: z.enum(['in-progress', 'completed', 'absent', 'failed']),
  RecordingDuration: z.coerce.number().int().min(0).optional(),
  RecordingChannels: z.coerce.number().int().min(1).max(2).optional(),
});

/**
 * Twilio's recording status callback for a recorded <Dial> (signature-checked by the shared
 * router; Twilio ignores the reply). The URL's query says whose call it is. RecordingUrl is
 * stored, never logged or shown (R12).
 */
export function recordingWebhook(router: Router, service: RecordingService, o: { spool: () => SpoolFile | undefined; clock: Clock; logger: Logger }): void {
  router.post('/voice/recording', async (req, res) => {
    const q = parse(whereQuery, req.query);
    const p = parse(recordingStatusParams, req.body);
    const report: RecordingReport = {
      where: { callId: q.call, attemptId: q.attempt, callbackAttemptId: q['callback-attempt'] },
      kind: q.kind === 'voice-message' ? 'voice-message' : q['callback-attempt'] ? 'callback' : 'conversation',
      callSid: p.CallSid,
      recordingSid: p.RecordingSid,
      recordingUrl: p.RecordingUrl,
      status: p.RecordingStatus,
      seconds: p.RecordingDuration,
      channels: p.RecordingChannels,
    };
    try {
      await service.reported(report);
    } catch (err) {
      // Twilio sends a recording's callback once: with the database down (or failing for a passing
      // reason) it is spooled, and the replay keeps it on record, so the retention sweep knows it.
      const spool = o.spool();
      if (!spool || !isPassingFailure(err) || p.RecordingStatus !== 'completed') throw err;
      await spool.append({ type: 'recording-reported', callSid: p.CallSid, report, at: o.clock.now().toISOString() });
      o.logger.warn('database failed: the recording report is spooled', { callSid: p.CallSid, recordingSid: p.RecordingSid, err: (err as Error).message });
    }
    res.status(204).end();
  });
}
