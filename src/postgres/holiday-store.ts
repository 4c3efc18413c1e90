import type { CalendarDay, Weekday } from '../domain/work-calendar';
import type { Db } from './db';

interface DayRow {
  date: string;
  kind: CalendarDay['kind'];
  name: string;
  works_as: Weekday | null;
}

const dayOf = (r: DayRow): CalendarDay => ({ date: r.date, kind: r.kind, name: r.name, ...(r.works_as ? { worksAs: r.works_as } : {}) });

/** The work calendar's days (holiday_days), a year at a time. */
export class PostgresHolidayStore {
  constructor(private readonly db: Db) {}

  /** Every stored day, oldest first (the calendar is a few dozen rows a year). */
  async all(): Promise<CalendarDay[]> {
    const rows = await this.db.query<DayRow>(`SELECT to_char(date, 'YYYY-MM-DD') AS date, kind, name, works_as FROM holiday_days ORDER BY date`);
    return rows.map(dayOf);
  }

  async year(year: number): Promise<CalendarDay[]> {
    const rows = await this.db.query<DayRow>(
      `SELECT to_char(date, 'YYYY-MM-DD') AS date, kind, name, works_as FROM holiday_days WHERE date >= make_date($1, 1, 1) AND date < make_date($1 + 1, 1, 1) ORDER BY date`,
      [year],
    );
    return rows.map(dayOf);
  }

  /** Replaces the year's days with these (already validated: all in that year, no date twice). */
  async replaceYear(year: number, days: readonly CalendarDay[], at: Date): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('DELETE FROM holiday_days WHERE date >= make_date($1, 1, 1) AND date < make_date($1 + 1, 1, 1)', [year]);
      if (days.length === 0) return;
      await tx.query(
        `INSERT INTO holiday_days (date, kind, name, works_as, updated_at)
         SELECT d::date, k, n, NULLIF(w, ''), $5 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(d, k, n, w)`,
        [days.map((d) => d.date), days.map((d) => d.kind), days.map((d) => d.name), days.map((d) => d.worksAs ?? ''), at],
      );
    });
  }
}
