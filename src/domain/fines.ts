import { DateTime } from 'luxon';

/** R3: 20 for the first lapse, 50 for the second, 100 for the third and every later one. */
export const defaultFineSchedule: readonly number[] = [20, 50, 100];

export function fineAmount(lapseOrdinal: number, schedule: readonly number[] = defaultFineSchedule): number {
  if (!Number.isInteger(lapseOrdinal) || lapseOrdinal < 1) {
    throw new Error(`lapseOrdinal must be an integer >= 1, got ${lapseOrdinal}`);
  }
  if (schedule.length === 0) throw new Error('fine schedule is empty');
  // Past the end of the schedule the top step repeats: "100 the third and every later time".
  return schedule[Math.min(lapseOrdinal, schedule.length) - 1] as number;
}

/**
 * The ledger bucket a lapse counts in, so the ladder restarts each period. Read in the hotline's
 * zone: a lapse at 01:00 on 1 December in Shanghai belongs to December even though it is
 * still 30 November in UTC. Weeks are ISO weeks (Monday start, week-year may differ).
 */
export function finePeriodKey(at: Date, timeZone: string, period: 'month' | 'week'): string {
  const local = DateTime.fromJSDate(at, { zone: timeZone });
  if (!local.isValid) throw new Error(`unknown time zone '${timeZone}'`);
  return period === 'month' ? local.toFormat('yyyy-MM') : local.toFormat("kkkk-'W'WW");
}

/** Reads e.g. '20,50,100' from config; every step must be a positive whole amount. */
export function parseFineSchedule(csv: string): number[] {
  const entries = csv.split(',').map((s) => s.trim());
  if (entries.length === 1 && entries[0] === '') throw new Error('fine schedule is empty');
  return entries.map((entry, i) => {
    const amount = Number(entry);
    if (!/^\d+$/.test(entry) || !Number.isSafeInteger(amount) || amount < 1) {
      throw new Error(`fine schedule step ${i + 1} ('${entry}') must be a positive integer`);
    }
    return amount;
  });
}
