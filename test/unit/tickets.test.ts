import { describe, expect, it } from 'vitest';
import { nextChase, opensReturnVisit, ticketClock, ticketIsLate, ticketOnTime, ticketWeight, type TicketClockRules } from '../../src/domain/tickets';

const rules: TicketClockRules = { followUpHours: 24, dispatchDays: 14, returnVisitHours: 72, reminderMinutes: 60, dispatchChaseDays: 7 };
const at = new Date('2026-12-07T02:00:00Z');
const h = (n: number) => new Date(at.getTime() + n * 3_600_000);

describe('ticket rules', () => {
  it('each kind has its own clock; a time agreed with the customer wins; the reminder comes before it but never before the opening', () => {
    expect(ticketClock('follow-up', at, rules)).toEqual({ dueAt: h(24), remindAt: h(23), nextChaseAt: null });
    expect(ticketClock('dispatch', at, rules)).toEqual({ dueAt: h(14 * 24), remindAt: h(14 * 24 - 1), nextChaseAt: at });
    expect(ticketClock('return-visit', at, rules).dueAt).toEqual(h(72));
    expect(ticketClock('follow-up', at, rules, h(3))).toMatchObject({ dueAt: h(3), remindAt: h(2) });
    expect(ticketClock('follow-up', at, rules, h(0.5)).remindAt).toEqual(at);
    expect(nextChase(h(1), rules)).toEqual(h(1 + 7 * 24));
  });

  it('a ticket is late once its due time passes unclosed, and stays late when closed after it', () => {
    const t = { kind: 'follow-up' as const, dueAt: h(2), closedAt: null };
    expect(ticketIsLate(t, h(1))).toBe(false);
    expect(ticketIsLate(t, h(2))).toBe(true);
    expect(ticketIsLate({ ...t, closedAt: h(1.5) }, h(10))).toBe(false);
    expect(ticketIsLate({ ...t, closedAt: h(3) }, h(10))).toBe(true);
    expect(ticketOnTime(t)).toBeNull();
    expect(ticketOnTime({ ...t, closedAt: h(2) })).toBe(true);
    expect(ticketOnTime({ ...t, closedAt: h(2.01) })).toBe(false);
  });

  it('a complaint is on time by its progress reply, as before, and weighs what its case weighs', () => {
    const c = { kind: 'complaint' as const, dueAt: h(0.5), closedAt: null, repliedAt: h(0.25) };
    expect(ticketIsLate(c, h(5))).toBe(false);
    expect(ticketOnTime(c)).toBe(true);
    expect(ticketIsLate({ ...c, repliedAt: null }, h(5))).toBe(true);
    expect(ticketWeight('complaint', 2)).toBe(2);
    expect(ticketWeight('follow-up')).toBe(1);
    expect([opensReturnVisit('dispatch'), opensReturnVisit('complaint'), opensReturnVisit('follow-up'), opensReturnVisit('return-visit')]).toEqual([true, true, false, false]);
  });
});
