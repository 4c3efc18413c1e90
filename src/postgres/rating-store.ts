import type { Db } from './db';

/**
 * The post-call survey on record (table call_ratings). Every write is conditional, so a repeated
 * Twilio request changes nothing: the survey is offered once, and settled once.
 */
export class RatingStore {
  constructor(private readonly db: Db) {}

  /** Opens the survey for the answering agent's call; a repeat keeps the first. */
  async offer(callId: string, agentId: string, at: Date): Promise<void> {
    await this.db.query(
      `INSERT INTO call_ratings (call_id, agent_id, status, offered_at) VALUES ($1, $2, 'offered', $3)
       ON CONFLICT (call_id) DO NOTHING`,
      [callId, agentId, at],
    );
  }

  /** Settles an open survey with a score, or with the reason there is none. False if already settled. */
  async settle(callId: string, s: { status: 'rated' | 'no-input' | 'invalid-input'; score: number | null; at: Date }): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE call_ratings SET status = $2, score = $3, finished_at = $4
        WHERE call_id = $1 AND status = 'offered' RETURNING call_id`,
      [callId, s.status, s.score, s.at],
    );
    return rows.length > 0;
  }
}
