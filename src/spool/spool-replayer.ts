import { callerHasLeft, claimHolder, isCutLeg, neverDialled } from '../domain/call-states';
import type { Clock } from '../domain/clock';
import type { Call, CallStore, Coordinator } from '../domain/ports';
import type { Logger } from '../logger';
import { isDatabaseUnreachable, isPassingFailure } from '../postgres/database-unreachable';
import type { RecordingReport } from '../domain/recording-rules';
import { eventTime, type SpoolEvent } from './spool-events';
import type { SpoolFile } from './spool-file';

const TERMINAL_LEG = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);
/**
 * How long after it came a caller's hang-up waits before it ends a call still hunting on record
 * as abandoned, and an end of a call not yet on record waits for its arrival. A call's webhooks
 * are spread over the instances: how the hotline ended it (its own hunt, or the fallback) may be
 * in another instance's spool, replayed a little later.
 */
export const OTHER_SPOOLS_GRACE_SECONDS = 120;
/** The wait before the next pass after one that held calls back (a busy pool, a deadlock): doubled each time, up to the cap. */
/**
 * How long a leg's status spooled for an attempt not on record waits for it: the attempt may be
 * one another instance put through from memory and has not replayed yet.
 */
const ATTEMPT_WAIT_SECONDS = 120;

/** A leg's status whose attempt is not on record (yet). */
class AttemptNotOnRecord extends Error {}

const BACKOFF_FIRST_SECONDS = 2;
const BACKOFF_MAX_SECONDS = 16;

/**
 * Writes a spooled recording report (the recordings feature's): 'not-on-record' when its call or
 * attempt is not on record yet (another instance may still be replaying it).
 */
export type RecordingReplay = (report: RecordingReport) => Promise<'kept' | 'not-on-record'>;

export interface ReplayPass {
  /** Events written to the database this pass. */
  replayed: number;
  /** Events the database refused for what they say: kept in rejected.jsonl, and the admins told. */
  setAside: number;
  /** Events still in the spool (the database went away again, or they arrived meanwhile). */
  left: number;
}

/**
 * Writes the spooled events to the database once it answers again, in file order (so in order
 * per call), each at the time it happened, and then removes them from the spool. A failure that
 * passes keeps the event: an unreachable database stops the pass there (the next, 2 s later,
 * goes on from it); a busy pool, a deadlock or a serialization failure holds back that call's
 * events, in order, while other calls' go on, and the next pass waits a little longer each time
 * (BACKOFF_*). Only an event refused for what it says is set aside (rejected.jsonl), the admins
 * are told, and a refused arrival is recorded without what it may have been refused for, so the
 * call's later events still find it. Every write is
 * idempotent (a call by its CallSid, an attempt by its id and number, a status by its sequence,
 * an end only once), so a pass that dies half-way and runs again changes nothing twice. A call
 * ended missed or abandoned here sets off its effects like any other (the call-end outbox: its
 * callback, its customer file).
 */
export class SpoolReplayer {
  /** Events of this pass put back for a later one (see OTHER_SPOOLS_GRACE_SECONDS). */
  private readonly deferred: SpoolEvent[] = [];
  /** Passes in a row that held calls back, and when the next may run (see due()). */
  private heldPasses = 0;
  private retryAt = 0;
  private recordingReplay: RecordingReplay | undefined;

  constructor(
    private readonly d: {
      spool: SpoolFile;
      calls: CallStore;
      callEnds: { dispatch(call: Call): Promise<void> };
      coordinator: Coordinator;
      clock: Clock;
      answerThresholdSeconds: number;
      logger: Logger;
      /**
       * Who left first (src/domain/who-left-first.ts), for an end replayed after the other side's
       * request was handled: the caller's hang-up may reach an instance whose database answers
       * before this spool's record of the hotline turning them away, and the other way round.
       */
      /** Tells the admins that events were set aside (they are in `path`), from the hotline number of one of their calls if known; must not throw. */
      alertSetAside(count: number, path: string, hotlineNumber?: string): Promise<void>;
      /**
       * Where this instance tells the others what its spool holds, at every tick: events from
       * `oldestAt` on, or nothing (null) as of `at` (the callback scheduler waits for them before
       * it judges a deadline they could change).
       */
      backlog?: { note(oldestAt: Date | null, at: Date): Promise<void> };
      outcomes: {
        turnedAway(callSid: string, at: Date, reason?: string): Promise<void>;
        callerLeftAt(callId: string, leftAt: Date): Promise<void>;
        /** A Dial action written as the call flow writes it (HotlineService.settleDial): the attempt over, its agent freed, a talk ended. */
        settleDial(attemptId: string, p: { callStatus?: string; dialCallStatus: string; dialBridged?: string; leg?: number }, at: Date): Promise<unknown>;
      };
    },
  ) {}

  /** Lets the recordings feature write the recording reports spooled during an outage. */
  onRecording(replay: RecordingReplay): void {
    this.recordingReplay = replay;
  }

  replayOnce(): Promise<ReplayPass> {
    return this.d.spool.replayAlone(() => this.pass());
  }

  /**
   * The replay loop's step, every REPLAY_SECONDS: a pass when the spool holds events and no
   * back-off is running; with the spool empty, a report that it is (a watermark for the callback
   * scheduler: nothing this instance could replay later is older than now).
   */
  async tick(): Promise<void> {
    const now = this.d.clock.now();
    if (this.d.spool.depth() > 0) {
      if (this.due(now)) await this.replayOnce();
      return;
    }
    await this.reportEmpty(now);
  }

  /** Whether the replay loop should run a pass now (false while backing off after calls were held back). */
  due(now: Date): boolean {
    return now.getTime() >= this.retryAt;
  }

  private async pass(): Promise<ReplayPass> {
    const { lines, unreadable, total } = await this.d.spool.read();
    if (unreadable > 0) this.d.logger.error('spool: lines that are not events were skipped', { unreadable, path: this.d.spool.path });
    if (!(await this.noteBacklog(lines.map((l) => eventTime(l.event))))) return { replayed: 0, setAside: 0, left: this.d.spool.depth() };
    let done = total;
    let replayed = 0;
    let setAside = 0;
    /** Lines kept for a later pass, and the calls (CallSids, attempts) whose later events wait behind them. */
    const keep = new Set<number>();
    const heldBack = new Set<string>();
    let hotlineNumber: string | undefined;
    for (const { line, event } of lines) {
      const keys = keysOf(event);
      if (keys.some((k) => heldBack.has(k))) {
        keep.add(line);
        continue;
      }
      try {
        await this.apply(event);
        replayed++;
      } catch (err) {
        if (isDatabaseUnreachable(err)) {
          done = line;
          break;
        }
        if (isPassingFailure(err) || (err instanceof AttemptNotOnRecord && this.young(event))) {
          this.d.logger.warn('spool: an event failed for a passing reason: its call waits for the next pass', { type: event.type, callSid: event.callSid, err });
          for (const k of keys) heldBack.add(k);
          keep.add(line);
          continue;
        }
        setAside++;
        hotlineNumber = (await this.setAside(event, err)) ?? hotlineNumber;
      }
      this.d.spool.replayed(event.callSid);
    }
    // Appended before the replayed lines are removed: a crash between the two replays them again, harmlessly.
    for (const e of this.deferred.splice(0)) await this.d.spool.append(e);
    await this.d.spool.drop(done, keep);
    this.backOff(heldBack.size > 0);
    if (setAside > 0) await this.d.alertSetAside(setAside, this.d.spool.rejectedPath, hotlineNumber);
    if (replayed + setAside > 0) this.d.logger.info('spool: replayed into the database', { replayed, setAside, left: this.d.spool.depth() });
    if (this.d.spool.depth() === 0) await this.reportEmpty(this.d.clock.now());
    return { replayed, setAside, left: this.d.spool.depth() };
  }

  /**
   * Tells the other instances, through the database, that this spool still holds events from the
   * oldest of `times` on. False when the database cannot be reached (the pass waits for the next).
   */
  private async noteBacklog(times: Date[]): Promise<boolean> {
    // A loop, not Math.min(...): a long outage's spool may hold more events than a call takes arguments.
    const oldest = times.reduce((min, t) => (t.getTime() < min ? t.getTime() : min), Infinity);
    if (!this.d.backlog || oldest === Infinity) return true;
    try {
      await this.d.backlog.note(new Date(oldest), this.d.clock.now());
      return true;
    } catch (err) {
      if (isDatabaseUnreachable(err)) return false;
      this.d.logger.warn('spool: could not note the backlog for the other instances', { err });
      return true;
    }
  }

  /**
   * Tells the other instances that this spool is empty as of `now` (a second earlier: an event
   * being spooled just now carries the time its request came). Skipped quietly while the database
   * cannot be reached; the next tick says it again.
   */
  private async reportEmpty(now: Date): Promise<void> {
    if (!this.d.backlog) return;
    try {
      await this.d.backlog.note(null, new Date(now.getTime() - 1000));
    } catch (err) {
      if (!isDatabaseUnreachable(err)) this.d.logger.warn('spool: could not report the spool empty (the next tick tries again)', { err });
    }
  }

  private backOff(held: boolean): void {
    this.heldPasses = held ? this.heldPasses + 1 : 0;
    const seconds = held ? Math.min(BACKOFF_FIRST_SECONDS * 2 ** (this.heldPasses - 1), BACKOFF_MAX_SECONDS) : 0;
    this.retryAt = this.d.clock.now().getTime() + seconds * 1000;
  }

  /**
   * An event the database refuses for what it says: kept in rejected.jsonl for a person. A
   * refused arrival is recorded all the same without its caller name (Twilio's suggestion, the one
   * field taken as it came), so that the call is on record and its later events find it. Returns
   * the hotline number the call came in on, when known (the admins' alert is sent from it).
   */
  /** A leg's status received within ATTEMPT_WAIT_SECONDS: its attempt may still be on its way to the record. */
  private young(event: SpoolEvent): boolean {
    const since = event.type === 'leg-event' ? event.receivedAt : event.type === 'recording-reported' ? event.at : null;
    return since !== null && this.d.clock.now().getTime() - new Date(since).getTime() < ATTEMPT_WAIT_SECONDS * 1000;
  }

  private async setAside(event: SpoolEvent, err: unknown): Promise<string | undefined> {
    this.d.logger.error('spool: the database refused an event: it was set aside', { type: event.type, callSid: event.callSid, err });
    await this.d.spool.setAside(event, (err as Error).message);
    if (event.type !== 'call-arrived') return (await this.d.calls.getCallBySid(event.callSid).catch(() => null))?.to;
    const rotation = Number.isSafeInteger(event.rotationOffset) ? event.rotationOffset : 0;
    await this.d.calls
      .createCall({ id: event.callId, callSid: event.callSid, from: event.from, to: event.to, callerName: null, startedAt: new Date(event.at) }, rotation)
      .catch((again: unknown) => this.d.logger.error('spool: a refused arrival could not be recorded either', { callSid: event.callSid, err: again }));
    return event.to;
  }

  private async apply(e: SpoolEvent): Promise<void> {
    const calls = this.d.calls;
    switch (e.type) {
      case 'call-arrived':
        await calls.createCall({ id: e.callId, callSid: e.callSid, from: e.from, to: e.to, callerName: e.callerName, startedAt: new Date(e.at) }, e.rotationOffset);
        return;
      case 'agent-offered': {
        const call = await this.callOf(e.callSid);
        const offer = { id: e.attemptId, callId: call.id, agentId: e.agentId, endpoint: e.endpoint, offeredAt: new Date(e.at) };
        const added = await calls.addAttempt({ ...offer, seq: e.seq });
        if (!added) return;
        if (added.attempt.id === e.attemptId) await this.withdrawNeverDialled(call, e.attemptId, e.seq, new Date(e.at));
        else await this.afterOffersNeverDialled(call, offer, new Date(e.at));
        return;
      }
      case 'agent-screened':
        await calls.markScreened(e.attemptId, e.childCallSid, new Date(e.at), e.apologyCued);
        return;
      case 'agent-accepted':
        await calls.acceptAttempt(e.attemptId, new Date(e.at), this.d.answerThresholdSeconds);
        return;
      case 'attempt-finished':
        await calls.finishAttempt(e.attemptId, { outcome: e.outcome, dialCallStatus: e.dialCallStatus, at: new Date(e.at) });
        return;
      case 'leg-event': {
        if (!(await calls.getAttempt(e.attemptId))) throw new AttemptNotOnRecord(`the ring attempt ${e.attemptId} is not on record`);
        const { attempt } = await calls.recordLegEvent({
          childCallSid: e.childCallSid,
          sequenceNumber: e.sequenceNumber,
          attemptId: e.attemptId,
          callStatus: e.callStatus,
          eventAt: new Date(e.eventAt),
          receivedAt: new Date(e.receivedAt),
          durationSeconds: e.durationSeconds,
        });
        // A leg that ended during the outage frees its agent, if nobody has since (and no later move dialled them again).
        if (attempt && TERMINAL_LEG.has(e.callStatus) && !isCutLeg(attempt, e.leg)) await this.d.coordinator.releaseClaim(attempt.agentId, claimHolder(attempt));
        return;
      }
      case 'call-event': {
        await calls.recordCallEvent({
          callSid: e.callSid,
          callStatus: e.callStatus,
          sequenceNumber: e.sequenceNumber,
          eventAt: new Date(e.eventAt),
          receivedAt: new Date(e.receivedAt),
          durationSeconds: e.durationSeconds,
        });
        if (!callerHasLeft(e.callStatus)) return;
        const call = await calls.getCallBySid(e.callSid);
        // Ended by the hotline already: the times say whether the caller had left by then.
        if (call?.state === 'ended') await this.d.outcomes.callerLeftAt(call.id, new Date(e.eventAt));
        // A connected call is settled by its <Dial> action, or by the call settler when that never comes.
        if (call?.state !== 'hunting') return;
        // Another instance's spool may say how an agent's leg of this call went (a key press, its
        // Dial action): wait for it. With no leg open on record, none can: what another spool may
        // still hold is the hotline's turning the caller away, which corrects this end by the
        // times (OutcomeByTimes); so the caller who hung up in the line is ended at once.
        if ((await calls.attemptsOf(call.id)).some((a) => !a.finishedAt) && this.waitForOtherSpools(e, e.receivedAt)) return;
        await this.end(call, { outcome: 'abandoned', endedBy: 'caller', at: new Date(e.eventAt) });
        return;
      }
      case 'recording-reported': {
        if (!this.recordingReplay) throw new Error('no recordings feature to take a spooled recording report');
        if ((await this.recordingReplay(e.report)) === 'not-on-record') throw new AttemptNotOnRecord(`the call of recording ${e.report.recordingSid} is not on record`);
        return;
      }
      case 'dial-ended':
        await this.d.outcomes.settleDial(e.attemptId, { callStatus: e.callStatus ?? undefined, dialCallStatus: e.dialCallStatus, dialBridged: e.dialBridged ?? undefined, leg: e.leg }, new Date(e.at));
        return;
      case 'call-ended': {
        if (!(await calls.getCallBySid(e.callSid)) && this.waitForOtherSpools(e, e.at)) return;
        const call = await this.callOf(e.callSid);
        await this.end(call, { outcome: e.outcome, endedBy: e.endedBy, missedReason: e.missedReason, at: new Date(e.at) });
        // Ended abandoned meanwhile by the caller's hang-up: unless they left before, the hotline turned them away.
        if (e.outcome === 'missed' && e.endedBy === 'system') await this.d.outcomes.turnedAway(e.callSid, new Date(e.at), e.missedReason);
        return;
      }
    }
  }

  /**
   * An offer made from memory after the request that recorded the call went on to offer an agent
   * before the database failed under it (so that offer was never dialled; the memory's offers are
   * numbered after it, see RecordedThenFailed): the offer never dialled is withdrawn, its claim given back.
   */
  private async withdrawNeverDialled(call: Call, offerId: string, seq: number, at: Date): Promise<void> {
    for (const a of (await this.d.calls.attemptsOf(call.id)).filter((x) => x.seq < seq && x.id !== offerId && neverDialled(x))) {
      await this.d.calls.finishAttempt(a.id, { outcome: 'withdrawn', dialCallStatus: 'not-dialled', at });
      await this.d.coordinator.releaseClaim(a.agentId, claimHolder(a));
    }
  }

  /**
   * The number of an offer made from memory is taken on record by another offer (the arrival of a
   * call already on record was repeated and carried from memory, so the memory could not know its
   * offers' numbers). Offers never dialled are withdrawn, and this one is recorded after the call's others (its claim,
   * taken under the memory's number, lasts until it expires).
   */
  private async afterOffersNeverDialled(call: Call, offer: Omit<Parameters<CallStore['addAttempt']>[0], 'seq'>, at: Date): Promise<void> {
    const calls = this.d.calls;
    const attempts = await calls.attemptsOf(call.id);
    if (attempts.some((a) => a.id === offer.id)) return; // recorded so by an earlier replay
    for (const a of attempts.filter(neverDialled)) {
      await calls.finishAttempt(a.id, { outcome: 'withdrawn', dialCallStatus: 'not-dialled', at });
      await this.d.coordinator.releaseClaim(a.agentId, claimHolder(a));
    }
    const added = await calls.addAttempt({ ...offer, seq: Math.max(...attempts.map((a) => a.seq)) + 1 });
    if (added && added.attempt.id !== offer.id) throw new Error('the offer is already on record under another id');
  }

  /**
   * Ends the call on record as it ended for the caller, and sets off its effects; a no-op once
   * ended. An offer still open on record is over: its agent's claim (under the call's id, the same
   * on record and in memory) is given back, else the agent would sit idle until it expires.
   */
  private async end(call: Call, e: Parameters<CallStore['endCall']>[1]): Promise<void> {
    const ended = await this.d.calls.endCall(call.id, e);
    // Ended already: offers an earlier ending left open (it failed after writing the end) are let go all the same.
    for (const a of (await this.d.calls.attemptsOf(call.id)).filter((x) => !x.finishedAt && !x.acceptedAt)) {
      await this.d.calls.finishAttempt(a.id, { outcome: 'caller-gone', dialCallStatus: 'not-dialled', at: e.at });
      await this.d.coordinator.releaseClaim(a.agentId, claimHolder(a));
    }
    if (ended) await this.d.callEnds.dispatch(ended);
  }

  /**
   * Puts the event back at the end of the spool, to be replayed on a later pass, while it is
   * younger than OTHER_SPOOLS_GRACE_SECONDS; false once it is older (it is applied as it is).
   */
  private waitForOtherSpools(e: SpoolEvent, since: string): boolean {
    if (this.d.clock.now().getTime() >= Date.parse(since) + OTHER_SPOOLS_GRACE_SECONDS * 1000) return false;
    this.deferred.push(e);
    return true;
  }

  private async callOf(callSid: string): Promise<Call> {
    const call = await this.d.calls.getCallBySid(callSid);
    if (!call) throw new Error('the call is not on record (its arrival was not replayed)');
    return call;
  }
}

/** What orders a spooled event: its call's CallSid, and its ring attempt (a leg's events are spooled under it for calls begun before the outage). */
function keysOf(e: SpoolEvent): string[] {
  return 'attemptId' in e ? [e.callSid, `attempt:${e.attemptId}`] : [e.callSid];
}
