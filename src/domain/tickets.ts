/**
 * Tickets (工单, issue 26): every promise made on a call, tracked to its end.
 *
 * Kinds and their clocks (each configurable):
 *   follow-up     call the customer back with the answer by the time agreed (default TICKET_FOLLOW_UP_HOURS)
 *   dispatch      a named assignee outside the hotline team does the work (TICKET_DISPATCH_DAYS),
 *                 chased every TICKET_DISPATCH_CHASE_DAYS until they mark it done
 *   return-visit  ask the customer whether it was resolved (TICKET_RETURN_VISIT_HOURS)
 *   complaint     a complaint case (src/domain/complaints.ts): a progress reply within COMPLAINT_REPLY_MINUTES
 *
 * Status flow: open -> in-progress (a first progress note) -> closed (a resolution). A closed
 * ticket stays closed. A dispatch or complaint resolved opens a return visit.
 *
 * On time: a complaint, as complaintIsLate says (its reply clock); any other kind, closed by its
 * due time. Time is an argument; nothing here does I/O.
 */
import { complaintIsLate } from './complaints';

export const TICKET_KINDS = ['follow-up', 'dispatch', 'return-visit', 'complaint'] as const;
export type TicketKind = (typeof TICKET_KINDS)[number];
export const TICKET_STATUSES = ['open', 'in-progress', 'closed'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];
export const FAULT_CLASSES = ['company', 'not-company'] as const;
export type FaultClass = (typeof FAULT_CLASSES)[number];
export const PROGRESS_CHANNELS = ['call', 'sms', 'visit', 'wecom', 'other'] as const;
export type ProgressChannel = (typeof PROGRESS_CHANNELS)[number];

export interface TicketClockRules {
  followUpHours: number;
  dispatchDays: number;
  returnVisitHours: number;
  /** How long before its due time the owner is reminded. */
  reminderMinutes: number;
  /** A dispatch's assignee is chased this often until done. */
  dispatchChaseDays: number;
}

export interface TicketClock {
  dueAt: Date;
  remindAt: Date;
  /** When a dispatch's assignee is first told (at once: the hand-over is its first notice); null for other kinds. */
  nextChaseAt: Date | null;
}

/** The default due time of a ticket of this kind opened at `openedAt` (a complaint's is its own clock). */
export function defaultDueAt(kind: Exclude<TicketKind, 'complaint'>, openedAt: Date, r: TicketClockRules): Date {
  const hours = kind === 'follow-up' ? r.followUpHours : kind === 'dispatch' ? r.dispatchDays * 24 : r.returnVisitHours;
  return new Date(openedAt.getTime() + hours * 3_600_000);
}

/** Due time (the one agreed with the customer, else the kind's default), the owner's reminder (never before the opening), and a dispatch's first chase. */
export function ticketClock(kind: Exclude<TicketKind, 'complaint'>, openedAt: Date, r: TicketClockRules, agreedDueAt?: Date): TicketClock {
  const dueAt = agreedDueAt ?? defaultDueAt(kind, openedAt, r);
  const remindAt = new Date(Math.max(openedAt.getTime(), dueAt.getTime() - r.reminderMinutes * 60_000));
  return { dueAt, remindAt, nextChaseAt: kind === 'dispatch' ? openedAt : null };
}

/** The chase after one sent at `at`. */
export const nextChase = (at: Date, r: Pick<TicketClockRules, 'dispatchChaseDays'>): Date => new Date(at.getTime() + r.dispatchChaseDays * 86_400_000);

/** Why a due time cannot be agreed (null: it can): it must lie ahead of now. */
export function dueAtProblem(dueAt: Date, now: Date): string | null {
  return dueAt.getTime() <= now.getTime() ? 'must be in the future' : null;
}

/** Whether a ticket is late at `now`. */
export function ticketIsLate(
  t: { kind: TicketKind; dueAt: Date; closedAt: Date | null; repliedAt?: Date | null },
  now: Date,
): boolean {
  if (t.kind === 'complaint') return complaintIsLate({ replyDueAt: t.dueAt, repliedAt: t.repliedAt ?? null, closedAt: t.closedAt }, now);
  if (t.closedAt) return t.closedAt.getTime() > t.dueAt.getTime();
  return now.getTime() >= t.dueAt.getTime();
}

/** Whether a ticket was done on time: closed (a complaint: replied) by its due time. Open ones are not yet counted. */
export function ticketOnTime(t: { kind: TicketKind; dueAt: Date; closedAt: Date | null; repliedAt?: Date | null }): boolean | null {
  const stopped = t.kind === 'complaint' ? (t.repliedAt ?? t.closedAt) : t.closedAt;
  if (!stopped) return null;
  return stopped.getTime() <= t.dueAt.getTime();
}

/** The kinds whose resolution opens a return visit. */
export const opensReturnVisit = (kind: TicketKind): boolean => kind === 'dispatch' || kind === 'complaint';

/** A ticket's weight in the resolution rate: a complaint case's own (repeats count double), else 1. */
export const ticketWeight = (kind: TicketKind, complaintWeight?: number): number => (kind === 'complaint' ? Math.max(1, complaintWeight ?? 1) : 1);

/** A complaint case's status as a ticket's. */
export const complaintStatusAsTicket = (s: 'open' | 'replied' | 'closed'): TicketStatus => (s === 'replied' ? 'in-progress' : s);
/** A ticket status filter as complaint statuses. */
export const ticketStatusAsComplaint = (s: TicketStatus): 'open' | 'replied' | 'closed' => (s === 'in-progress' ? 'replied' : s);
