import type { Db } from './db';

/**
 * What each instance's spool holds back (src/spool/): written by each instance's replay loop at
 * every tick, read by the callback scheduler before it judges a deadline. A row says "as of
 * `seen_at`, this instance's spool held nothing older than `oldest_at`" (nothing at all when it
 * is null): a watermark.
 */
export class PostgresSpoolBacklogStore {
  constructor(private readonly db: Db) {}

  /**
   * This instance's spool, seen at `at`: holding events from `oldestAt` on, or empty (null). Rows
   * of instances not seen since `staleBefore` (stopped for good) go at the same time.
   */
  async note(instanceId: string, oldestAt: Date | null, at: Date, staleBefore: Date): Promise<void> {
    await this.db.query(
      `WITH gone AS (DELETE FROM spool_backlogs WHERE seen_at < $4 AND instance_id <> $1)
       INSERT INTO spool_backlogs (instance_id, oldest_at, seen_at) VALUES ($1, $2, $3)
       ON CONFLICT (instance_id) DO UPDATE SET oldest_at = EXCLUDED.oldest_at, seen_at = EXCLUDED.seen_at`,
      [instanceId, oldestAt, at, staleBefore],
    );
  }

  /**
   * Whether an instance seen since `freshSince` may still hold an event from `before` or earlier:
   * its spool held one when it last reported, or it has not reported since `before` (it may have
   * spooled one since: a PostgreSQL outage not replayed yet). An instance not seen since
   * `freshSince` has stopped and holds nothing back.
   */
  async holdsEventsBefore(before: Date, freshSince: Date): Promise<boolean> {
    const rows = await this.db.query('SELECT 1 FROM spool_backlogs WHERE seen_at >= $2 AND (oldest_at <= $1 OR seen_at < $1) LIMIT 1', [before, freshSince]);
    return rows.length > 0;
  }
}
