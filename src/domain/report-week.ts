import { DateTime } from 'luxon';

/**
 * The weekly summary (R7) covers one ISO week, Monday 00:00 to the next Monday 00:00, in the
 * hotline's own time zone: a call at 07:00 on Monday in Shanghai belongs to that Monday's week
 * even though it is still Sunday in UTC.
 */
export interface WeekRange {
  week: string;
  from: Date;
  to: Date;
}

const WEEK = /^(\d{4})-W(\d{2})$/;

export function isoWeekRange(week: string, timeZone: string): WeekRange | null {
  const m = WEEK.exec(week);
  if (!m) return null;
  const start = DateTime.fromObject({ weekYear: Number(m[1]), weekNumber: Number(m[2]), weekday: 1 }, { zone: timeZone }).startOf('day');
  if (!start.isValid || start.toFormat("kkkk-'W'WW") !== week) return null;
  return { week, from: start.toJSDate(), to: start.plus({ weeks: 1 }).toJSDate() };
}

/** The last week that has fully ended at `now`: what a Monday-morning report is about. */
export function lastCompleteWeek(now: Date, timeZone: string): WeekRange {
  const thisMonday = DateTime.fromJSDate(now, { zone: timeZone }).startOf('week');
  const start = thisMonday.minus({ weeks: 1 });
  return { week: start.toFormat("kkkk-'W'WW"), from: start.toJSDate(), to: thisMonday.toJSDate() };
}

/** Local calendar dates of the week, Monday first. */
export function weekDates(range: WeekRange, timeZone: string): string[] {
  const start = DateTime.fromJSDate(range.from, { zone: timeZone });
  return Array.from({ length: 7 }, (_, i) => start.plus({ days: i }).toISODate()!);
}
