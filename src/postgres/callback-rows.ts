import type { CallbackWindow } from '../domain/callback-deadline';
import type { CallbackAttemptOutcome, CallbackJobKind, CallbackStatus } from '../domain/callback-rules';
import { dateOrNull as d, numberOrNull as n } from './row-values';

/** A callback and its attempts as the store hands them out, and the rows they are read from. */
export interface Callback {
  id: string;
  phone: string;
  hotlineNumber: string;
  status: CallbackStatus;
  window: CallbackWindow;
  ownerAgentId: string | null;
  requestedByCaller: boolean;
  firstCallAt: Date;
  waitedSeconds: number | null;
  createdAt: Date;
  dueAt: Date;
  firstAttemptAt: Date | null;
  failedAttempts: number;
  doneAt: Date | null;
  closedAt: Date | null;
  closedByCallId: string | null;
  cancelledAt: Date | null;
  cancelledReason: string | null;
  lapsedAt: Date | null;
  r4BreachedAt: Date | null;
  recording: { sid: string | null; url: string | null; seconds: number | null } | null;
  callIds: string[];
}

export interface CallbackAttempt {
  id: string;
  callbackId: string;
  seq: number;
  agentId: string;
  placedVia: string;
  ownerCallSid: string | null;
  customerCallSid: string | null;
  placedAt: Date;
  ownerAnsweredAt: Date | null;
  customerDialledAt: Date | null;
  customerAnsweredAt: Date | null;
  outcome: CallbackAttemptOutcome | null;
  finishedAt: Date | null;
}

export interface NewCallback {
  phone: string;
  hotlineNumber: string;
  callId: string;
  window: CallbackWindow;
  dueAt: Date;
  firstCallAt: Date;
  waitedSeconds: number | null;
  requestedByCaller: boolean;
  now: Date;
  jobs: { kind: CallbackJobKind; runAt: Date }[];
}

export type Row = Record<string, unknown>;

export function toCallback(r: Row, callIds: string[]): Callback {
  const hasRecording = r.recording_sid !== null || r.recording_url !== null;
  return {
    id: r.id as string,
    phone: r.phone as string,
    hotlineNumber: r.hotline_number as string,
    status: r.status as CallbackStatus,
    window: r.deadline_window as CallbackWindow,
    ownerAgentId: (r.owner_agent_id as string | null) ?? null,
    requestedByCaller: Boolean(r.requested_by_caller),
    firstCallAt: r.first_call_at as Date,
    waitedSeconds: n(r.waited_seconds),
    createdAt: r.created_at as Date,
    dueAt: r.due_at as Date,
    firstAttemptAt: d(r.first_attempt_at),
    failedAttempts: Number(r.failed_attempts),
    doneAt: d(r.done_at),
    closedAt: d(r.closed_at),
    closedByCallId: (r.closed_by_call_id as string | null) ?? null,
    cancelledAt: d(r.cancelled_at),
    cancelledReason: (r.cancelled_reason as string | null) ?? null,
    lapsedAt: d(r.lapsed_at),
    r4BreachedAt: d(r.r4_breached_at),
    recording: hasRecording ? { sid: (r.recording_sid as string) ?? null, url: (r.recording_url as string) ?? null, seconds: n(r.recording_seconds) } : null,
    callIds,
  };
}

export const toAttempt = (r: Row): CallbackAttempt => ({
  id: r.id as string,
  callbackId: r.callback_id as string,
  seq: Number(r.seq),
  agentId: r.agent_id as string,
  placedVia: r.placed_via as string,
  ownerCallSid: (r.owner_call_sid as string | null) ?? null,
  customerCallSid: (r.customer_call_sid as string | null) ?? null,
  placedAt: r.placed_at as Date,
  ownerAnsweredAt: d(r.owner_answered_at),
  customerDialledAt: d(r.customer_dialled_at),
  customerAnsweredAt: d(r.customer_answered_at),
  outcome: (r.outcome as CallbackAttemptOutcome | null) ?? null,
  finishedAt: d(r.finished_at),
});
