import type { CallType } from '../domain/call-notes';
import type { AttemptOutcome, CallOutcome, EndedBy } from '../domain/call-states';
import type { Call, RingAttempt } from '../domain/ports';

/** The rows of calls and ring_attempts as pg returns them, and the records the stores make of them. */

export interface CallRow {
  id: string;
  call_sid: string;
  from_number: string;
  to_number: string;
  caller_name: string | null;
  started_at: Date;
  rotation_offset: string | number;
  state: Call['state'];
  outcome: CallOutcome | null;
  missed_reason: string | null;
  answered_by_agent_id: string | null;
  accepted_at: Date | null;
  wait_seconds: number | null;
  within_answer_rule: boolean | null;
  ended_at: Date | null;
  talk_seconds: number | null;
  ended_by: EndedBy | null;
  call_type: CallType | null;
  summary: string | null;
  noted_caller_name: string | null;
  customer_id: string | null;
  repeat_caller: boolean;
  handover_requested_at: Date | null;
  first_ring_seconds: number | null;
  line_wait_seconds: number;
  waiting_since: Date | null;
  blocked: boolean;
  internal: boolean;
  warned: boolean;
}

export interface AttemptRow {
  id: string;
  call_id: string;
  seq: number;
  agent_id: string;
  endpoint: string;
  child_call_sid: string | null;
  offered_at: Date;
  initiated_at: Date | null;
  ringing_at: Date | null;
  answered_at: Date | null;
  screened_at: Date | null;
  apology_cued: boolean;
  accepted_at: Date | null;
  ring_seconds: number | null;
  outcome: AttemptOutcome | null;
  dial_call_status: string | null;
  finished_at: Date | null;
  dial_mark: number;
}

export const toCall = (r: CallRow): Call => ({
  id: r.id,
  callSid: r.call_sid,
  from: r.from_number,
  to: r.to_number,
  callerName: r.caller_name,
  startedAt: r.started_at,
  rotationOffset: Number(r.rotation_offset),
  state: r.state,
  outcome: r.outcome,
  missedReason: r.missed_reason,
  answeredByAgentId: r.answered_by_agent_id,
  acceptedAt: r.accepted_at,
  waitSeconds: r.wait_seconds === null ? null : Number(r.wait_seconds),
  withinAnswerRule: r.within_answer_rule,
  endedAt: r.ended_at,
  talkSeconds: r.talk_seconds === null ? null : Number(r.talk_seconds),
  endedBy: r.ended_by,
  type: r.call_type,
  summary: r.summary,
  notedCallerName: r.noted_caller_name,
  customerId: r.customer_id,
  repeatCaller: r.repeat_caller,
  firstRingSeconds: r.first_ring_seconds === null ? null : Number(r.first_ring_seconds),
  lineWaitSeconds: Number(r.line_wait_seconds),
  waitingSince: r.waiting_since,
  blocked: r.blocked === true,
  internal: r.internal === true,
  warned: r.warned === true,
});

export const toAttempt = (r: AttemptRow): RingAttempt => ({
  id: r.id,
  callId: r.call_id,
  seq: Number(r.seq),
  agentId: r.agent_id,
  endpoint: r.endpoint,
  childCallSid: r.child_call_sid,
  offeredAt: r.offered_at,
  initiatedAt: r.initiated_at,
  ringingAt: r.ringing_at,
  answeredAt: r.answered_at,
  screenedAt: r.screened_at,
  apologyCued: r.apology_cued,
  acceptedAt: r.accepted_at,
  ringSeconds: r.ring_seconds === null ? null : Number(r.ring_seconds),
  outcome: r.outcome,
  dialCallStatus: r.dial_call_status,
  finishedAt: r.finished_at,
  dialMark: Number(r.dial_mark ?? 0),
});
