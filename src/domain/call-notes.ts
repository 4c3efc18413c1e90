/** What a call was about (R5): the types an agent picks from, and the notes kept on the call. */
export const CALL_TYPES = ['consultation', 'complaint', 'repair', 'suggestion', 'other'] as const;
export type CallType = (typeof CALL_TYPES)[number];

export interface CallNotes {
  type: CallType | null;
  summary: string | null;
  callerName: string | null;
}

export type NoteField = keyof CallNotes;

export interface NoteChange {
  field: NoteField;
  oldValue: string | null;
  newValue: string | null;
}

/** The fields an update really changes; an unchanged or absent field leaves no audit row. */
export function noteChanges(current: CallNotes, update: Partial<CallNotes>): NoteChange[] {
  const changes: NoteChange[] = [];
  for (const field of ['type', 'summary', 'callerName'] as const) {
    if (!(field in update) || update[field] === undefined) continue;
    const next = update[field] ?? null;
    if (next !== current[field]) changes.push({ field, oldValue: current[field], newValue: next });
  }
  return changes;
}

/** A repeat caller called the hotline before, within `days` before this call started. */
export function repeatWindowStart(startedAt: Date, days: number): Date {
  return new Date(startedAt.getTime() - days * 24 * 3600 * 1000);
}
