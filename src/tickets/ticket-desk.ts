import { complaintClock } from '../domain/complaints';
import type { Clock } from '../domain/clock';
import { maskPhone } from '../domain/endpoint';
import type { NoteChange } from '../domain/call-notes';
import type { AgentStore, Call, CallStore } from '../domain/ports';
import { signLink } from '../domain/signed-link';
import { dueAtProblem, nextChase, opensReturnVisit, ticketClock, type FaultClass, type TicketClockRules, type TicketKind } from '../domain/tickets';
import { isWithheldNumber } from '../domain/withheld-number';
import { BadRequestError, ConflictError, NotFoundError } from '../errors';
import type { Logger } from '../logger';
import type { Notifier } from '../notify/notifier';
import type { PostgresTicketStore, Ticket, TicketAssignee } from '../postgres/ticket-store';
import type { PromptLanguage } from '../twiml/prompts';
import { ticketTexts } from './ticket-texts';

export const TICKET_DONE_PURPOSE = 'ticket-done';

export interface TicketDeskDeps {
  store: PostgresTicketStore;
  agents: AgentStore;
  calls: CallStore;
  notifier: Notifier;
  clock: Clock;
  logger: Logger;
  rules: TicketClockRules;
  complaint: { replyMinutes: number; reminderMinutes: number };
  language: PromptLanguage;
  timeZone: string;
  linkSecret: string;
  publicBaseUrl: string;
}

export interface TicketInput {
  kind: TicketKind;
  callId?: string;
  phone?: string;
  ownerAgentId?: string;
  assignee?: TicketAssignee;
  dueAt?: Date;
  summary: string;
}

/**
 * Tickets (工单, issue 26): opening, progress and closing, and the sweep that keeps every clock.
 * The sweep (runDue) reminds owners before the due time and alerts admins after it, chases a
 * dispatch's assignee weekly, opens the return visits owed and closes follow-ups whose call back
 * reached the customer; each notice exactly once even with several instances (a claim is a row
 * update under FOR UPDATE SKIP LOCKED; a notice that could not go out is given back).
 * Complaint tickets keep their own desk (src/complaints/) for their reminders and alerts.
 */
export class TicketDesk {
  /** Set by the feature: runs the sweep soon (a dispatch's assignee is told at once). */
  wake: () => void = () => undefined;

  constructor(private readonly d: TicketDeskDeps) {}

  async create(input: TicketInput, by: string): Promise<{ ticket: Ticket; created: boolean }> {
    const now = this.d.clock.now();
    const call = input.callId ? await this.d.calls.getCall(input.callId) : null;
    if (input.callId && !call) throw new BadRequestError(`callId: no call ${input.callId}`, 'callId');
    if (call && input.phone && call.from !== input.phone) throw new BadRequestError('phone: differs from the caller of callId (give one of them)', 'phone');
    const phone = input.phone ?? call?.from ?? null;
    if (!phone && input.kind !== 'dispatch') throw new BadRequestError(`phone: a ${input.kind} needs the customer: give phone or callId`, 'phone');
    if (input.kind === 'dispatch' && !input.assignee) throw new BadRequestError('assignee: a dispatch needs its assignee ({ name, mobile or channel })', 'assignee');
    if (input.kind !== 'dispatch' && input.assignee) throw new BadRequestError('assignee: only a dispatch has an assignee', 'assignee');
    if (input.kind === 'complaint' && input.dueAt) throw new BadRequestError('dueAt: a complaint keeps its own clock (COMPLAINT_REPLY_MINUTES)', 'dueAt');
    if (input.assignee?.channel && !(await this.d.notifier.channelExists(input.assignee.channel))) throw new BadRequestError(`assignee.channel: no notify channel ${input.assignee.channel}`, 'assignee.channel');
    const problem = input.dueAt && dueAtProblem(input.dueAt, now);
    if (problem) throw new BadRequestError(`dueAt: ${problem}`, 'dueAt');
    const ownerAgentId = input.ownerAgentId ?? call?.answeredByAgentId ?? null;
    if (input.ownerAgentId) {
      const owner = await this.d.agents.get(input.ownerAgentId);
      if (!owner || !owner.active) throw new BadRequestError('ownerAgentId: must be an active agent', 'ownerAgentId');
    }
    const hotlineNumber = call?.to ?? (await this.d.store.hotlineFor(phone));
    const clock = input.kind === 'complaint' ? this.complaintTicketClock(now) : ticketClock(input.kind, now, this.d.rules, input.dueAt);
    if (input.kind === 'complaint' && !hotlineNumber) throw new BadRequestError('callId: a complaint needs the hotline number it came in on: give callId', 'callId');
    const r = await this.d.store.create({
      kind: input.kind,
      phone,
      hotlineNumber,
      callId: call?.id ?? null,
      ownerAgentId,
      assignee: input.assignee ?? null,
      summary: input.summary,
      openedAt: now,
      ...clock,
      withheld: phone ? isWithheldNumber(phone) : false,
      by,
    });
    if (r.created) {
      this.d.logger.info('ticket opened', { ticketId: r.ticket.id, kind: r.ticket.kind, ownerAgentId, from: maskPhone(phone) });
      if (r.ticket.kind === 'dispatch') this.wake();
    }
    return r;
  }

  /**
   * A call's notes were written (CallNotesStore): a call just typed `repair` opens a follow-up
   * owned by the agent who answered it (a repair is passed to the department that does it and
   * followed up until done: 002 §四–五), so no repair typed on a call goes untracked; the owner
   * hands it on as a dispatch from the ticket's page. Typed again, the open one stands (create's
   * one ticket per call and kind). Never throws: the notes stand whatever this does.
   */
  async notesWritten(call: Call, changes: readonly NoteChange[]): Promise<void> {
    if (!changes.some((c) => c.field === 'type' && c.newValue === 'repair')) return;
    const noted = call.summary?.trim() ?? '';
    try {
      await this.create({ kind: 'follow-up', callId: call.id, summary: noted.length >= 3 ? noted : ticketTexts.repairSummary(this.d.language) }, 'system:call-type');
    } catch (err) {
      this.d.logger.warn('no follow-up opened for a call typed repair', { callId: call.id, err });
    }
  }

  async progress(id: string, p: { note: string; channel: string }, by: string): Promise<Ticket> {
    const t = await this.mustGet(id);
    if (t.kind === 'complaint' && p.channel !== 'call' && p.channel !== 'sms') throw new BadRequestError('channel: a complaint reply is by call or sms', 'channel');
    const r = await this.d.store.addProgress(id, { note: p.note, channel: p.channel, by, at: this.d.clock.now() });
    if (r === 'closed') throw new ConflictError(`the ticket is closed`, 'status');
    return this.mustGet(id);
  }

  /** Closes a ticket; a dispatch or complaint opens its return visit in the same transaction. */
  async close(id: string, c: { resolution: string; faultClass?: FaultClass }, by: string): Promise<Ticket> {
    const t = await this.mustGet(id);
    if (t.status === 'closed') throw new ConflictError('the ticket is already closed', 'status');
    const now = this.d.clock.now();
    const r = await this.d.store.close(id, {
      resolution: c.resolution,
      faultClass: c.faultClass ?? null,
      by,
      at: now,
      returnVisit: opensReturnVisit(t.kind) ? this.returnVisitClock(now) : undefined,
    });
    if (r === 'already-closed') throw new ConflictError('the ticket is already closed', 'status');
    this.d.logger.info('ticket closed', { ticketId: id, kind: t.kind, by });
    return this.mustGet(id);
  }

  async linkCall(id: string, callId: string, by: string): Promise<Ticket> {
    const t = await this.mustGet(id);
    if (!(await this.d.calls.getCall(callId))) throw new BadRequestError(`callId: no call ${callId}`, 'callId');
    await this.d.store.linkCall(t.id, callId, by, this.d.clock.now());
    return this.mustGet(id);
  }

  async mustGet(id: string): Promise<Ticket> {
    const t = await this.d.store.get(id);
    if (!t) throw new NotFoundError(`no ticket ${id}`);
    return t;
  }

  /** A complaint opened through the tickets API keeps the complaint desk's clock. */
  private complaintTicketClock(at: Date): { dueAt: Date; remindAt: Date; nextChaseAt: null } {
    const c = complaintClock(at, this.d.complaint.replyMinutes, this.d.complaint.reminderMinutes);
    return { dueAt: c.replyDueAt, remindAt: c.remindAt, nextChaseAt: null };
  }

  private returnVisitClock(at: Date): { dueAt: Date; remindAt: Date } {
    return ticketClock('return-visit', at, this.d.rules);
  }

  /** The signed link a dispatch's assignee marks it done with (src/tickets/ticket-done-page.ts). */
  doneLink(t: Ticket): string {
    const expiresAt = new Date(this.d.clock.now().getTime() + 2 * this.d.rules.dispatchChaseDays * 86_400_000);
    const token = signLink(this.d.linkSecret, { purpose: TICKET_DONE_PURPOSE, subject: t.id, agentId: '', expiresAt });
    return `${this.d.publicBaseUrl}/tickets/done?token=${encodeURIComponent(token)}`;
  }

  async runDue(now: Date = this.d.clock.now()): Promise<{ reminded: number; alerted: number; chased: number; returnVisits: number; closedByCall: number }> {
    let reminded = 0;
    for (const t of await this.d.store.claimReminders(now)) if (await this.remind(t)) reminded++;
    let alerted = 0;
    for (const t of await this.d.store.claimAlerts(now)) if (await this.alert(t)) alerted++;
    let chased = 0;
    for (const t of await this.d.store.claimChases(now, nextChase(now, this.d.rules))) if (await this.chase(t, now)) chased++;
    const returnVisits = await this.d.store.openOwedReturnVisits((closedAt) => this.returnVisitClock(closedAt));
    let closedByCall = 0;
    for (const x of await this.d.store.dialledAndAnswered()) {
      const r = await this.d.store.close(x.ticketId, { resolution: 'called back through the hotline: the customer answered', faultClass: null, by: 'system', at: x.doneAt });
      if (r === 'closed') closedByCall++;
    }
    return { reminded, alerted, chased, returnVisits, closedByCall };
  }

  /** The number a ticket's SMS go out from: its hotline's, else the customer's last call's or a hotline's (SMS_FROM wins in the sender). */
  private async sender(t: Ticket): Promise<string | undefined> {
    return t.hotlineNumber ?? (await this.d.store.hotlineFor(t.phone)) ?? undefined;
  }

  private local(at: Date): string {
    return new Intl.DateTimeFormat('en-GB', { timeZone: this.d.timeZone, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(at);
  }

  private async remind(t: Ticket): Promise<boolean> {
    const owner = t.ownerAgentId ? await this.d.agents.get(t.ownerAgentId) : null;
    if (!owner) return false;
    const f = { kind: t.kind, phone: t.phone ?? '-', due: this.local(t.dueAt), summary: t.summary ?? '' };
    try {
      await this.d.notifier.toAgent(owner, 'ticket-reminder', { zh: ticketTexts.reminder('zh-CN', f), en: ticketTexts.reminder('en-US', f) }, { from: await this.sender(t), pageLink: true });
      await this.d.store.recordEvent(t.id, 'reminded', null, 'system', this.d.clock.now());
      return true;
    } catch (err) {
      this.d.logger.warn('ticket reminder not sent: retried next pass', { ticketId: t.id, err });
      await this.d.store.unclaim(t.id, 'reminder');
      return false;
    }
  }

  private async alert(t: Ticket): Promise<boolean> {
    if (!(await this.d.notifier.hasAdminAlerts())) {
      this.d.logger.error('ticket overdue and no admin alert channel nor ADMIN_ALERT_PHONES', { ticketId: t.id });
      await this.d.store.unclaim(t.id, 'alert');
      return false;
    }
    const owner = t.ownerAgentId ? await this.d.agents.get(t.ownerAgentId) : null;
    const text = ticketTexts.alert(this.d.language, { kind: t.kind, phone: t.phone ? maskPhone(t.phone)! : '-', owner: owner?.name ?? '-', summary: t.summary ?? '' });
    const sent = await this.d.notifier.toAdmins('ticket-overdue', text, {
      from: await this.sender(t),
      onError: (phone, err) => this.d.logger.error('ticket alert not sent to an admin', { ticketId: t.id, to: maskPhone(phone), err }),
    });
    // Nobody could be told: give the claim back. Once any admin was told, the alert is not repeated.
    if (sent === 0) await this.d.store.unclaim(t.id, 'alert');
    else await this.d.store.recordEvent(t.id, 'alerted', null, 'system', this.d.clock.now());
    return sent > 0;
  }

  /** The hand-over (the first chase) or a weekly chase of a dispatch's assignee, with the link that marks it done. */
  private async chase(t: Ticket, now: Date): Promise<boolean> {
    const a = t.assignee;
    if (!a) return false;
    const f = { name: a.name, phone: t.phone ?? '-', due: this.local(t.dueAt), summary: t.summary ?? '', week: t.chases - 1 };
    const text = t.chases <= 1 ? ticketTexts.handover(this.d.language, f) : ticketTexts.chase(this.d.language, f);
    try {
      await this.d.notifier.toPerson(a, t.chases <= 1 ? 'ticket-dispatch' : 'ticket-chase', text, { from: await this.sender(t), link: this.doneLink(t) });
      await this.d.store.recordEvent(t.id, t.chases <= 1 ? 'handed-over' : 'chased', a.name, 'system', now);
      return true;
    } catch (err) {
      this.d.logger.warn('dispatch assignee not told: retried next pass', { ticketId: t.id, to: maskPhone(a.mobile), err: (err as Error).message });
      await this.d.store.unclaimChase(t.id, now);
      return false;
    }
  }
}
