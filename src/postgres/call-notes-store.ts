import { noteChanges, type CallNotes, type NoteChange, type NoteField } from '../domain/call-notes';
import type { Call } from '../domain/ports';
import { toCall } from './call-rows';
import type { Db } from './db';

export interface NoteChangeRecord extends NoteChange {
  changedBy: string;
  changedAt: Date;
}

/**
 * Told of every notes update that changed something, once it is committed: what a call's type
 * means elsewhere (a complaint opens a case) happens as it is typed, wherever it was typed (the
 * API, the agent's page, the console). It must not throw: the write stands whatever it does.
 */
export type NotesWrittenListener = (call: Call, changes: readonly NoteChange[]) => Promise<void>;

/**
 * The after-call columns of a call: its notes (type, summary, the caller's name) with their audit
 * trail, the one-time "notes link sent" mark, and the agent's request to hand the caller over.
 */
export class CallNotesStore {
  constructor(
    private readonly db: Db,
    /** The container's list, which features add to after this store is made. */
    private readonly written: readonly NotesWrittenListener[] = [],
  ) {}

  /**
   * Applies a notes update and keeps one audit row per field that really changed. A caller name
   * an agent enters also becomes the customer's name (Twilio's suggestion never does).
   */
  async update(callId: string, update: Partial<CallNotes>, by: string, at: Date): Promise<{ call: Call; changes: NoteChange[] } | null> {
    const result = await this.write(callId, update, by, at);
    if (result && result.changes.length > 0) for (const listener of this.written) await listener(result.call, result.changes);
    return result;
  }

  private async write(callId: string, update: Partial<CallNotes>, by: string, at: Date): Promise<{ call: Call; changes: NoteChange[] } | null> {
    return this.db.transaction(async (tx) => {
      const row = (await tx.query<Parameters<typeof toCall>[0]>('SELECT * FROM calls WHERE id = $1 FOR UPDATE', [callId]))[0];
      if (!row) return null;
      const current = toCall(row);
      const changes = noteChanges({ type: current.type, summary: current.summary, callerName: current.notedCallerName }, update);
      if (changes.length === 0) return { call: current, changes };
      const merged: Record<NoteField, string | null> = { type: current.type, summary: current.summary, callerName: current.notedCallerName };
      for (const c of changes) merged[c.field] = c.newValue;
      const updated = (
        await tx.query<Parameters<typeof toCall>[0]>(
          'UPDATE calls SET call_type = $2, summary = $3, noted_caller_name = $4 WHERE id = $1 RETURNING *',
          [callId, merged.type, merged.summary, merged.callerName],
        )
      )[0]!;
      for (const c of changes) {
        await tx.query(
          'INSERT INTO call_note_changes (call_id, changed_by, changed_at, field, old_value, new_value) VALUES ($1, $2, $3, $4, $5, $6)',
          [callId, by, at, c.field, c.oldValue, c.newValue],
        );
      }
      const name = changes.find((c) => c.field === 'callerName');
      if (name?.newValue && current.customerId) {
        await tx.query('UPDATE customers SET name = $2, updated_at = $3 WHERE id = $1', [current.customerId, name.newValue, at]);
      }
      return { call: toCall(updated), changes };
    });
  }

  async history(callId: string): Promise<NoteChangeRecord[]> {
    const rows = await this.db.query<{ field: NoteField; old_value: string | null; new_value: string | null; changed_by: string; changed_at: Date }>(
      'SELECT field, old_value, new_value, changed_by, changed_at FROM call_note_changes WHERE call_id = $1 ORDER BY changed_at, id',
      [callId],
    );
    return rows.map((r) => ({ field: r.field, oldValue: r.old_value, newValue: r.new_value, changedBy: r.changed_by, changedAt: r.changed_at }));
  }

  /** Claims the right to send the agent this call's notes link; only the first claim wins. */
  async claimNotesLink(callId: string, at: Date): Promise<boolean> {
    const rows = await this.db.query('UPDATE calls SET notes_link_sent_at = $2 WHERE id = $1 AND notes_link_sent_at IS NULL RETURNING id', [callId, at]);
    return rows.length > 0;
  }

  /** Gives the claim back after a failed send, so the end of the call can try again. */
  async releaseNotesLink(callId: string): Promise<void> {
    await this.db.query('UPDATE calls SET notes_link_sent_at = NULL WHERE id = $1', [callId]);
  }

  /** Marks a live call as being handed over by its answering agent; false if it is no longer theirs and live. */
  async requestHandover(callId: string, agentId: string, at: Date): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE calls SET handover_requested_at = COALESCE(handover_requested_at, $3)
        WHERE id = $1 AND state = 'connected' AND answered_by_agent_id = $2 RETURNING id`,
      [callId, agentId, at],
    );
    return rows.length > 0;
  }

  /** The redirect failed: the call goes on as before. */
  async cancelHandover(callId: string): Promise<void> {
    await this.db.query(`UPDATE calls SET handover_requested_at = NULL WHERE id = $1 AND state = 'connected'`, [callId]);
  }
}
