import { describe, expect, it } from 'vitest';
import { fineAmount, finePeriodKey, parseFineSchedule } from '../../src/domain/fines.js';

describe('fine ladder (R3)', () => {
  it('fines 20, then 50, then 100, then 100 again', () => {
    expect([1, 2, 3, 4].map((n) => fineAmount(n))).toEqual([20, 50, 100, 100]);
  });

  it('keeps fining the top step however many lapses follow', () => {
    expect(fineAmount(10)).toBe(100);
  });

  it('follows a custom schedule and repeats its last step', () => {
    expect([1, 2, 3, 5].map((n) => fineAmount(n, [10, 30]))).toEqual([10, 30, 30, 30]);
  });

  it.each([0, -1, 1.5])('refuses lapse number %s', (n) => {
    expect(() => fineAmount(n)).toThrow(/lapseOrdinal/);
  });

  it('refuses an empty schedule', () => {
    expect(() => fineAmount(1, [])).toThrow(/empty/);
  });
});

describe('fine period keys in the hotline zone', () => {
  it('01:00 on 1 December in Shanghai counts in December though UTC is still in November', () => {
    const lapse = new Date('2026-11-30T17:00:00Z');
    expect(finePeriodKey(lapse, 'Asia/Shanghai', 'month')).toBe('2026-12');
    expect(finePeriodKey(lapse, 'UTC', 'month')).toBe('2026-11');
  });

  it('23:59:59 on 30 November in Shanghai still counts in November', () => {
    expect(finePeriodKey(new Date('2026-11-30T15:59:59Z'), 'Asia/Shanghai', 'month')).toBe('2026-11');
  });

  it('00:30 on New Year in Shanghai opens the new year', () => {
    expect(finePeriodKey(new Date('2026-12-31T16:30:00Z'), 'Asia/Shanghai', 'month')).toBe('2027-01');
  });

  it('Monday 00:00 in Shanghai starts a new ISO week while UTC is still on Sunday', () => {
    const lapse = new Date('2026-11-29T16:00:00Z');
    expect(finePeriodKey(lapse, 'Asia/Shanghai', 'week')).toBe('2026-W49');
    expect(finePeriodKey(lapse, 'UTC', 'week')).toBe('2026-W48');
  });

  it('1 January 2027 belongs to ISO week 53 of 2026', () => {
    expect(finePeriodKey(new Date('2026-12-31T16:30:00Z'), 'Asia/Shanghai', 'week')).toBe('2026-W53');
  });

  it('30 December 2024 belongs to ISO week 1 of 2025 but still to the December month', () => {
    const lapse = new Date('2024-12-29T16:00:00Z');
    expect(finePeriodKey(lapse, 'Asia/Shanghai', 'week')).toBe('2025-W01');
    expect(finePeriodKey(lapse, 'Asia/Shanghai', 'month')).toBe('2024-12');
  });

  it('rejects an unknown time zone', () => {
    expect(() => finePeriodKey(new Date('2026-11-30T17:00:00Z'), 'Mars/Olympus', 'month')).toThrow(/Mars\/Olympus/);
  });
});

describe('parseFineSchedule', () => {
  it("reads '20,50,100'", () => {
    expect(parseFineSchedule('20,50,100')).toEqual([20, 50, 100]);
  });

  it('ignores spaces around the steps', () => {
    expect(parseFineSchedule(' 20 , 50 ')).toEqual([20, 50]);
  });

  it('refuses an empty schedule', () => {
    expect(() => parseFineSchedule('  ')).toThrow(/empty/);
  });

  it.each([
    ['20,0,100', "step 2 ('0')"],
    ['20,-5', "step 2 ('-5')"],
    ['20,1.5', "step 2 ('1.5')"],
    ['abc', "step 1 ('abc')"],
    ['20,,100', "step 2 ('')"],
  ])('refuses %j, naming %s', (csv, named) => {
    expect(() => parseFineSchedule(csv)).toThrow(named);
  });
});
