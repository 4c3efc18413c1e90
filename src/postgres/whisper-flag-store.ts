import type { WhisperFlags } from '../domain/whisper-flags';
import type { Db } from './db';

/**
 * What the whisper says about a caller (domain/whisper-flags.ts), read as their offer is picked
 * up: one statement, each half on an index (`complaint_cases_open_phone`, `calls_from_number`).
 */
export class PostgresWhisperFlagStore {
  constructor(private readonly db: Db) {}

  /**
   * `from`: the caller's number; `callId` and `startedAt`: this call, which does not count;
   * `dayStart`: the start of the hotline's local day (a missed call from before it does not count).
   */
  async flagsOf(from: string, callId: string, startedAt: Date, dayStart: Date): Promise<WhisperFlags> {
    const rows = await this.db.query<{ open_complaint: boolean; missed_today: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM complaint_cases WHERE phone = $1 AND status <> 'closed' AND NOT withheld) AS open_complaint,
              EXISTS (SELECT 1 FROM calls WHERE from_number = $1 AND started_at >= $4 AND started_at < $3 AND outcome = 'missed' AND NOT blocked AND id::text <> $2) AS missed_today`,
      [from, callId, startedAt, dayStart],
    );
    const r = rows[0];
    return { openComplaint: r?.open_complaint === true, missedToday: r?.missed_today === true };
  }
}
