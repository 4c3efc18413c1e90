import { describe, expect, it } from 'vitest';
import { complaintClock, complaintIsLate, complaintWeight } from '../../src/domain/complaints';

const T = new Date('2026-11-23T02:00:00Z');
const at = (min: number) => new Date(T.getTime() + min * 60_000);

describe('the complaint clock', () => {
  it('owes a progress reply 30 minutes after opening, with the reminder 10 minutes before, never before the opening', () => {
    expect(complaintClock(T, 30, 10)).toEqual({ replyDueAt: at(30), remindAt: at(20) });
    expect(complaintClock(T, 5, 10)).toEqual({ replyDueAt: at(5), remindAt: T });
  });

  it('is late when still open at the deadline, or replied after it; a reply in time is never late', () => {
    const c = { replyDueAt: at(30), repliedAt: null, closedAt: null };
    expect(complaintIsLate(c, at(29))).toBe(false);
    expect(complaintIsLate(c, at(30))).toBe(true);
    expect(complaintIsLate({ ...c, repliedAt: at(30) }, at(90))).toBe(false);
    expect(complaintIsLate({ ...c, repliedAt: at(31) }, at(90))).toBe(true);
    expect(complaintIsLate({ ...c, closedAt: at(10) }, at(90))).toBe(false);
  });

  it('weighs a case by its complaint calls: a repeat counts double', () => {
    expect(complaintWeight(1)).toBe(1);
    expect(complaintWeight(2)).toBe(2);
  });
});
