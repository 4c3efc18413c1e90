import { randomUUID } from 'node:crypto';
import type { Config } from '../config';
import { callbackDeadline, type DeadlineRules } from '../domain/callback-deadline';
import type { WorkCalendar } from '../domain/work-calendar';
import { chooseOwner, dayOwner, jobsFor, legOutcome, type CallbackAttemptOutcome } from '../domain/callback-rules';
import type { Clock } from '../domain/clock';
import { isE164, maskPhone } from '../domain/endpoint';
import { isWithheldNumber } from '../domain/withheld-number';
import type { AgentStore, Call, CallStore, Coordinator, RosterPort } from '../domain/ports';
import { signLink } from '../domain/signed-link';
import { speechSeconds } from '../domain/speech';
import { AppError, BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '../errors';
import type { Logger } from '../logger';
import type { Callback, CallbackAttempt, PostgresCallbackStore } from '../postgres/callback-store';
import type { HotlineService } from '../routing/hotline-service';
import { emptyTwiml, hangupTwiml, sayAndHangUp, type Speaker } from '../twiml/hotline-twiml';
import type { TwilioClient } from '../twilio-client';
import { dialCustomerTwiml, ownerWhisperTwiml, recordMessageTwiml, CALLBACK_LEG_EVENTS } from './callback-twiml';
import { callbackTexts, localTime, type CallbackTexts } from './callback-texts';
import { OwnerClaims } from './owner-claims';

export const DIAL_LINK_PURPOSE = 'callback-dial';
/** How long a report of the customer's leg may trail the owner's hang-up before the deadline is judged again. */
const LATE_LEG_REPORT_MS = 60_000;

/** Where a callback call was placed from: the admin API, the owner's signed link, or the console. */
export type PlacedVia = 'admin' | 'link' | 'console';

export interface CallbackServiceDeps {
  config: Config;
  clock: Clock;
  logger: Logger;
  hotline: HotlineService;
  agents: AgentStore;
  calls: CallStore;
  /** Shared with the hotline's hunt: a callback call claims its owner like a hotline call does. */
  coordinator: Coordinator;
  callbacks: PostgresCallbackStore;
  twilio: TwilioClient;
  speaker: Speaker;
  texts: CallbackTexts;
  /** Next value of the owner rotation (night callbacks, and calls where nobody was rung). */
  nextOwnerRotation(): Promise<number>;
  /** Who is on duty for a call at an instant (src/roster/): the owner rotation picks among them. */
  roster?: RosterPort;
  /** Each hotline number's language (src/routing/hotline-voices.ts): what its missed callers hear. */
  voices?: { forNumber(number: string): Speaker };
  /** Holidays close the day window of the deadlines (src/holidays/); absent: the HOLIDAYS setting only. */
  calendar?: WorkCalendar;
  /** Wakes the scheduler so the owner's SMS goes out now rather than at the next tick. */
  wakeScheduler(): void;
}

export function deadlineRules(c: Config, calendar?: WorkCalendar): DeadlineRules {
  return {
    timeZone: c.TIME_ZONE,
    dayStart: c.CALLBACK_DAY_START,
    dayEnd: c.CALLBACK_DAY_END,
    dayDueMinutes: c.CALLBACK_DAY_DUE_MINUTES,
    nightDueMinutesAfterOpen: c.CALLBACK_NIGHT_DUE_MINUTES,
    maxHours: c.CALLBACK_MAX_HOURS,
    holidays: c.HOLIDAYS,
    calendar,
  };
}

/**
 * Turns unanswered calls into callbacks, places callback calls through the hotline number, and
 * settles each attempt from Twilio's callbacks. Every webhook method is safe to repeat.
 */
export class CallbackService {
  private readonly claims: OwnerClaims;

  constructor(private readonly d: CallbackServiceDeps) {
    this.claims = new OwnerClaims({ coordinator: d.coordinator, logger: d.logger, released: (agentId) => d.hotline.promoteWaiting(undefined, undefined, agentId) });
  }

  private get lang() {
    return this.d.config.PROMPT_LANGUAGE;
  }

  /**
   * The hotline's call-ended listener: a miss opens or joins a callback; an answered call closes
   * one. Safe to run again for the same call (the outbox retries a run that may have got far).
   */
  async callEnded(call: Call): Promise<void> {
    const log = this.d.logger.child({ callSid: call.callSid });
    const at = call.endedAt ?? this.d.clock.now();
    // Refused (blocked) or internal: nobody to call back, and never a customer's miss.
    if (call.blocked || call.internal) return;
    if (isWithheldNumber(call.from)) {
      // Shared by every hidden caller and reaching nobody: no callback to open, join or close.
      if (call.outcome !== 'answered') log.info('no callback: the caller withheld their number', { callId: call.id, outcome: call.outcome });
      return;
    }
    if (call.outcome === 'answered') {
      const closed = await this.d.callbacks.closeForCaller(call.from, call.id, at);
      if (closed) log.info('callback closed: the caller got through', { callbackId: closed.id });
      return;
    }
    if (call.outcome === 'abandoned' && (call.waitSeconds ?? 0) < this.d.config.MIN_ABANDON_SECONDS) {
      // A misdial. It may have been a miss until the times showed the caller had hung up first
      // (OutcomeByTimes): the callback that miss opened was never owed.
      await this.misdialed(call, log);
      return;
    }
    if (!isE164(call.from)) {
      // A withheld or non-dialable number cannot be called back; the call stays visible as missed.
      log.warn('no callback: the caller number cannot be dialled', { from: call.from, callId: call.id });
      return;
    }
    // Already in a callback (open, or since returned): a second callback, or a second join, would count this miss twice.
    if (await this.d.callbacks.byCallId(call.id)) return;
    const requested = call.missedReason === 'callback-requested';
    const joined = await this.d.callbacks.join(call.from, call.id, requested, at);
    if (joined) return;
    const attempts = await this.d.calls.attemptsOf(call.id);
    // Missed before anyone could be offered it: nobody was on duty (the roster), so the night rule applies.
    const nobodyOnDuty = call.missedReason === 'no-agent-available' && attempts.length === 0;
    const { dueAt, window } = callbackDeadline(call.startedAt, deadlineRules(this.d.config, this.d.calendar), { nobodyOnDuty });
    // A night callback is returned by the morning's shift: the rotation is over who works when it falls due.
    const rotationAgentIds = await this.ownerPool(call, window === 'night' ? dueAt : at);
    // Whose miss it is depends on how long each phone rang, not on which request came first.
    const ownerRule = { answerThresholdSeconds: this.d.config.ANSWER_THRESHOLD_SECONDS, callEndedAt: at };
    // Only take a rotation step when it decides the owner, so day misses do not skew the night rota.
    const needsRotation = window === 'night' || !dayOwner(attempts, ownerRule);
    const owner = chooseOwner({ window, attempts, rotationAgentIds, rotation: needsRotation ? await this.d.nextOwnerRotation() : 0, ...ownerRule });
    const input = {
      phone: call.from,
      hotlineNumber: call.to,
      callId: call.id,
      window,
      dueAt,
      firstCallAt: call.startedAt,
      waitedSeconds: call.waitSeconds,
      requestedByCaller: requested,
      now: at,
      jobs: jobsFor({ createdAt: at, dueAt, firstCallAt: call.startedAt, window, reminderMinutes: this.d.config.CALLBACK_REMINDER_MINUTES, maxHours: this.d.config.CALLBACK_MAX_HOURS }),
    };
    const opened = await this.d.callbacks.open(input, owner);
    if (!opened) {
      await this.d.callbacks.join(call.from, call.id, requested, at);
      return;
    }
    if (!owner) log.error('callback has no owner: no agent is on the roster', { callbackId: opened.id });
    log.info('callback opened', { callbackId: opened.id, ownerAgentId: owner, dueAt: dueAt.toISOString(), window });
    this.d.wakeScheduler();
  }

  /**
   * Cancels the callback a call opened or joined before it was corrected to a misdial (unless
   * another call in it still needs it), skipping its jobs and waiving, as the system, a fine
   * already levied: the owner did not fail a customer who had hung up within seconds.
   */
  private async misdialed(call: Call, log: Logger): Promise<void> {
    const min = this.d.config.MIN_ABANDON_SECONDS;
    const reason = `misdial: the caller hung up after ${Math.round(call.waitSeconds ?? 0)} s, under MIN_ABANDON_SECONDS (${min} s); no callback was owed`;
    const cancelled = await this.d.callbacks.cancelForMisdial(call.id, min, reason, this.d.clock.now());
    if (!cancelled) return;
    log.info('callback cancelled: the call was a misdial', { callbackId: cancelled.callback.id, callId: call.id });
    if (cancelled.waivedFineId) log.warn('fine waived by the system: its callback was a misdial', { callbackId: cancelled.callback.id, fineId: cancelled.waivedFineId, ownerAgentId: cancelled.callback.ownerAgentId });
  }

  /** The caller's side of a call to this number: its hotline's language (HotlineVoices), else the server's. */
  private voiceOf(number: string): { speaker: Speaker; texts: CallbackTexts } {
    const speaker = this.d.voices?.forNumber(number) ?? this.d.speaker;
    return { speaker, texts: speaker.language === this.d.speaker.language ? this.d.texts : callbackTexts[speaker.language] };
  }

  /** What a caller hears when nobody took the call: the apology and the chance to leave a message. */
  async whenMissed(call: Call): Promise<string> {
    const cb = await this.d.callbacks.byCallId(call.id);
    const { speaker, texts } = this.voiceOf(call.to);
    if (!cb) return sayAndHangUp(speaker, speaker.text.noAgent);
    const q = { call: call.id };
    return recordMessageTwiml(speaker, {
      intro: call.missedReason === 'callback-requested' ? texts.requestedWithMessage : texts.missedWithMessage,
      maxSeconds: this.d.config.VOICE_MESSAGE_MAX_SECONDS,
      actionUrl: this.d.hotline.webhookUrl('callback-message', q),
      recordingStatusUrl: this.d.hotline.webhookUrl('callback-recording', q),
    });
  }

  /** The <Record> action: the message is kept with the callback (R12: never logged, only in the admin API). */
  async messageLeft(callId: string, r: { sid?: string; url?: string; seconds?: number }): Promise<string> {
    if (r.sid || r.url) await this.d.callbacks.attachRecording(callId, r, this.d.clock.now());
    const call = this.d.voices ? await this.d.calls.getCall(callId) : null;
    const { speaker, texts } = call ? this.voiceOf(call.to) : { speaker: this.d.speaker, texts: this.d.texts };
    return sayAndHangUp(speaker, texts.messageThanks);
  }

  async recordingStatus(callId: string, r: { sid?: string; url?: string; seconds?: number; status?: string }): Promise<void> {
    if (r.status && r.status !== 'completed') return;
    await this.d.callbacks.attachRecording(callId, r, this.d.clock.now());
  }

  /** An admin gives the callback to another active agent, who is texted at once. */
  /** The agents the owner rotation picks from: those on duty for this call at `at`, or every routable agent when the roster has nobody then. */
  private async ownerPool(call: Call, at: Date): Promise<string[]> {
    const onDuty = this.d.roster ? (await this.d.roster.candidates(call, at)).agents : [];
    return (onDuty.length > 0 ? onDuty : await this.d.agents.listRoutable()).map((a) => a.id);
  }

  async reassign(callbackId: string, ownerAgentId: string): Promise<Callback> {
    const agent = await this.d.agents.get(ownerAgentId);
    if (!agent || !agent.active) throw new BadRequestError('ownerAgentId: must be an active agent', 'ownerAgentId');
    const cb = await this.d.callbacks.get(callbackId);
    if (!cb) throw new NotFoundError(`no callback ${callbackId}`);
    const moved = await this.d.callbacks.reassign(callbackId, ownerAgentId, this.d.clock.now());
    if (!moved) throw new ConflictError(`the callback is ${cb.status}: nothing left to hand over`);
    this.d.logger.info('callback reassigned', { callbackId, ownerAgentId, previousOwnerAgentId: cb.ownerAgentId });
    this.d.wakeScheduler();
    return moved;
  }

  /** The signed link in the owner's SMS: it places this callback, as this agent, until it expires. */
  dialLink(cb: Callback, agentId: string): string {
    const ttlMs = this.d.config.LINK_TTL_HOURS * 3_600_000;
    const token = signLink(this.d.config.LINK_SECRET, { purpose: DIAL_LINK_PURPOSE, subject: cb.id, agentId, expiresAt: new Date(this.d.clock.now().getTime() + ttlMs) });
    return `${this.d.config.PUBLIC_BASE_URL}/callbacks/dial?token=${encodeURIComponent(token)}`;
  }

  /**
   * Places a callback: Twilio rings the owner's phone from the hotline number; the owner presses 1
   * and the customer is dialled. Refused while another attempt is in flight, while the owner is
   * ringing or talking for another call (hotline or callback), or once it is settled.
   */
  async dial(callbackId: string, via: PlacedVia, asAgentId?: string): Promise<CallbackAttempt> {
    const cb = await this.d.callbacks.get(callbackId);
    if (!cb) throw new NotFoundError(`no callback ${callbackId}`);
    if (!cb.ownerAgentId) throw new ConflictError('the callback has no owner to place it: give it to an agent (PATCH /api/callbacks/:id)', 'ownerAgentId');
    if (asAgentId && asAgentId !== cb.ownerAgentId) throw new ForbiddenError('this link was issued to another agent');
    const owner = await this.d.agents.get(cb.ownerAgentId);
    if (!owner || !owner.active) throw new ConflictError('the owner is no longer on the roster: give the callback to another agent (PATCH /api/callbacks/:id)', 'ownerAgentId');
    const now = this.d.clock.now();
    // The attempt's id names the owner's claim, so it is chosen before the claim is taken.
    const attemptId = randomUUID();
    const refusal = await this.claims.claim(owner.id, attemptId, this.d.config.CALLBACK_RING_SECONDS);
    if (refusal === 'on-hotline-call') throw new ConflictError('the owner is on a hotline call (ringing or talking): place the callback once they are free', 'ownerAgentId');
    if (refusal) throw new ConflictError('the owner is already on a callback call: place this one once it is over', 'ownerAgentId');
    let attempt: CallbackAttempt;
    try {
      attempt = await this.d.callbacks.addAttempt(cb.id, owner.id, via, now, attemptId);
    } catch (err) {
      await this.claims.release(owner.id, attemptId);
      throw err;
    }
    const q = { attempt: attempt.id };
    try {
      const created = await this.d.twilio.calls.create({
        to: owner.phone,
        from: cb.hotlineNumber,
        url: this.d.hotline.webhookUrl('callback-owner', q),
        method: 'POST',
        statusCallback: this.d.hotline.webhookUrl('callback-status', { ...q, leg: 'owner' }),
        statusCallbackMethod: 'POST',
        statusCallbackEvent: [...CALLBACK_LEG_EVENTS],
        timeout: this.d.config.CALLBACK_RING_SECONDS,
      });
      await this.d.callbacks.setOwnerCallSid(attempt.id, created.sid);
      this.d.logger.info('callback call placed', { callbackId: cb.id, attemptId: attempt.id, ownerCallSid: created.sid, via });
      return { ...attempt, ownerCallSid: created.sid };
    } catch (err) {
      await this.d.callbacks.finishAttempt(attempt.id, 'not-placed', now, this.d.config.CALLBACK_MAX_ATTEMPTS);
      await this.claims.release(owner.id, attempt.id);
      this.d.logger.error('callback call could not be placed', { callbackId: cb.id, attemptId: attempt.id, err });
      throw new AppError(502, 'twilio_error', `Twilio refused the call: ${(err as Error).message}`);
    }
  }

  private async loadAttempt(attemptId: string): Promise<{ attempt: CallbackAttempt; cb: Callback }> {
    const attempt = await this.d.callbacks.getAttempt(attemptId);
    const cb = attempt && (await this.d.callbacks.get(attempt.callbackId));
    if (!attempt || !cb) throw new NotFoundError(`no callback attempt ${attemptId}`);
    return { attempt, cb };
  }

  /** The owner's phone picked up (the calls.create Url): whisper who to call, press 1. */
  async ownerAnswered(attemptId: string, callSid: string): Promise<string> {
    const { attempt, cb } = await this.loadAttempt(attemptId);
    await this.d.callbacks.setOwnerCallSid(attempt.id, callSid);
    if (attempt.outcome) return hangupTwiml();
    await this.d.callbacks.markOwnerAnswered(attempt.id, this.d.clock.now());
    const text = this.d.texts.ownerWhisper({ phone: cb.phone, calledAt: localTime(cb.firstCallAt, this.d.config.TIME_ZONE, this.lang) });
    await this.claims.hold(attempt.agentId, attempt.id, speechSeconds(text) + this.d.config.SCREEN_TIMEOUT_SECONDS);
    return ownerWhisperTwiml(this.d.speaker, {
      text,
      timeoutSeconds: this.d.config.SCREEN_TIMEOUT_SECONDS,
      actionUrl: this.d.hotline.webhookUrl('callback-owner-confirm', { attempt: attempt.id }),
    });
  }

  /** The owner's key: a 1 dials the customer from the hotline number; anything else ends the attempt. */
  async ownerConfirmed(attemptId: string, digits: string | undefined): Promise<string> {
    const { attempt, cb } = await this.loadAttempt(attemptId);
    const now = this.d.clock.now();
    if (attempt.outcome) return hangupTwiml();
    if (digits !== '1') {
      await this.d.callbacks.finishAttempt(attempt.id, 'owner-declined', now, this.d.config.CALLBACK_MAX_ATTEMPTS);
      return sayAndHangUp(this.d.speaker, this.d.texts.ownerDeclined);
    }
    await this.d.callbacks.markCustomerDialled(attempt.id, now);
    // The owner stays claimed while the customer's phone rings and while they talk.
    await this.claims.hold(attempt.agentId, attempt.id, this.d.config.CALLBACK_RING_SECONDS + this.d.config.MAX_TALK_SECONDS);
    const q = { attempt: attempt.id };
    return dialCustomerTwiml(this.d.speaker, {
      say: this.d.texts.connectingCustomer,
      customer: cb.phone,
      hotline: cb.hotlineNumber,
      timeoutSeconds: this.d.config.CALLBACK_RING_SECONDS,
      timeLimitSeconds: this.d.config.MAX_TALK_SECONDS,
      actionUrl: this.d.hotline.webhookUrl('callback-dial-result', q),
      statusUrl: this.d.hotline.webhookUrl('callback-status', { ...q, leg: 'customer' }),
      amdUrl: this.d.hotline.webhookUrl('callback-amd', q),
      recordingStatusUrl: this.d.config.RECORDING ? this.d.hotline.webhookUrl('recording', { 'callback-attempt': attempt.id }) : undefined,
    });
  }

  /** What answered the customer's phone (answering machine detection), in either order with the leg's end. */
  async customerAnsweredBy(attemptId: string, answeredBy: string): Promise<void> {
    const { attempt } = await this.loadAttempt(attemptId);
    const revised = await this.d.callbacks.noteAnsweredBy(attempt.id, answeredBy, this.d.clock.now(), this.d.config.CALLBACK_MAX_ATTEMPTS);
    if (revised) this.d.logger.info('callback reached a voicemail, not the customer', { callbackId: revised.id, attemptId, status: revised.status });
  }

  /** The customer <Dial> ended: bridged means the customer answered and the callback is done. */
  async customerDialEnded(attemptId: string, p: { dialCallStatus: string; dialBridged?: string; dialCallSid?: string; callStatus?: string }): Promise<string> {
    const { attempt } = await this.loadAttempt(attemptId);
    const bridged = p.dialBridged === 'true' || (p.dialBridged === undefined && p.dialCallStatus === 'completed');
    const outcome: CallbackAttemptOutcome = bridged ? 'connected' : (legOutcome('customer', p.dialCallStatus) ?? 'customer-no-answer');
    if (p.dialCallSid) await this.d.callbacks.noteCustomerLeg(attempt.id, p.dialCallSid, null);
    await this.settle(attempt, outcome);
    if (bridged || p.callStatus === 'completed') return emptyTwiml();
    return sayAndHangUp(this.d.speaker, this.d.texts.customerUnreachable);
  }

  /**
   * Status callbacks of either leg. They back up the action URLs: an owner leg that ends before the
   * customer was dialled settles the attempt as the owner's miss, and one that ends after the
   * owner's 1 with no sign of the customer's leg as `owner-hung-up`; a customer leg that was
   * answered settles it as connected even if the Dial action never arrives. The end of the owner's
   * leg frees the owner's claim.
   */
  async legStatus(attemptId: string, leg: 'owner' | 'customer', p: { callSid: string; callStatus: string; sequenceNumber?: number; eventAt: Date; callDuration?: number }): Promise<void> {
    const { attempt } = await this.loadAttempt(attemptId);
    const now = this.d.clock.now();
    await this.d.callbacks.recordLegEvent({ callSid: p.callSid, callStatus: p.callStatus, attemptId, leg, sequenceNumber: p.sequenceNumber ?? null, eventAt: p.eventAt, receivedAt: now, durationSeconds: p.callDuration ?? null });
    if (leg === 'customer') {
      await this.d.callbacks.noteCustomerLeg(attempt.id, p.callSid, p.callStatus === 'in-progress' ? p.eventAt : null);
      if (p.callStatus === 'completed') await this.settle(attempt, (p.callDuration ?? 0) > 0 || attempt.customerAnsweredAt ? 'connected' : 'customer-no-answer');
      else {
        const failed = legOutcome('customer', p.callStatus);
        if (failed) await this.settle(attempt, failed);
      }
      return;
    }
    if (p.callStatus === 'in-progress') await this.d.callbacks.markOwnerAnswered(attempt.id, p.eventAt);
    const ended = p.callStatus === 'completed' ? 'owner-declined' : legOutcome('owner', p.callStatus);
    if (!ended) return;
    // The owner's leg is over (the customer's leg hangs off it): their phone is free for the hotline.
    await this.claims.release(attempt.agentId, attempt.id);
    const fresh = await this.d.callbacks.getAttempt(attempt.id);
    if (!fresh || fresh.outcome) return;
    if (!fresh.customerDialledAt) await this.settle(fresh, ended);
    // Once the customer's leg started, it decides the outcome, not the owner's hang-up. With no sign
    // of it the owner hung up before it started: Twilio then neither rings the customer nor posts
    // the Dial action, so nothing else would ever settle the attempt.
    else if (!fresh.customerCallSid) await this.ownerHungUp(fresh);
  }

  private async ownerHungUp(attempt: CallbackAttempt): Promise<void> {
    const now = this.d.clock.now();
    const cb = await this.d.callbacks.settleOwnerHungUp(attempt.id, now, new Date(now.getTime() + LATE_LEG_REPORT_MS));
    if (cb) this.d.logger.info('callback attempt settled: the owner hung up before the customer was dialled', { callbackId: cb.id, attemptId: attempt.id, status: cb.status });
  }

  private async settle(attempt: CallbackAttempt, outcome: CallbackAttemptOutcome): Promise<void> {
    const cb = await this.d.callbacks.finishAttempt(attempt.id, outcome, this.d.clock.now(), this.d.config.CALLBACK_MAX_ATTEMPTS);
    if (cb) this.d.logger.info('callback attempt settled', { callbackId: cb.id, attemptId: attempt.id, outcome, status: cb.status, to: maskPhone(cb.phone) });
  }
}
