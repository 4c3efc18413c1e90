import { complaintClock } from '../domain/complaints';
import type { Clock } from '../domain/clock';
import { maskPhone } from '../domain/endpoint';
import type { NoteChange } from '../domain/call-notes';
import type { AgentStore, Call } from '../domain/ports';
import { isWithheldNumber } from '../domain/withheld-number';
import type { Logger } from '../logger';
import type { ComplaintCase, PostgresComplaintStore, UntakenComplaint } from '../postgres/complaint-store';
import type { Notifier } from '../notify/notifier';
import type { PromptLanguage } from '../twiml/prompts';

export interface ComplaintDeskDeps {
  store: PostgresComplaintStore;
  agents: AgentStore;
  /** The owner's reminder and the admins' alert go through it (SMS, or WeCom and DingTalk channels). */
  notifier: Notifier;
  clock: Clock;
  logger: Logger;
  replyMinutes: number;
  reminderMinutes: number;
  adminPhones: string[];
  language: PromptLanguage;
  timeZone: string;
}

const texts: Record<PromptLanguage, { reminder: (phone: string, due: string) => string; alert: (phone: string, owner: string) => string }> = {
  'zh-CN': {
    reminder: (phone, due) => `投诉提醒：客户${phone}的投诉须在${due}前给出进展答复，请尽快联系客户并登记答复。`,
    alert: (phone, owner) => `投诉超时：客户${phone}的投诉已超过答复时限，负责人${owner}尚未答复。`,
  },
  'en-US': {
    reminder: (phone, due) => `Complaint reminder: give caller ${phone} a progress reply before ${due}, then record it.`,
    alert: (phone, owner) => `Complaint overdue: caller ${phone} has had no progress reply in time (owner: ${owner}).`,
  },
};

/**
 * Complaint cases (R11). A call typed 'complaint' (on the agent's page, the console or the API) is
 * taken into its caller's open case, or opens one, as it is typed (notesWritten). A background
 * pass takes any call the typing could not (its safety net), reminds owners before the deadline
 * and alerts admins when it passes, each exactly once even with several instances (the claim is
 * a row update under FOR UPDATE SKIP LOCKED).
 */
export class ComplaintDesk {
  constructor(private readonly d: ComplaintDeskDeps) {}

  async runDue(now: Date = this.d.clock.now()): Promise<{ taken: number; reminded: number; alerted: number }> {
    const taken = await this.takeNew(now);
    let reminded = 0;
    for (const c of await this.d.store.claimReminders(now)) if (await this.remind(c)) reminded++;
    let alerted = 0;
    for (const c of await this.d.store.claimAlerts(now)) if (await this.alert(c)) alerted++;
    return { taken, reminded, alerted };
  }

  /**
   * A call's notes were written (CallNotesStore): one just typed complaint is taken into its case
   * now, as the pass would take it. Never throws: a call not taken here is left to the pass.
   */
  async notesWritten(call: Call, changes: readonly NoteChange[]): Promise<void> {
    if (!changes.some((c) => c.field === 'type' && c.newValue === 'complaint')) return;
    try {
      const u = await this.d.store.untakenCall(call.id);
      if (u) await this.take(u, this.d.clock.now());
    } catch (err) {
      this.d.logger.warn('complaint not taken as it was typed: the next pass takes it', { callId: call.id, err });
    }
  }

  private async takeNew(now: Date): Promise<number> {
    let taken = 0;
    for (const u of await this.d.store.untaken(100)) {
      try {
        if (await this.take(u, now)) taken++;
      } catch (err) {
        this.d.logger.warn('complaint not taken this pass', { callId: u.callId, err });
      }
    }
    return taken;
  }

  /** Into the caller's open case, or a new one; false when another run took the call first. */
  private async take(u: UntakenComplaint, now: Date): Promise<boolean> {
    // The case opens when the call was typed a complaint (a pass may come a few seconds later).
    const openedAt = u.typedAt && u.typedAt <= now ? u.typedAt : now;
    const clock = complaintClock(openedAt, this.d.replyMinutes, this.d.reminderMinutes);
    const r = await this.d.store.take({ ...u, withheld: isWithheldNumber(u.phone), openedAt, ...clock });
    if (r) this.d.logger.info(r.joined ? 'complaint joined its open case' : 'complaint case opened', { caseId: r.caseId, from: maskPhone(u.phone) });
    return r !== null;
  }

  private async remind(c: ComplaintCase): Promise<boolean> {
    const owner = c.ownerAgentId ? await this.d.agents.get(c.ownerAgentId) : null;
    if (!owner) return false;
    const due = new Intl.DateTimeFormat('en-GB', { timeZone: this.d.timeZone, hour: '2-digit', minute: '2-digit' }).format(c.replyDueAt);
    try {
      // Through a WeCom or DingTalk group the caller's number is masked: the owner's page link (its
      // case listed with the number in full) goes with it.
      await this.d.notifier.toAgent(owner, 'complaint-reminder', { zh: texts['zh-CN'].reminder(c.phone, due), en: texts['en-US'].reminder(c.phone, due) }, { from: c.hotlineNumber, pageLink: true });
      return true;
    } catch (err) {
      this.d.logger.warn('complaint reminder not sent: retried next pass', { caseId: c.id, err });
      await this.d.store.unclaim(c.id, 'reminder');
      return false;
    }
  }

  private async alert(c: ComplaintCase): Promise<boolean> {
    if (!(await this.d.notifier.hasAdminAlerts())) {
      this.d.logger.error('complaint overdue and ADMIN_ALERT_PHONES is empty', { caseId: c.id });
      return false;
    }
    const owner = c.ownerAgentId ? await this.d.agents.get(c.ownerAgentId) : null;
    const text = texts[this.d.language].alert(maskPhone(c.phone), owner?.name ?? '-');
    const sent = await this.d.notifier.toAdmins('complaint-overdue', text, {
      from: c.hotlineNumber,
      onError: (phone, err) => this.d.logger.error('complaint alert not sent to an admin', { caseId: c.id, to: maskPhone(phone), err }),
    });
    // Nobody could be told: give the claim back. Once any admin was told, the alert is not repeated.
    if (sent === 0) await this.d.store.unclaim(c.id, 'alert');
    return sent > 0;
  }
}
