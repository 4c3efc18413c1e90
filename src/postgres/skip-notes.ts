import { createHash } from 'node:crypto';
import type { SkippedAgent, SkipReason } from '../domain/ports';
import type { Queryable } from './db';

/** How many roster lists one instance remembers having stored (a list changes with the roster, not with calls). */
const KNOWN_SETS = 256;
const FOREIGN_KEY_VIOLATION = '23503';

/** The digest a roster list is kept under (migration 0021): the same list, the same key. */
export const skipSetKey = (listed: readonly SkippedAgent[]) => createHash('md5').update(listed.map((s) => `${s.agentId}:${s.reason}`).join(',')).digest('hex');

/**
 * Why the hunt passed agents over, in a bounded number of rows (migration 0021): what the roster
 * passed over (off-duty, on-leave, paused) as one list kept once for every call it held for, the
 * agents found busy as one array with the offer. An offer writes at most one row, and one more
 * the first time its roster list is seen, and none when it says nothing new for its call; a list
 * this instance stored already is not sent again.
 */
/**
 * Notes being written. An offer does not wait for its note (AgentOffers.offerNext: the caller's
 * answer goes out first), so a read of the notes waits for those this process has under way, and
 * a server that stops waits for them before it closes the database.
 */
const writing = new Set<Promise<void>>();

/** Resolves once every note this process has begun is written (or has failed, which the offer logs). */
export async function skipNotesWritten(): Promise<void> {
  while (writing.size > 0) await Promise.allSettled([...writing]);
}

export class SkipNotes {
  private readonly known = new Set<string>();

  constructor(private readonly db: Queryable) {}

  note(callId: string, skipped: readonly SkippedAgent[], at: Date): Promise<void> {
    const written = this.write(callId, skipped, at);
    writing.add(written);
    const done = () => void writing.delete(written);
    written.then(done, done);
    return written;
  }

  private async write(callId: string, skipped: readonly SkippedAgent[], at: Date): Promise<void> {
    const listed = skipped.filter((s) => s.reason !== 'busy');
    const busy = skipped.filter((s) => s.reason === 'busy').map((s) => s.agentId);
    if (listed.length === 0 && busy.length === 0) return;
    const key = listed.length > 0 ? skipSetKey(listed) : null;
    if (key !== null && this.known.has(key)) {
      try {
        await this.insert(callId, at, key, busy, null);
        return;
      } catch (err) {
        // The list is gone from this database (restored from before it was written): send it again.
        if ((err as { code?: string }).code !== FOREIGN_KEY_VIOLATION) throw err;
        this.known.delete(key);
      }
    }
    await this.insert(callId, at, key, busy, key === null ? null : listed);
    if (key === null) return;
    if (this.known.size >= KNOWN_SETS) this.known.clear();
    this.known.add(key);
  }

  /**
   * One note, with only what the call's earlier notes do not already say (the first reason per
   * agent is the one kept): its list unless an earlier note named it, the busy agents no earlier
   * note had busy; nothing at all when that leaves nothing. So a waiting caller offered again at
   * every pass over the line, finding the same agents busy, adds no row. `listed`: the list's
   * content, to store it under `key` if it is not stored yet.
   */
  private async insert(callId: string, at: Date, key: string | null, busy: string[], listed: readonly SkippedAgent[] | null): Promise<void> {
    await this.db.query(
      `WITH listed AS (
         INSERT INTO skip_sets (key, agent_ids, reasons) SELECT $3, $5::uuid[], $6::text[] WHERE $5::uuid[] IS NOT NULL
         ON CONFLICT (key) DO NOTHING
       ), prior AS (
         SELECT skip_set, busy FROM call_skip_notes WHERE call_id = $1
       ), fresh AS (
         SELECT CASE WHEN EXISTS (SELECT 1 FROM prior WHERE skip_set = $3) THEN NULL ELSE $3 END AS skip_set,
                ARRAY(SELECT unnest($4::uuid[]) EXCEPT SELECT unnest(busy) FROM prior) AS busy
       )
       INSERT INTO call_skip_notes (call_id, at, skip_set, busy)
       SELECT $1, $2, skip_set, busy FROM fresh WHERE skip_set IS NOT NULL OR cardinality(busy) > 0`,
      [callId, at, key, busy, listed?.map((s) => s.agentId) ?? null, listed?.map((s) => s.reason) ?? null],
    );
  }

  /**
   * Each call's passed-over agents with the first reason each was passed over for, ordered by when,
   * then by agent id (as the rows of call_skips were). Each roster list is read once for all calls.
   */
  async ofCalls(callIds: readonly string[]): Promise<Map<string, SkippedAgent[]>> {
    const byCall = new Map<string, SkippedAgent[]>();
    if (callIds.length === 0) return byCall;
    await skipNotesWritten();
    const notes = await this.db.query<{ call_id: string; at: Date; skip_set: string | null; busy: string[] }>(
      'SELECT call_id, at, skip_set, busy::text[] AS busy FROM call_skip_notes WHERE call_id = ANY($1::uuid[]) ORDER BY at',
      [callIds],
    );
    const keys = [...new Set(notes.flatMap((n) => (n.skip_set ? [n.skip_set] : [])))];
    const sets = new Map<string, SkippedAgent[]>();
    if (keys.length > 0) {
      const rows = await this.db.query<{ key: string; agent_ids: string[]; reasons: SkipReason[] }>(
        'SELECT key, agent_ids::text[] AS agent_ids, reasons FROM skip_sets WHERE key = ANY($1::text[])',
        [keys],
      );
      for (const r of rows) sets.set(r.key, r.agent_ids.map((agentId, i) => ({ agentId, reason: r.reasons[i]! })));
    }
    const first = new Map<string, Map<string, { at: number; reason: SkipReason }>>();
    for (const n of notes) {
      const seen = first.get(n.call_id) ?? new Map<string, { at: number; reason: SkipReason }>();
      first.set(n.call_id, seen);
      const at = new Date(n.at).getTime();
      const passed = [...(n.skip_set ? (sets.get(n.skip_set) ?? []) : []), ...n.busy.map((agentId) => ({ agentId, reason: 'busy' as const }))];
      for (const s of passed) if (!seen.has(s.agentId)) seen.set(s.agentId, { at, reason: s.reason });
    }
    for (const [callId, seen] of first) {
      const ordered = [...seen].sort(([a, x], [b, y]) => x.at - y.at || (a < b ? -1 : a > b ? 1 : 0));
      byCall.set(callId, ordered.map(([agentId, s]) => ({ agentId, reason: s.reason })));
    }
    return byCall;
  }
}
