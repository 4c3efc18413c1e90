import { DateTime } from 'luxon';

/**
 * The year's public holidays and make-up workdays (调休), as the State Council's notice lists
 * them. A day not in the calendar is an ordinary day of its weekday.
 *
 * - holiday: weekly roster patterns do not start on it (only dated shifts and the hotline's
 *   standby agents are on duty), and the callbacks' day window does not open.
 * - workday (a make-up workday, 调休上班, usually a Saturday or Sunday): the weekly roster
 *   follows `worksAs`. The notices do not say which weekday a make-up day stands for, so the
 *   file may name it; when it does not, the day follows Monday's pattern (a full Monday–Friday
 *   day for anyone with a Monday–Friday pattern). For callbacks it is an ordinary day (the
 *   hotline's day window is open every day that is not a holiday).
 *
 * Dates are local ('YYYY-MM-DD' in the hotline's time zone).
 */

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export type CalendarDayKind = 'holiday' | 'workday';

export interface CalendarDay {
  date: string;
  kind: CalendarDayKind;
  name: string;
  /** Only on a workday: whose weekly pattern the roster follows. Absent: 'monday'. */
  worksAs?: Weekday;
}

/** What the roster and the deadlines ask of the calendar: a lookup by local date, cheap enough for every call. */
export interface WorkCalendar {
  dayOf(date: string): CalendarDay | undefined;
}

export const DEFAULT_WORKS_AS: Weekday = 'monday';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A calendar over a list of days; a later entry for the same date wins. */
export function calendarOf(days: readonly CalendarDay[]): WorkCalendar {
  const byDate = new Map(days.map((d) => [d.date, d]));
  return { dayOf: (date) => byDate.get(date) };
}

export const emptyCalendar: WorkCalendar = { dayOf: () => undefined };

export function isHoliday(calendar: WorkCalendar, date: string): boolean {
  return calendar.dayOf(date)?.kind === 'holiday';
}

/** ISO weekday (1 = Monday … 7 = Sunday) of a weekday name. */
export function isoWeekday(day: Weekday): number {
  return WEEKDAYS.indexOf(day) + 1;
}

/**
 * Whose weekly pattern the roster follows on a local date, as an ISO weekday: the date's own
 * weekday, a make-up workday's `worksAs`, or null on a holiday (no weekly pattern starts).
 */
export function rosterWeekday(calendar: WorkCalendar, date: string, ownWeekday?: number): number | null {
  const entry = calendar.dayOf(date);
  if (entry?.kind === 'holiday') return null;
  if (entry?.kind === 'workday') return isoWeekday(entry.worksAs ?? DEFAULT_WORKS_AS);
  // The caller usually knows the date's weekday already: no second parse on the roster's path.
  return ownWeekday ?? DateTime.fromISO(date, { zone: 'utc' }).weekday;
}

export function isCalendarDate(v: string): boolean {
  return ISO_DATE.test(v) && DateTime.fromISO(v, { zone: 'utc' }).isValid;
}

/**
 * Why a year's days cannot be stored, or null: every date real and in that year, no date twice,
 * worksAs only on workdays. The message names the entry, for a 400.
 */
export function yearProblem(year: number, days: readonly CalendarDay[]): string | null {
  const seen = new Set<string>();
  for (const [i, d] of days.entries()) {
    const at = `days[${i}]`;
    if (!isCalendarDate(d.date)) return `${at}.date: '${d.date}' is not a YYYY-MM-DD date`;
    if (!d.date.startsWith(`${year}-`)) return `${at}.date: ${d.date} is not in ${year}`;
    if (seen.has(d.date)) return `${at}.date: ${d.date} is listed twice`;
    seen.add(d.date);
    if (d.worksAs !== undefined && d.kind !== 'workday') return `${at}.worksAs: only a make-up workday follows another weekday (${d.date} is a ${d.kind})`;
  }
  return null;
}

/**
 * The stored days with the dates of the old HOLIDAYS setting merged in as holidays; a stored
 * entry for the same date wins (an operator can turn a listed holiday into a workday).
 */
export function withSettingHolidays(stored: readonly CalendarDay[], settingHolidays: readonly string[]): CalendarDay[] {
  const dates = new Set(stored.map((d) => d.date));
  const extra = settingHolidays.filter((d) => !dates.has(d)).map((date): CalendarDay => ({ date, kind: 'holiday', name: 'HOLIDAYS' }));
  return [...stored, ...extra].sort((a, b) => a.date.localeCompare(b.date));
}
