import { Router } from 'express';
import { z } from 'zod';
import { actorOf } from '../api/admin-auth';
import type { Clock } from '../domain/clock';
import { WEEKDAYS, yearProblem, type CalendarDay } from '../domain/work-calendar';
import { BadRequestError } from '../errors';
import type { PostgresAuditStore } from '../postgres/audit-store';
import type { PostgresHolidayStore } from '../postgres/holiday-store';
import { parseInput } from '../validation';

export const yearQuery = z.object({ year: z.coerce.number({ message: 'must be a year such as 2026' }).int('must be a year such as 2026').min(2000, 'must be 2000-2100').max(2100, 'must be 2000-2100') });

/** A day as the API and docs/holidays/YYYY.json write it. */
export const calendarDayInput = z
  .object({
    date: z.string({ message: 'must be YYYY-MM-DD' }),
    kind: z.enum(['holiday', 'workday'], { message: "must be 'holiday' or 'workday'" }),
    name: z.string({ message: 'must be text' }).trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
    worksAs: z.enum(WEEKDAYS, { message: "must be a weekday name, 'monday' … 'sunday'" }).optional(),
  })
  .strict();

/** The body of PUT (and the file): `year` may be repeated and must then agree; `source` is a note for readers, not stored. */
export const calendarYearInput = z
  .object({ year: z.number().int().optional(), source: z.string().max(500).optional(), days: z.array(calendarDayInput, { message: 'must be a list of days' }).max(366) })
  .strict();

/** Checks a year's days and returns them in date order, or throws a 400 naming the entry. */
export function checkedYear(year: number, body: unknown): CalendarDay[] {
  const input = parseInput(calendarYearInput, body);
  if (input.year !== undefined && input.year !== year) throw new BadRequestError(`year: the body says ${input.year}, the address ${year}`, 'year');
  const problem = yearProblem(year, input.days);
  if (problem) throw new BadRequestError(problem, problem.split(':')[0]);
  return [...input.days].sort((a, b) => a.date.localeCompare(b.date));
}

export const dayJson = (d: CalendarDay) => ({ date: d.date, kind: d.kind, name: d.name, ...(d.worksAs ? { worksAs: d.worksAs } : {}) });

export interface HolidayRoutesDeps {
  store: PostgresHolidayStore;
  audit: PostgresAuditStore;
  clock: Clock;
  /** The HOLIDAYS setting's dates, shown apart (they cannot be removed through the API). */
  settingHolidays: readonly string[];
  /** Runs after a PUT: this process's calendar reloads at once. */
  changed(): Promise<void>;
}

/** The year's answer: its stored days, and the HOLIDAYS setting's dates in it shown apart. */
export async function yearJson(d: HolidayRoutesDeps, year: number) {
  const days = await d.store.year(year);
  return { year, days: days.map(dayJson), fromSetting: d.settingHolidays.filter((x) => x.startsWith(`${year}-`)) };
}

/** Replaces a year (days already checked), audits it, and reloads this process's calendar. */
export async function saveYear(d: HolidayRoutesDeps, year: number, days: readonly CalendarDay[], actor: string): Promise<void> {
  const before = await d.store.year(year);
  await d.store.replaceYear(year, days, d.clock.now());
  await d.changed();
  await d.audit.record({ actor, action: 'holidays.year-replaced', target: `holidays:${year}`, detail: { before: before.map(dayJson), after: days.map(dayJson) }, at: d.clock.now() });
}

/** GET and PUT /holidays?year=YYYY: a year of holidays and make-up workdays, replaced whole. */
export function holidayRoutes(d: HolidayRoutesDeps): Router {
  const router = Router();

  router.get('/holidays', async (req, res) => {
    const { year } = parseInput(yearQuery, req.query);
    res.json(await yearJson(d, year));
  });

  router.put('/holidays', async (req, res) => {
    const { year } = parseInput(yearQuery, req.query);
    await saveYear(d, year, checkedYear(year, req.body), actorOf(res));
    res.json(await yearJson(d, year));
  });

  return router;
}
