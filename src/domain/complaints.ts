/**
 * Complaint cases (R11): a progress reply is owed within COMPLAINT_REPLY_MINUTES of the case
 * opening; the owner is reminded COMPLAINT_REMINDER_MINUTES before that, and the admins alerted
 * when it passes. Time is an argument; nothing here does I/O.
 */
export type ComplaintStatus = 'open' | 'replied' | 'closed';

export interface ComplaintClock {
  replyDueAt: Date;
  remindAt: Date;
}

/** The deadline and the owner's reminder of a case opened at `openedAt` (a reminder never before the opening). */
export function complaintClock(openedAt: Date, replyMinutes: number, reminderMinutesBefore: number): ComplaintClock {
  const due = openedAt.getTime() + replyMinutes * 60_000;
  return { replyDueAt: new Date(due), remindAt: new Date(Math.max(openedAt.getTime(), due - reminderMinutesBefore * 60_000)) };
}

/**
 * Late: no progress reply by the deadline. A case still open past it is late; a case replied (or
 * closed without a reply) after it stays late.
 */
export function complaintIsLate(c: { replyDueAt: Date; repliedAt: Date | null; closedAt: Date | null }, now: Date): boolean {
  const stopped = c.repliedAt ?? c.closedAt;
  if (stopped) return stopped.getTime() > c.replyDueAt.getTime();
  return now.getTime() >= c.replyDueAt.getTime();
}

/** Weight of a case: each complaint call in it counts once, so a repeat complaint counts double. */
export const complaintWeight = (calls: number): number => Math.max(1, calls);
