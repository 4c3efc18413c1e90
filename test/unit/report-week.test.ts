import { describe, expect, it } from 'vitest';
import { isoWeekRange, lastCompleteWeek, weekDates } from '../../src/domain/report-week';

const TZ = 'Asia/Shanghai';

describe('the week a weekly summary covers', () => {
  it('runs from Monday 00:00 to the next Monday 00:00 in Shanghai', () => {
    const w = isoWeekRange('2026-W48', TZ)!;
    expect(w.from.toISOString()).toBe('2026-11-22T16:00:00.000Z');
    expect(w.to.toISOString()).toBe('2026-11-29T16:00:00.000Z');
    expect(weekDates(w, TZ)).toEqual(['2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26', '2026-11-27', '2026-11-28', '2026-11-29']);
  });

  it('handles the week that spans a new year', () => {
    const w = isoWeekRange('2026-W53', TZ)!;
    expect(weekDates(w, TZ)[0]).toBe('2026-12-28');
    expect(weekDates(w, TZ)[6]).toBe('2027-01-03');
  });

  it('refuses weeks that do not exist or are badly written', () => {
    expect(isoWeekRange('2025-W53', TZ)).toBeNull();
    expect(isoWeekRange('2026-48', TZ)).toBeNull();
    expect(isoWeekRange('2026-W00', TZ)).toBeNull();
  });

  it('takes the last complete week by default, in local time', () => {
    // Monday 07:00 in Shanghai (Sunday 23:00 UTC): week 48 has just ended there.
    expect(lastCompleteWeek(new Date('2026-11-29T23:00:00Z'), TZ).week).toBe('2026-W48');
    // Sunday 23:00 in Shanghai: week 48 is still running, so week 47.
    expect(lastCompleteWeek(new Date('2026-11-29T15:00:00Z'), TZ).week).toBe('2026-W47');
  });
});
