import type { Db } from './db';

export type AgentLanguage = 'zh-CN' | 'en-US';

/** How long a digest's claim is held before another instance may send it again (its sender died). */
const STALE_CLAIM_MS = 5 * 60_000;

/** The agent page's own rows (migration 0027): each agent's language, and the shift digests sent. */
export class PostgresAgentPageStore {
  constructor(private readonly db: Db) {}

  /** The agent's chosen language; Mandarin when they never chose. */
  async language(agentId: string): Promise<AgentLanguage> {
    const rows = await this.db.query<{ language: AgentLanguage }>('SELECT language FROM agent_page_prefs WHERE agent_id = $1', [agentId]);
    return rows[0]?.language ?? 'zh-CN';
  }

  async setLanguage(agentId: string, language: AgentLanguage, at: Date): Promise<void> {
    await this.db.query(
      `INSERT INTO agent_page_prefs (agent_id, language, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (agent_id) DO UPDATE SET language = EXCLUDED.language, updated_at = EXCLUDED.updated_at`,
      [agentId, language, at],
    );
  }

  /** The callbacks the agent still owes (open or tried), the soonest due first. */
  async openCallbackIds(agentId: string, limit = 50): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      `SELECT id FROM callbacks WHERE owner_agent_id = $1 AND status IN ('open', 'attempted') ORDER BY due_at, id LIMIT $2`,
      [agentId, limit],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Claims the digest of one agent's shift start for this instance: true for exactly one caller
   * (two instances, or two passes, asking at once), unless an earlier claim was never sent and is
   * older than a few minutes.
   */
  async claimDigest(agentId: string, shiftStart: Date, now: Date): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO shift_digests (agent_id, shift_start, claimed_at) VALUES ($1, $2, $3)
       ON CONFLICT (agent_id, shift_start) DO UPDATE SET claimed_at = EXCLUDED.claimed_at
         WHERE shift_digests.sent_at IS NULL AND shift_digests.claimed_at < $4
       RETURNING agent_id`,
      [agentId, shiftStart, now, new Date(now.getTime() - STALE_CLAIM_MS)],
    );
    return rows.length > 0;
  }

  /** The digest is settled: sent, or (with `skipped`) given up for a reason no retry mends. */
  async digestSent(agentId: string, shiftStart: Date, at: Date, skipped?: string): Promise<void> {
    await this.db.query('UPDATE shift_digests SET sent_at = $3, skipped = $4 WHERE agent_id = $1 AND shift_start = $2', [agentId, shiftStart, at, skipped ?? null]);
  }

  /** Gives a claim back after a failed send, so the next pass tries again. */
  async releaseDigest(agentId: string, shiftStart: Date): Promise<void> {
    await this.db.query('DELETE FROM shift_digests WHERE agent_id = $1 AND shift_start = $2 AND sent_at IS NULL', [agentId, shiftStart]);
  }

  async digestsOf(agentId: string): Promise<{ shiftStart: Date; sentAt: Date | null; skipped: string | null }[]> {
    const rows = await this.db.query<{ shift_start: Date; sent_at: Date | null; skipped: string | null }>(
      'SELECT shift_start, sent_at, skipped FROM shift_digests WHERE agent_id = $1 ORDER BY shift_start',
      [agentId],
    );
    return rows.map((r) => ({ shiftStart: r.shift_start, sentAt: r.sent_at, skipped: r.skipped }));
  }
}
