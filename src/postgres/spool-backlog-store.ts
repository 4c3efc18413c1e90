import type { Db } from './db';

/**
 * Which instances still hold spooled events (src/spool/), and from when: written by each
 * instance's replayer, read by the callback scheduler before it judges a deadline.
 */
export class PostgresSpoolBacklogStore {
  constructor(private readonly db: Db) {}

  /** This instance's spool still holds events, the oldest from `oldestAt`; seen at `at`. */
  async note(instanceId: string, oldestAt: Date, at: Date): Promise<void> {
    await this.db.query(
      `INSERT INTO spool_backlogs (instance_id, oldest_at, seen_at) VALUES ($1, $2, $3)
       ON CONFLICT (instance_id) DO UPDATE SET oldest_at = EXCLUDED.oldest_at, seen_at = EXCLUDED.seen_at`,
      [instanceId, oldestAt, at],
    );
  }

  /** This instance's spool is empty; rows of instances not seen since `staleBefore` (stopped) go too. */
  async clear(instanceId: string, staleBefore: Date): Promise<void> {
    await this.db.query('DELETE FROM spool_backlogs WHERE instance_id = $1 OR seen_at < $2', [instanceId, staleBefore]);
  }

  /** Whether an instance seen since `freshSince` still holds an event from `before` or earlier. */
  async holdsEventsBefore(before: Date, freshSince: Date): Promise<boolean> {
    const rows = await this.db.query('SELECT 1 FROM spool_backlogs WHERE oldest_at <= $1 AND seen_at >= $2 LIMIT 1', [before, freshSince]);
    return rows.length > 0;
  }
}
