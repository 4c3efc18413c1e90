/** A ticket's shape, and how the rows of `tickets` and `complaint_cases` become tickets (src/postgres/ticket-store.ts). */
import type { ComplaintStatus } from '../domain/complaints';
import { complaintStatusAsTicket, type FaultClass, type TicketKind, type TicketStatus } from '../domain/tickets';
import { dateOrNull as d, stringOrNull as s } from './row-values';

export interface TicketAssignee {
  name: string;
  mobile: string | null;
  /** A notify channel's id (WeCom/DingTalk, src/notify/), or null for SMS to the mobile. */
  channel: string | null;
}

export interface TicketEvent {
  event: string;
  note: string | null;
  channel: string | null;
  by: string;
  at: Date;
}

export interface Ticket {
  id: string;
  kind: TicketKind;
  status: TicketStatus;
  phone: string | null;
  hotlineNumber: string | null;
  originCallId: string | null;
  ownerAgentId: string | null;
  assignee: TicketAssignee | null;
  summary: string | null;
  openedAt: Date;
  dueAt: Date;
  remindAt: Date;
  /** A complaint's first progress reply (its clock's stop); for other kinds, their first note. */
  repliedAt: Date | null;
  closedAt: Date | null;
  closedBy: string | null;
  resolution: string | null;
  faultClass: FaultClass | null;
  remindedAt: Date | null;
  alertedAt: Date | null;
  nextChaseAt: Date | null;
  chases: number;
  parentTicketId: string | null;
  parentComplaintId: string | null;
  /** In the resolution rate: a complaint case's weight (repeats count double), else 1. */
  weight: number;
  createdBy: string;
  callIds: string[];
  /** Progress notes, oldest first. */
  notes: TicketEvent[];
  /** Everything that happened to it, oldest first (a complaint: its opening, replies and closing). */
  history: TicketEvent[];
}

export interface NewTicket {
  kind: TicketKind;
  phone: string | null;
  hotlineNumber: string | null;
  callId: string | null;
  ownerAgentId: string | null;
  assignee: TicketAssignee | null;
  summary: string;
  openedAt: Date;
  dueAt: Date;
  remindAt: Date;
  nextChaseAt: Date | null;
  parentTicketId?: string | null;
  parentComplaintId?: string | null;
  /** A complaint case shared by every withheld caller is joined by nobody. */
  withheld?: boolean;
  by: string;
}

export interface TicketFilter {
  kind?: TicketKind;
  status?: TicketStatus;
  ownerAgentId?: string;
  late?: boolean;
  phone?: string;
}

export interface TicketClose {
  resolution: string;
  faultClass: FaultClass | null;
  by: string;
  at: Date;
  /** The clock of the return visit this close opens (for a dispatch or complaint). */
  returnVisit?: { dueAt: Date; remindAt: Date };
}

/** One owner's tickets of one kind opened in a period, for the figures. */
export interface TicketFigure {
  agentId: string | null;
  kind: TicketKind;
  tickets: number;
  weight: number;
  onTime: number;
  late: number;
  open: number;
  /** Weight of those resolved (closed) on time: the resolution rate's numerator. */
  weightResolvedOnTime: number;
}

export type Row = Record<string, unknown>;
export { stringOrNull as s } from './row-values';

export const toTicket = (r: Row): Ticket => ({
  id: String(r.id),
  kind: r.kind as TicketKind,
  status: r.status as TicketStatus,
  phone: s(r.phone),
  hotlineNumber: s(r.hotline_number),
  originCallId: s(r.origin_call_id),
  ownerAgentId: s(r.owner_agent_id),
  assignee: r.assignee_name ? { name: String(r.assignee_name), mobile: s(r.assignee_mobile), channel: s(r.assignee_channel) } : null,
  summary: s(r.summary),
  openedAt: r.opened_at as Date,
  dueAt: r.due_at as Date,
  remindAt: r.remind_at as Date,
  repliedAt: null,
  closedAt: d(r.closed_at),
  closedBy: s(r.closed_by),
  resolution: s(r.resolution),
  faultClass: (s(r.fault_class) as FaultClass | null) ?? null,
  remindedAt: d(r.reminded_at),
  alertedAt: d(r.alerted_at),
  nextChaseAt: d(r.next_chase_at),
  chases: Number(r.chases ?? 0),
  parentTicketId: s(r.parent_ticket_id),
  parentComplaintId: s(r.parent_complaint_id),
  weight: 1,
  createdBy: String(r.created_by),
  callIds: [],
  notes: [],
  history: [],
});

export const fromComplaint = (r: Row): Ticket => ({
  id: String(r.id),
  kind: 'complaint',
  status: complaintStatusAsTicket(r.status as ComplaintStatus),
  phone: String(r.phone),
  hotlineNumber: String(r.hotline_number),
  originCallId: null,
  ownerAgentId: s(r.owner_agent_id),
  assignee: null,
  summary: null,
  openedAt: r.opened_at as Date,
  dueAt: r.reply_due_at as Date,
  remindAt: r.remind_at as Date,
  repliedAt: d(r.replied_at),
  closedAt: d(r.closed_at),
  closedBy: s(r.closed_by),
  resolution: s(r.resolution),
  faultClass: (s(r.fault_class) as FaultClass | null) ?? null,
  remindedAt: d(r.reminded_at),
  alertedAt: d(r.alerted_at),
  nextChaseAt: null,
  chases: 0,
  parentTicketId: null,
  parentComplaintId: null,
  weight: Number(r.weight),
  createdBy: 'complaint-desk',
  callIds: [],
  notes: [],
  history: [],
});

/** A complaint case's history, from its own columns and progress replies. */
export function complaintHistory(t: Ticket): TicketEvent[] {
  const h: TicketEvent[] = [{ event: 'opened', note: null, channel: null, by: t.createdBy, at: t.openedAt }];
  h.push(...t.notes);
  if (t.remindedAt) h.push({ event: 'reminded', note: null, channel: null, by: 'system', at: t.remindedAt });
  if (t.alertedAt) h.push({ event: 'alerted', note: null, channel: null, by: 'system', at: t.alertedAt });
  if (t.closedAt) h.push({ event: 'closed', note: t.resolution, channel: null, by: t.closedBy ?? '-', at: t.closedAt });
  return h.sort((a, b) => a.at.getTime() - b.at.getTime());
}
