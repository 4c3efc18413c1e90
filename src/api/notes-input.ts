import { z } from 'zod';
import { CALL_TYPES, type CallNotes } from '../domain/call-notes';
import { BadRequestError } from '../errors';
import { parseInput } from '../validation';

/** A text note: trimmed; an empty one clears the field. */
const note = (max: number) =>
  z
    .string({ message: 'must be text' })
    .trim()
    .max(max, `must be at most ${max} characters`)
    .nullable()
    .transform((v) => (v === null || v === '' ? null : v));

/** A call's notes (PATCH /api/calls/:id, the agent's page); exported for the API description. */
export const notesSchema = z.object({
  type: z.enum(CALL_TYPES, { message: `must be one of ${CALL_TYPES.join(', ')}` }).nullable().optional(),
  summary: note(2000).optional(),
  callerName: note(100).optional(),
});

const NOTE_FIELDS = ['type', 'summary', 'callerName'];

/** The notes of a call as the admin API or the agent's page sends them; a bad field is a 400 naming it. */
export function parseNotesUpdate(body: unknown): Partial<CallNotes> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new BadRequestError('body: must be a JSON object');
  const unknown = Object.keys(body).find((k) => !NOTE_FIELDS.includes(k));
  if (unknown) throw new BadRequestError(`${unknown}: not a field of a call's notes (${NOTE_FIELDS.join(', ')})`, unknown);
  const parsed = parseInput(notesSchema, body);
  if (Object.values(parsed).every((v) => v === undefined)) throw new BadRequestError(`body: give at least one of ${NOTE_FIELDS.join(', ')}`);
  return parsed;
}
