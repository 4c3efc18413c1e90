import { z } from 'zod';

/** The parameters Twilio posts, validated at the edge; a missing field is a 400 that names it. */
const sid = (prefix: string) => z.string().regex(new RegExp(`^${prefix}[0-9a-fA-F]{32}$`), `must be a ${prefix} SID`);

export const callSid = sid('CA');

export const incomingParams = z.object({
  CallSid: callSid,
  From: z.string().min(1).max(200),
  To: z.string().min(1).max(200),
  CallerName: z.string().max(200).optional(),
});

export const attemptQuery = z.object({
  attempt: z.string().uuid('must be a ring attempt id'),
  /** Which document dialled the leg (CallDocuments.ring); absent in a document from before it was added. */
  leg: z.coerce.number().int('must be a whole number').min(0, 'must not be negative').optional(),
});

export const screenParams = z.object({ CallSid: callSid });

export const screenResultParams = z.object({ CallSid: callSid, Digits: z.string().max(20).optional() });

export const dialResultParams = z.object({
  CallSid: callSid,
  CallStatus: z.string().optional(),
  DialCallStatus: z.enum(['completed', 'answered', 'busy', 'no-answer', 'failed', 'canceled']),
  DialBridged: z.enum(['true', 'false']).optional(),
});

export const legStatusParams = z.object({
  CallSid: callSid,
  CallStatus: z.enum(['queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'failed', 'canceled']),
  SequenceNumber: z.coerce.number().int().min(0),
  Timestamp: z.string().optional(),
  CallDuration: z.coerce.number().int().min(0).optional(),
});

export const callStatusParams = z.object({
  CallSid: callSid,
  CallStatus: z.enum(['queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'failed', 'canceled']),
  SequenceNumber: z.coerce.number().int().min(0).optional(),
  Timestamp: z.string().optional(),
  CallDuration: z.coerce.number().int().min(0).optional(),
});

export { parseInput as parse } from '../src/validation';
