import type { AttemptOutcome, CallOutcome, EndedBy } from '../domain/call-states';
import type { RecordingReport } from '../domain/recording-rules';

/**
 * What happened to a call while the database could not be written, as facts with their own times,
 * one JSON line each in the spool. Replayed in file order once the database answers again
 * (src/spool/spool-replayer.ts); each is written through an idempotent store method, so a
 * replay that runs twice changes nothing the second time. Dates are ISO strings.
 *
 *   call-arrived      the call and the id chosen for it (its attempts' claims carry that id)
 *   agent-offered     an agent was claimed and rung, under a ring attempt id chosen in advance
 *   agent-screened    the whisper played on the agent's phone
 *   agent-accepted    the agent pressed 1; `at` is when the caller was put through
 *   attempt-finished  the agent's <Dial> ended
 *   leg-event         an agent-leg status callback (also for calls begun before the outage)
 *   call-event        the caller's own status callback; a caller who left a hunting call ends it abandoned
 *   call-ended        the hotline ended the call: answered, or missed (no agent, the duty number)
 *   dial-ended        a Dial action of a call begun before the outage: replayed as the call flow
 *                     takes it (HotlineService.settleDial): the attempt finished, its agent freed,
 *                     a talk ended answered
 *   recording-reported  Twilio's recording status callback (src/recordings/): the recording is
 *                     kept on record at the replay, so none is left at Twilio unknown to the
 *                     retention sweep (R12)
 */
export type SpoolEvent =
  | { type: 'call-arrived'; callSid: string; callId: string; from: string; to: string; callerName: string | null; rotationOffset: number; at: string }
  | { type: 'agent-offered'; callSid: string; attemptId: string; seq: number; agentId: string; endpoint: string; at: string }
  | { type: 'agent-screened'; callSid: string; attemptId: string; childCallSid: string; apologyCued: boolean; at: string }
  | { type: 'agent-accepted'; callSid: string; attemptId: string; at: string }
  | { type: 'attempt-finished'; callSid: string; attemptId: string; outcome: AttemptOutcome; dialCallStatus: string; at: string }
  | {
      type: 'leg-event';
      callSid: string;
      attemptId: string;
      childCallSid: string;
      sequenceNumber: number;
      callStatus: string;
      eventAt: string;
      receivedAt: string;
      durationSeconds: number | null;
      /** Which document dialled the leg (as dial-ended's): a cut leg's end frees nobody. */
      leg?: number;
    }
  | { type: 'call-event'; callSid: string; callStatus: string; sequenceNumber: number | null; eventAt: string; receivedAt: string; durationSeconds: number | null }
  | { type: 'call-ended'; callSid: string; outcome: CallOutcome; endedBy: EndedBy; missedReason?: string; at: string }
  | { type: 'recording-reported'; callSid: string; report: RecordingReport; at: string }
  | { type: 'dial-ended'; callSid: string; attemptId: string; callStatus: string | null; dialCallStatus: string; dialBridged: string | null; leg?: number; at: string };

export type SpoolEventType = SpoolEvent['type'];

/** When what the event records happened. */
export function eventTime(e: SpoolEvent): Date {
  return new Date('at' in e ? e.at : e.eventAt);
}
