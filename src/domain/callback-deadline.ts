import { DateTime } from 'luxon';
import { isHoliday, type WorkCalendar } from './work-calendar';

/**
 * When a missed call must be returned (R3, R4): two hours by day, first thing after the
 * day window next opens by night, and never more than 24 hours after the call (R4).
 */
export interface DeadlineRules {
  /** IANA zone the 08:00–20:00 rule is read in; the servers may run in UTC. */
  timeZone: string;
  /** 'HH:mm', local, inclusive. */
  dayStart: string;
  /** 'HH:mm', local, exclusive: a call at 20:00 is already a night call. */
  dayEnd: string;
  dayDueMinutes: number;
  /** "First thing" once staff are back, read as this long after the window opens. */
  nightDueMinutesAfterOpen: number;
  /** The 24-hour promise of R4, which also bounds day deadlines. */
  maxHours: number;
  /** 'YYYY-MM-DD' local dates on which the day window does not open. */
  holidays: readonly string[];
  /**
   * The holidays of the work calendar close the day window too. A make-up workday (调休) is an
   * ordinary day here: the window opens every day that is not a holiday, weekends included.
   */
  calendar?: WorkCalendar;
}

export const defaultDeadlineRules: DeadlineRules = {
  timeZone: 'Asia/Shanghai',
  dayStart: '08:00',
  dayEnd: '20:00',
  dayDueMinutes: 120,
  nightDueMinutesAfterOpen: 120,
  maxHours: 24,
  holidays: [],
};

export type CallbackWindow = 'day' | 'night';

const MINUTE_MS = 60_000;
const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function minuteOfDay(hhmm: string, name: string): number {
  const m = HH_MM.exec(hhmm);
  if (!m) throw new Error(`${name} must be HH:mm (00:00-23:59), got '${hhmm}'`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** Bad rules would silently turn every call into a night call, so they fail loudly instead. */
function windowOf(rules: DeadlineRules): { start: number; end: number } {
  const start = minuteOfDay(rules.dayStart, 'dayStart');
  const end = minuteOfDay(rules.dayEnd, 'dayEnd');
  if (start >= end) throw new Error(`dayStart ${rules.dayStart} must be before dayEnd ${rules.dayEnd}`);
  return { start, end };
}

function toLocal(at: Date, timeZone: string): DateTime {
  const local = DateTime.fromJSDate(at, { zone: timeZone });
  if (!local.isValid) throw new Error(`unknown time zone '${timeZone}'`);
  return local;
}

function closedOn(day: DateTime, rules: DeadlineRules): boolean {
  const date = day.toISODate() ?? '';
  return rules.holidays.includes(date) || (rules.calendar !== undefined && isHoliday(rules.calendar, date));
}

function inDayWindow(local: DateTime, rules: DeadlineRules): boolean {
  const { start, end } = windowOf(rules);
  const minute = local.hour * 60 + local.minute;
  return minute >= start && minute < end && !closedOn(local, rules);
}

export function isDayWindow(at: Date, rules: DeadlineRules = defaultDeadlineRules): boolean {
  return inDayWindow(toLocal(at, rules.timeZone), rules);
}

/**
 * The next local moment the day window opens after `local`, skipping holidays. Only days that
 * could still beat the maxHours cap are searched; null means the cap wins anyway.
 */
function nextWindowOpen(local: DateTime, rules: DeadlineRules): DateTime | null {
  const { start } = windowOf(rules);
  const searchDays = Math.ceil(rules.maxHours / 24) + 1;
  for (let i = 0; i <= searchDays; i++) {
    const day = local.startOf('day').plus({ days: i });
    if (closedOn(day, rules)) continue;
    const opens = day.set({ hour: Math.floor(start / 60), minute: start % 60 });
    if (opens > local) return opens;
  }
  return null;
}

/**
 * `nobodyOnDuty`: the call came when the roster had nobody on duty (a gap in 7×24 cover), so the
 * night rule applies whatever the hour: the callback is due after the day window next opens.
 */
export function callbackDeadline(
  createdAt: Date,
  rules: DeadlineRules = defaultDeadlineRules,
  opts: { nobodyOnDuty?: boolean } = {},
): { dueAt: Date; window: CallbackWindow } {
  const local = toLocal(createdAt, rules.timeZone);
  const cap = createdAt.getTime() + rules.maxHours * 60 * MINUTE_MS;
  if (!opts.nobodyOnDuty && inDayWindow(local, rules)) {
    const due = createdAt.getTime() + rules.dayDueMinutes * MINUTE_MS;
    return { dueAt: new Date(Math.min(due, cap)), window: 'day' };
  }
  const opens = nextWindowOpen(local, rules);
  const due = opens === null ? cap : opens.toMillis() + rules.nightDueMinutesAfterOpen * MINUTE_MS;
  return { dueAt: new Date(Math.min(due, cap)), window: 'night' };
}

/** Reads a comma-separated holiday list from config; a typo must not silently open a holiday. */
export function parseHolidays(csv: string | undefined): string[] {
  if (csv === undefined || csv.trim() === '') return [];
  const entries = csv.split(',').map((s) => s.trim());
  for (const entry of entries) {
    if (!ISO_DATE.test(entry) || !DateTime.fromISO(entry, { zone: 'utc' }).isValid) {
      throw new Error(`holiday '${entry}' is not a YYYY-MM-DD date`);
    }
  }
  return [...new Set(entries)];
}
