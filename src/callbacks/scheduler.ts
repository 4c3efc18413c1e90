import { BackgroundLoop } from '../background-loop';
import type { Config } from '../config';
import { breachesR4, lapsed, r4LimitAt } from '../domain/callback-rules';
import type { Clock } from '../domain/clock';
import { finePeriodKey } from '../domain/fines';
import type { AgentStore } from '../domain/ports';
import type { Logger } from '../logger';
import type { Callback, PostgresCallbackStore } from '../postgres/callback-store';
import type { CallbackJob, PostgresCallbackJobStore } from '../postgres/callback-job-store';
import type { PostgresFineStore } from '../postgres/fine-store';
import type { Notifier } from '../notify/notifier';
import type { PromptLanguage } from '../twiml/prompts';
import { callbackTexts, localTime, waitedText, type CallbackTexts } from './callback-texts';

export interface SchedulerDeps {
  config: Config;
  clock: Clock;
  logger: Logger;
  agents: AgentStore;
  callbacks: PostgresCallbackStore;
  jobs: PostgresCallbackJobStore;
  fines: PostgresFineStore;
  /** Owners' texts and admins' alerts go through it (SMS, or WeCom and DingTalk channels). */
  notifier: Notifier;
  texts: CallbackTexts;
  dialLink(cb: Callback, agentId: string): string;
  /**
   * Whether a spool (this instance's, or another's noted in the database) still holds events from
   * `before` or earlier: kept during a PostgreSQL outage and not yet replayed. Such an event may be
   * the caller getting through before a deadline, so the deadline waits for it.
   */
  spoolsHoldEventsBefore(before: Date, now: Date): Promise<boolean>;
}

/** A running job holds its lease this long; a runner that died lets another instance take it after. */
const LEASE_MS = 5 * 60_000;
const BATCH = 50;
const MAX_RUNS = 5;
const RETRY_MS = 60_000;
/** How soon a deadline that waited for a spool is looked at again (the replay runs every 2 s). */
const SPOOL_WAIT_MS = 5_000;

type Outcome = { status: 'done' | 'skipped'; result: string } | { status: 'postponed'; result: string; until: Date };
/** A misdial's callback was never owed: no lapse, no fine, no alert. */
const CANCELLED: Outcome = { status: 'skipped', result: 'callback cancelled: a misdial' };

/**
 * Runs the callbacks' jobs from the database: the owner's SMS, the reminder, the deadline (admin
 * alert and fine), the 24-hour check. Several instances may run it: each due job is taken by one.
 *
 * SMS are sent at least once, never silently twice: a job is marked running (committed) before the
 * send and done after it. If the process dies in between, the job is taken again once its lease
 * runs out and the SMS is resent, with a warning in the log that the owner may get it twice.
 * Losing a reminder was judged worse than a rare duplicate. Fines are exactly once whatever
 * happens: the ledger allows one fine per callback.
 */
export class CallbackScheduler {
  private readonly loop: BackgroundLoop;

  constructor(private readonly d: SchedulerDeps) {
    this.loop = new BackgroundLoop('callback scheduler', d.config.SCHEDULER_INTERVAL_SECONDS, () => this.runDue(d.clock.now()), d.logger);
  }

  start(): void {
    this.loop.start(true);
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Runs the due jobs soon, in the background; only once started (tests call runDue themselves). */
  wake(): void {
    this.loop.wake();
  }

  /** Takes and runs every job due at `now`; returns how many this instance ran. */
  async runDue(now: Date): Promise<number> {
    let ran = 0;
    for (;;) {
      const jobs = await this.d.jobs.claimDue(now, LEASE_MS, BATCH);
      for (const job of jobs) {
        await this.runOne(job, now);
        ran++;
      }
      if (jobs.length < BATCH) return ran;
    }
  }

  private async runOne(job: CallbackJob, now: Date): Promise<void> {
    const log = this.d.logger.child({ callbackId: job.callbackId, job: job.kind });
    try {
      const cb = await this.d.callbacks.get(job.callbackId);
      const outcome: Outcome = cb ? await this.handle(job, cb, now, log) : { status: 'skipped', result: 'callback gone' };
      if (outcome.status === 'postponed') await this.d.jobs.postpone(job, outcome.until, outcome.result);
      else await this.d.jobs.finish(job, outcome.status, outcome.result, this.d.clock.now());
    } catch (err) {
      const state = await this.d.jobs.retryLater(job, (err as Error).message ?? String(err), new Date(now.getTime() + RETRY_MS), MAX_RUNS, this.d.clock.now());
      log.error(state === 'failed' ? 'callback job gave up' : 'callback job failed, will retry', { err, runs: job.runs });
    }
  }

  private async handle(job: CallbackJob, cb: Callback, now: Date, log: Logger): Promise<Outcome> {
    const open = cb.status === 'open' || cb.status === 'attempted';
    switch (job.kind) {
      case 'notify': {
        if (!open) return { status: 'skipped', result: `callback ${cb.status}` };
        return this.textOwner(cb, job, log, 'callback-assigned', (t, language, link) =>
          t.ownerSms({
            phone: cb.phone,
            calledAt: this.time(cb.firstCallAt, language),
            waited: waitedText(cb.waitedSeconds, language),
            dueAt: this.time(cb.dueAt, language),
            link,
            requested: cb.requestedByCaller,
          }),
        );
      }
      case 'remind': {
        if (!open || cb.firstAttemptAt) return { status: 'skipped', result: cb.firstAttemptAt ? 'already attempted' : `callback ${cb.status}` };
        // A scheduler that was down past the deadline sends the lapse alert instead of a stale reminder.
        if (now.getTime() >= cb.dueAt.getTime()) return { status: 'skipped', result: 'deadline already passed' };
        return this.textOwner(cb, job, log, 'callback-due', (t, language, link) => t.reminderSms({ phone: cb.phone, dueAt: this.time(cb.dueAt, language), link }));
      }
      case 'deadline':
        return (await this.waitForSpools(cb.dueAt, now)) ?? this.judgeDeadline(job, cb, now, log);
      case 'r4': {
        if (cb.status === 'cancelled') return CANCELLED;
        const wait = await this.waitForSpools(r4LimitAt(cb.firstCallAt, this.d.config.CALLBACK_MAX_HOURS), now);
        if (wait) return wait;
        if (!breachesR4(cb, this.d.config.CALLBACK_MAX_HOURS, now)) return { status: 'skipped', result: 'returned within the limit' };
        await this.d.callbacks.markR4Breached(cb.id, now);
        const owner = cb.ownerAgentId ? await this.d.agents.get(cb.ownerAgentId) : null;
        log.warn('R4 breached: no callback within the limit', { ownerAgentId: cb.ownerAgentId });
        await this.alertAdmins(job, cb, log, this.d.texts.r4AlertSms({ phone: cb.phone, calledAt: this.time(cb.firstCallAt), owner: owner?.name ?? '-' }));
        return { status: 'done', result: 'r4 breach flagged' };
      }
    }
  }

  /**
   * A verdict due at `due` waits while a spool still holds events from then or before: the
   * caller's own call, answered before the deadline but recorded only at the replay, would
   * otherwise be fined as a lapse (seen in the outage worlds of test/property).
   */
  private async waitForSpools(due: Date, now: Date): Promise<Outcome | null> {
    if (!(await this.d.spoolsHoldEventsBefore(due, now))) return null;
    return { status: 'postponed', result: 'waiting for a spool kept during an outage to be replayed', until: new Date(now.getTime() + SPOOL_WAIT_MS) };
  }

  /** A day callback nobody dialled by its deadline fines its owner (R3); a night one is alerted only. */
  private async judgeDeadline(job: CallbackJob, cb: Callback, now: Date, log: Logger): Promise<Outcome> {
    if (cb.status === 'cancelled') return CANCELLED;
    if (!lapsed(cb, now)) return { status: 'skipped', result: 'called back in time' };
    let fineAmount: number | null = null;
    if (cb.window === 'day' && cb.ownerAgentId) {
      const lapse = await this.d.fines.recordLapse({
        agentId: cb.ownerAgentId,
        callbackId: cb.id,
        lapsedAt: cb.dueAt,
        period: finePeriodKey(cb.dueAt, this.d.config.TIME_ZONE, this.d.config.FINE_PERIOD),
        schedule: this.d.config.FINE_SCHEDULE,
        now,
      });
      // Cancelled as a misdial since this job read it.
      if (!lapse) return CANCELLED;
      const { fine, created } = lapse;
      fineAmount = fine.amount;
      if (created) log.warn('callback deadline passed: fine recorded', { ownerAgentId: cb.ownerAgentId, fineId: fine.id, ordinal: fine.ordinal, amount: fine.amount });
    } else {
      log.warn('callback deadline passed', { ownerAgentId: cb.ownerAgentId, window: cb.window });
    }
    await this.d.callbacks.markLapsed(cb.id, cb.dueAt);
    const owner = cb.ownerAgentId ? await this.d.agents.get(cb.ownerAgentId) : null;
    await this.alertAdmins(job, cb, log, this.d.texts.lapseAlertSms({ phone: cb.phone, dueAt: this.time(cb.dueAt), owner: owner?.name ?? '-', fine: fineAmount }));
    return { status: 'done', result: fineAmount === null ? 'lapsed' : `lapsed, fine ${fineAmount}` };
  }

  private async textOwner(cb: Callback, job: CallbackJob, log: Logger, kind: string, body: (t: CallbackTexts, language: PromptLanguage, link: string) => string): Promise<Outcome> {
    if (!cb.ownerAgentId) return { status: 'skipped', result: 'no owner' };
    const owner = await this.d.agents.get(cb.ownerAgentId);
    if (!owner) return { status: 'skipped', result: 'owner not found' };
    // An owner who left the roster is not texted; the deadline alert tells admins to hand it over.
    if (!owner.active) return { status: 'skipped', result: 'owner inactive' };
    if (job.runs > 1) log.warn('resending after an interrupted run: the owner may get this SMS twice', { runs: job.runs });
    const link = this.d.dialLink(cb, owner.id);
    const text = { zh: body(callbackTexts['zh-CN'], 'zh-CN', link), en: body(callbackTexts['en-US'], 'en-US', link) };
    const sent = await this.d.notifier.toAgent(owner, kind, text, { from: cb.hotlineNumber });
    return { status: 'done', result: sent.via === 'sms' ? `sms ${sent.sid}` : `queued ${sent.id}` };
  }

  private async alertAdmins(job: CallbackJob, cb: Callback, log: Logger, body: string): Promise<void> {
    if (job.runs > 1 && this.d.config.ADMIN_ALERT_PHONES.length > 0) log.warn('resending admin alerts after an interrupted run', { runs: job.runs });
    await this.d.notifier.toAdmins('callback-alert', body, { from: cb.hotlineNumber });
  }

  private time(at: Date, language: PromptLanguage = this.d.config.PROMPT_LANGUAGE): string {
    return localTime(at, this.d.config.TIME_ZONE, language);
  }
}
