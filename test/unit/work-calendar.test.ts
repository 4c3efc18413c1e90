import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { callbackDeadline, defaultDeadlineRules } from '../../src/domain/callback-deadline';
import { ownDuty, type DutyPlan } from '../../src/domain/shifts';
import { calendarOf, isHoliday, rosterWeekday, withSettingHolidays, yearProblem, type CalendarDay } from '../../src/domain/work-calendar';

// The shipped file: the State Council's 2026 notice (国务院办公厅关于2026年部分节假日安排的通知).
const file = JSON.parse(readFileSync('docs/holidays/2026.json', 'utf8')) as { year: number; days: CalendarDay[] };
const cal2026 = calendarOf(file.days);
const holidays = file.days.filter((d) => d.kind === 'holiday').map((d) => d.date);
const workdays = file.days.filter((d) => d.kind === 'workday').map((d) => d.date);

describe('the 2026 official calendar', () => {
  it('lists the seven holidays and the six make-up workdays of the notice, and passes its own validation', () => {
    expect(yearProblem(2026, file.days)).toBeNull();
    expect(holidays).toHaveLength(3 + 9 + 3 + 5 + 3 + 3 + 7);
    expect(workdays).toEqual(['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10']);
    for (const d of ['2026-01-01', '2026-01-03', '2026-02-15', '2026-02-23', '2026-04-06', '2026-05-05', '2026-06-19', '2026-09-27', '2026-10-07']) {
      expect(isHoliday(cal2026, d), d).toBe(true);
    }
    expect(isHoliday(cal2026, '2026-02-24')).toBe(false);
    expect(isHoliday(cal2026, '2026-10-08')).toBe(false);
  });

  it('a make-up Saturday or Sunday follows Monday (no worksAs), a holiday follows nobody, other days their own weekday', () => {
    expect(rosterWeekday(cal2026, '2026-01-04')).toBe(1); // Sunday worked
    expect(rosterWeekday(cal2026, '2026-02-14')).toBe(1); // Saturday worked
    expect(rosterWeekday(cal2026, '2026-10-01')).toBeNull();
    expect(rosterWeekday(cal2026, '2026-01-10')).toBe(6); // an ordinary Saturday
    expect(rosterWeekday(calendarOf([{ date: '2026-10-10', kind: 'workday', name: '国庆节调休上班', worksAs: 'friday' }]), '2026-10-10')).toBe(5);
  });
});

describe('the roster on the calendar', () => {
  const SH = { timeZone: 'Asia/Shanghai', holidays: [] as string[], calendar: cal2026 };
  const weekdays: DutyPlan = { agentId: 'a', hasShifts: false, shifts: [], weekly: [1, 2, 3, 4, 5].map((day) => ({ day, start: '09:00', end: '18:00' })) };

  it('an agent with a Monday–Friday pattern is on duty on the make-up Saturday 2026-02-14, not on an ordinary one', () => {
    expect(ownDuty(weekdays, new Date('2026-02-14T02:00:00Z'), SH)).toBe(true); // 10:00 local
    expect(ownDuty(weekdays, new Date('2026-02-07T02:00:00Z'), SH)).toBe(false);
  });

  it('is off on a weekday holiday (Monday 2026-02-16), and back the day after the festival (Tuesday 2026-02-24)', () => {
    expect(ownDuty(weekdays, new Date('2026-02-16T02:00:00Z'), SH)).toBe(false);
    expect(ownDuty(weekdays, new Date('2026-02-24T02:00:00Z'), SH)).toBe(true);
  });
});

describe('callback deadlines on the calendar', () => {
  const rules = { ...defaultDeadlineRules, calendar: cal2026 };

  it('a call on a holiday afternoon is a night call; the day window opens again after the holiday, within the 24-hour cap', () => {
    // 2026-04-06 (清明, Monday) 15:00 local; 2026-04-07 08:00 + 2 h = 10:00 local = 02:00Z.
    const r = callbackDeadline(new Date('2026-04-06T07:00:00Z'), rules);
    expect(r.window).toBe('night');
    expect(r.dueAt.toISOString()).toBe('2026-04-07T02:00:00.000Z');
    // Without the calendar it is an ordinary Monday: two hours.
    expect(callbackDeadline(new Date('2026-04-06T07:00:00Z')).dueAt.toISOString()).toBe('2026-04-06T09:00:00.000Z');
  });

  it('a night call before a holiday is due at the 24-hour cap instead of the next morning', () => {
    // 2026-09-30 21:00 local; 10-01 is a holiday, so the morning rule would be 10-08: the cap wins.
    const r = callbackDeadline(new Date('2026-09-30T13:00:00Z'), rules);
    expect(r.dueAt.toISOString()).toBe('2026-10-01T13:00:00.000Z');
    expect(callbackDeadline(new Date('2026-09-30T13:00:00Z')).dueAt.toISOString()).toBe('2026-10-01T02:00:00.000Z');
  });

  it('a make-up workday is an ordinary day for callbacks (the window is open on weekends anyway)', () => {
    const r = callbackDeadline(new Date('2026-10-10T02:00:00Z'), rules);
    expect(r.window).toBe('day');
  });
});

describe('a year to store', () => {
  const day = (date: string, extra: Partial<CalendarDay> = {}): CalendarDay => ({ date, kind: 'holiday', name: 'x', ...extra });
  it('names the problem: a date outside the year, a date twice, a worksAs on a holiday, a date that does not exist', () => {
    expect(yearProblem(2026, [day('2027-01-01')])).toMatch(/days\[0\]\.date: 2027-01-01 is not in 2026/);
    expect(yearProblem(2026, [day('2026-01-01'), day('2026-01-01', { kind: 'workday' })])).toMatch(/days\[1\]\.date: 2026-01-01 is listed twice/);
    expect(yearProblem(2026, [day('2026-01-01', { worksAs: 'friday' })])).toMatch(/days\[0\]\.worksAs/);
    expect(yearProblem(2026, [day('2026-02-30')])).toMatch(/not a YYYY-MM-DD date/);
  });

  it('merges the HOLIDAYS setting in as holidays; a stored entry for the same date wins', () => {
    const merged = withSettingHolidays([day('2026-03-02', { kind: 'workday' })], ['2026-03-02', '2026-03-01']);
    expect(merged.map((d) => [d.date, d.kind])).toEqual([
      ['2026-03-01', 'holiday'],
      ['2026-03-02', 'workday'],
    ]);
  });
});
