import { describe, expect, it } from 'vitest';
import {
  callbackDeadline,
  defaultDeadlineRules,
  isDayWindow,
  parseHolidays,
  type DeadlineRules,
} from '../../src/domain/callback-deadline.js';

// Instants are written with their offset so every expectation is a plain wall-clock fact.
const at = (iso: string) => new Date(iso);
const rules = (over: Partial<DeadlineRules>): DeadlineRules => ({ ...defaultDeadlineRules, ...over });

describe('the day window (08:00-20:00 in the hotline zone)', () => {
  it('opens at 08:00 exactly and not a minute before', () => {
    expect(isDayWindow(at('2026-05-12T08:00:00+08:00'))).toBe(true);
    expect(isDayWindow(at('2026-05-12T07:59:59+08:00'))).toBe(false);
  });

  it('includes 19:59 but 20:00 is already night', () => {
    expect(isDayWindow(at('2026-05-12T19:59:59+08:00'))).toBe(true);
    expect(isDayWindow(at('2026-05-12T20:00:00+08:00'))).toBe(false);
  });

  it('stays shut all day on a holiday', () => {
    expect(isDayWindow(at('2026-10-01T12:00:00+08:00'), rules({ holidays: ['2026-10-01'] }))).toBe(false);
  });

  it('is read in Shanghai time, not in UTC', () => {
    expect(isDayWindow(at('2026-05-12T01:00:00Z'))).toBe(true); // 09:00 in Shanghai
    expect(isDayWindow(at('2026-05-12T13:00:00Z'))).toBe(false); // 21:00 in Shanghai
  });
});

describe('callback deadline with the default rules (Asia/Shanghai)', () => {
  it('a call at 19:59 is due two hours later, at 21:59', () => {
    expect(callbackDeadline(at('2026-05-12T19:59:00+08:00'))).toEqual({
      dueAt: at('2026-05-12T21:59:00+08:00'),
      window: 'day',
    });
  });

  it('a call at 19:59:59 still counts as a day call', () => {
    expect(callbackDeadline(at('2026-05-12T19:59:59+08:00')).dueAt).toEqual(at('2026-05-12T21:59:59+08:00'));
  });

  it('a call at 20:00 is a night call, due 10:00 the next morning', () => {
    expect(callbackDeadline(at('2026-05-12T20:00:00+08:00'))).toEqual({
      dueAt: at('2026-05-13T10:00:00+08:00'),
      window: 'night',
    });
  });

  it('a call at 07:59 is due 10:00 the same morning', () => {
    expect(callbackDeadline(at('2026-05-12T07:59:00+08:00'))).toEqual({
      dueAt: at('2026-05-12T10:00:00+08:00'),
      window: 'night',
    });
  });

  it('a call at midnight is due 10:00 the same morning', () => {
    expect(callbackDeadline(at('2026-05-12T00:00:00+08:00'))).toEqual({
      dueAt: at('2026-05-12T10:00:00+08:00'),
      window: 'night',
    });
  });

  it('a call at 08:00 exactly is a day call, due 10:00', () => {
    expect(callbackDeadline(at('2026-05-12T08:00:00+08:00'))).toEqual({
      dueAt: at('2026-05-12T10:00:00+08:00'),
      window: 'day',
    });
  });

  it('a call at 23:30 is due 10:00 the next morning', () => {
    expect(callbackDeadline(at('2026-05-12T23:30:00+08:00')).dueAt).toEqual(at('2026-05-13T10:00:00+08:00'));
  });
});

describe('callback deadline around holidays', () => {
  it('a call the evening before a holiday waits for a window two days away, so the 24-hour cap makes it due at 21:00 next day', () => {
    expect(callbackDeadline(at('2026-09-30T21:00:00+08:00'), rules({ holidays: ['2026-10-01'] }))).toEqual({
      dueAt: at('2026-10-01T21:00:00+08:00'),
      window: 'night',
    });
  });

  it('a daytime call on a holiday is a night call, due 10:00 the next working day', () => {
    expect(callbackDeadline(at('2026-10-01T11:00:00+08:00'), rules({ holidays: ['2026-10-01'] }))).toEqual({
      dueAt: at('2026-10-02T10:00:00+08:00'),
      window: 'night',
    });
  });

  it('with a longer cap, a run of holidays pushes the deadline to 10:00 on the first working day', () => {
    const r = rules({ holidays: ['2026-10-01', '2026-10-02', '2026-10-03'], maxHours: 96 });
    expect(callbackDeadline(at('2026-09-30T21:00:00+08:00'), r).dueAt).toEqual(at('2026-10-04T10:00:00+08:00'));
  });

  it('a week of holidays still gets the call returned within 24 hours', () => {
    const week = parseHolidays('2026-10-01,2026-10-02,2026-10-03,2026-10-04,2026-10-05,2026-10-06,2026-10-07');
    expect(callbackDeadline(at('2026-09-30T21:00:00+08:00'), rules({ holidays: week })).dueAt).toEqual(
      at('2026-10-01T21:00:00+08:00'),
    );
  });

  it('a call early on the morning of a holiday is capped 24 hours later', () => {
    const r = rules({ holidays: ['2026-10-01', '2026-10-02'] });
    expect(callbackDeadline(at('2026-10-01T07:00:00+08:00'), r).dueAt).toEqual(at('2026-10-02T07:00:00+08:00'));
  });
});

describe('callback deadline with custom rules', () => {
  const office = rules({ dayStart: '09:00', dayEnd: '18:00', dayDueMinutes: 60, nightDueMinutesAfterOpen: 30 });

  it('a call at 17:30 in a 09:00-18:00 office is due an hour later', () => {
    expect(callbackDeadline(at('2026-05-12T17:30:00+08:00'), office)).toEqual({
      dueAt: at('2026-05-12T18:30:00+08:00'),
      window: 'day',
    });
  });

  it('a call at 18:00 in a 09:00-18:00 office is due 09:30 next morning', () => {
    expect(callbackDeadline(at('2026-05-12T18:00:00+08:00'), office).dueAt).toEqual(at('2026-05-13T09:30:00+08:00'));
  });

  it('a call at 08:59 in a 09:00-18:00 office is due 09:30 the same morning', () => {
    expect(callbackDeadline(at('2026-05-12T08:59:00+08:00'), office).dueAt).toEqual(at('2026-05-12T09:30:00+08:00'));
  });

  it('the cap also shortens a day deadline that would run past it', () => {
    const r = rules({ dayDueMinutes: 30 * 60 });
    expect(callbackDeadline(at('2026-05-12T12:00:00+08:00'), r)).toEqual({
      dueAt: at('2026-05-13T12:00:00+08:00'),
      window: 'day',
    });
  });

  it('a six-hour cap brings a 20:00 call forward to 02:00', () => {
    expect(callbackDeadline(at('2026-05-12T20:00:00+08:00'), rules({ maxHours: 6 })).dueAt).toEqual(
      at('2026-05-13T02:00:00+08:00'),
    );
  });
});

describe('callback deadline in another time zone', () => {
  const newYork = rules({ timeZone: 'America/New_York' });

  it('the same instant is day in New York and night in Shanghai', () => {
    const call = at('2026-05-12T09:00:00-04:00');
    expect(callbackDeadline(call, newYork)).toEqual({ dueAt: at('2026-05-12T11:00:00-04:00'), window: 'day' });
    expect(callbackDeadline(call)).toEqual({ dueAt: at('2026-05-13T10:00:00+08:00'), window: 'night' });
  });

  it('a night call before the spring-forward opens at 08:00 local daylight time', () => {
    // 2026-03-08 is the US switch to daylight time: only 12 real hours pass until 10:00.
    expect(callbackDeadline(at('2026-03-07T21:00:00-05:00'), newYork).dueAt).toEqual(at('2026-03-08T10:00:00-04:00'));
  });
});

describe('bad rules fail loudly', () => {
  it('rejects an unknown time zone', () => {
    expect(() => callbackDeadline(at('2026-05-12T12:00:00Z'), rules({ timeZone: 'Mars/Olympus' }))).toThrow(
      /Mars\/Olympus/,
    );
  });

  it('rejects a malformed start time', () => {
    expect(() => isDayWindow(at('2026-05-12T12:00:00Z'), rules({ dayStart: '8:00' }))).toThrow(/dayStart.*'8:00'/);
  });

  it('rejects a window that ends before it starts', () => {
    expect(() => isDayWindow(at('2026-05-12T12:00:00Z'), rules({ dayStart: '20:00', dayEnd: '08:00' }))).toThrow(
      /before dayEnd/,
    );
  });
});

describe('parseHolidays', () => {
  it('treats a missing or blank setting as no holidays', () => {
    expect(parseHolidays(undefined)).toEqual([]);
    expect(parseHolidays('  ')).toEqual([]);
  });

  it('reads a comma-separated list, ignoring spaces and repeats', () => {
    expect(parseHolidays('2026-10-01, 2026-10-02 ,2026-10-01')).toEqual(['2026-10-01', '2026-10-02']);
  });

  it.each(['2026-13-01', '2026-02-30', '10/01/2026', ''])('names the bad entry %j', (bad) => {
    expect(() => parseHolidays(`2026-10-01,${bad}`)).toThrow(`holiday '${bad}'`);
  });
});

describe('a call when nobody was on duty (the roster had a gap)', () => {
  it('follows the night rule by day: due after the window next opens, not two hours later', () => {
    const r = rules({});
    const monday10 = at('2026-11-23T10:00:00+08:00');
    expect(callbackDeadline(monday10, r).window).toBe('day');
    const gap = callbackDeadline(monday10, r, { nobodyOnDuty: true });
    expect(gap.window).toBe('night');
    expect(gap.dueAt).toEqual(at('2026-11-24T10:00:00+08:00'));
  });
});
